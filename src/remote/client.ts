import { InvalidArgumentError, InvalidItemError } from '../errors.js'
import { ConflictError, NotFoundError, SyncError, SyncOfflineError, SyncUnauthorizedError } from './errors.js'
import type {
  ChangesPage,
  ItemsPage,
  KeyRecord,
  PushResponse,
  SessionDetail,
  SessionList,
  SessionSnapshot,
  SyncErrorDetail,
  SyncOp,
  UsageReport,
} from './protocol.js'
import { SYNC_PROTOCOL_PREFIX } from './protocol.js'

/** Headers sent with every request, or a function giving them (called per request: fresh tokens). */
export type SyncHeaders = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>)

/** Where the sync server is and how to reach it. */
export interface SyncClientOptions {
  /**
   * The handler's base URL, without `/v1`: `'https://example.com/api/sync'` when the
   * handler was mounted with `basePath: '/api/sync'`.
   */
  url: string
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }`. @default {} */
  headers?: SyncHeaders
  /** The `fetch` to use (tests, proxies, a handler called in-process). @default globalThis.fetch */
  fetch?: typeof fetch
}

/** What the caller keeps when a request fails: said at the end of the error's message. */
export type KeptNote = string

/**
 * A small typed client of the sync protocol (docs/sync.md). Every failure is a typed
 * error: {@link SyncUnauthorizedError} (401/403), {@link NotFoundError} (404),
 * {@link ConflictError} (409), {@link InvalidItemError} (400 `invalid_item`),
 * {@link SyncError} (other 4xx/5xx, e.g. 413), {@link SyncOfflineError} (no answer).
 */
export class SyncClient {
  readonly url: string
  readonly #headers: SyncHeaders
  readonly #fetch: typeof fetch

  /** @throws {@link InvalidArgumentError} when `url` is not an absolute http(s) URL */
  constructor(options: SyncClientOptions) {
    if (typeof options?.url !== 'string' || !/^https?:\/\//i.test(options.url)) {
      throw new InvalidArgumentError(`The sync server's url must be an absolute http(s) URL, got ${JSON.stringify(options?.url) ?? 'nothing'}.`)
    }
    this.url = options.url.replace(/\/+$/, '')
    this.#headers = options.headers ?? {}
    const found = options.fetch ?? globalThis.fetch
    if (typeof found !== 'function') throw new InvalidArgumentError('No fetch is available here: pass { fetch }.')
    // Called unbound: a browser's fetch throws "Illegal invocation" when `this` is not the window.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  /**
   * Pushes ops (docs/sync.md, `POST /v1/push`). A refused op does not throw: the response
   * carries the results of the ops before it and `error` (with `opIndex`); the ops after it
   * were not tried. A refusal of the whole request throws.
   */
  async push(ops: SyncOp[], kept: KeptNote, signal?: AbortSignal): Promise<{ status: number; body: PushResponse }> {
    const { status, body } = await this.#request('POST', '/push', kept, { ops }, signal, true)
    return { status, body: body as PushResponse }
  }

  /** The user's changes after `after`; with `waitMs`, waits for the next one (long-poll). */
  async changes(after: number, options: { limit?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<ChangesPage> {
    const query = new URLSearchParams({ after: String(after) })
    if (options.limit !== undefined) query.set('limit', String(options.limit))
    if (options.waitMs !== undefined) query.set('waitMs', String(options.waitMs))
    return (await this.#request('GET', `/changes?${query}`, NOTHING_CHANGED, undefined, options.signal)).body as ChangesPage
  }

  /** One page of the user's sessions, by id. */
  async sessions(after?: string, limit?: number): Promise<SessionList> {
    const query = new URLSearchParams()
    if (after !== undefined) query.set('after', after)
    if (limit !== undefined) query.set('limit', String(limit))
    const suffix = query.size > 0 ? `?${query}` : ''
    return (await this.#request('GET', `/sessions${suffix}`, NOTHING_CHANGED)).body as SessionList
  }

  /** A session's summary and branches. @throws {@link NotFoundError} when it does not exist for this user */
  async session(sessionId: string): Promise<SessionDetail> {
    return (await this.#request('GET', `/sessions/${encodeURIComponent(sessionId)}`, NOTHING_CHANGED)).body as SessionDetail
  }

  /** Everything of one session, for a new or wiped device. */
  async snapshot(sessionId: string): Promise<SessionSnapshot> {
    return (await this.#request('GET', `/sessions/${encodeURIComponent(sessionId)}/snapshot`, NOTHING_CHANGED)).body as SessionSnapshot
  }

  /** The newest `limit` items of a branch (all when omitted), oldest first. */
  async items(sessionId: string, options: { branchId?: string; limit?: number } = {}): Promise<ItemsPage> {
    const query = new URLSearchParams()
    if (options.branchId !== undefined) query.set('branchId', options.branchId)
    if (options.limit !== undefined) query.set('limit', String(options.limit))
    const suffix = query.size > 0 ? `?${query}` : ''
    return (await this.#request('GET', `/sessions/${encodeURIComponent(sessionId)}/items${suffix}`, NOTHING_CHANGED)).body as ItemsPage
  }

  /** Usage of the session and of a branch (the current one by default). */
  async usage(sessionId: string, branchId?: string): Promise<UsageReport> {
    const suffix = branchId === undefined ? '' : `?branchId=${encodeURIComponent(branchId)}`
    return (await this.#request('GET', `/sessions/${encodeURIComponent(sessionId)}/usage${suffix}`, NOTHING_CHANGED)).body as UsageReport
  }

  /** The user's key record `name` (`GET /v1/keys/:name`), or `undefined` when there is none. */
  async getKey(name: string): Promise<KeyRecord | undefined> {
    try {
      return (await this.#request('GET', `/keys/${encodeURIComponent(name)}`, NOTHING_CHANGED)).body as KeyRecord
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
  }

  /**
   * Writes the user's key record `name` when it is still at `expectedVersion` (`null`:
   * when there is none yet). @throws {@link ConflictError} `version_mismatch` otherwise
   */
  async putKey(name: string, value: unknown, expectedVersion: number | null): Promise<{ name: string; version: number; updatedAt: number }> {
    const body = { value, expectedVersion }
    return (await this.#request('PUT', `/keys/${encodeURIComponent(name)}`, NOTHING_CHANGED, body)).body as { name: string; version: number; updatedAt: number }
  }

  /** The raw response of `GET /v1/live` (Server-Sent Events), for a live reader. */
  async live(after: number, signal: AbortSignal): Promise<Response> {
    const response = await this.#send('GET', `/live?after=${after}`, NOTHING_CHANGED, undefined, signal, { accept: 'text/event-stream' })
    if (!response.ok) throw errorOf(response.status, await readBody(response), NOTHING_CHANGED)
    return response
  }

  async #send(method: string, path: string, kept: KeptNote, body: unknown, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(typeof this.#headers === 'function' ? await this.#headers() : this.#headers), ...extra }
    const init: RequestInit = { method, headers }
    if (signal) init.signal = signal
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    try {
      return await this.#fetch(`${this.url}${SYNC_PROTOCOL_PREFIX}${path}`, init)
    } catch (error) {
      if (signal?.aborted) throw error
      const detail = error instanceof Error ? error.message : String(error)
      throw new SyncOfflineError(`The sync server at ${this.url} cannot be reached (${detail}). ${kept}`, error)
    }
  }

  async #request(
    method: string,
    path: string,
    kept: KeptNote,
    body?: unknown,
    signal?: AbortSignal,
    pushing = false,
  ): Promise<{ status: number; body: unknown }> {
    const response = await this.#send(method, path, kept, body, signal)
    const parsed = await readBody(response)
    if (response.ok) {
      if (parsed === undefined) throw new SyncOfflineError(`The sync server at ${this.url} answered ${response.status} without the protocol's JSON. ${kept}`)
      return { status: response.status, body: parsed }
    }
    // A push refused at one op still reports the ops before it.
    if (pushing && isPushResponse(parsed)) return { status: response.status, body: parsed }
    throw errorOf(response.status, parsed, kept)
  }
}

const NOTHING_CHANGED = 'Nothing was changed.'

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '')
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown)
  } catch {
    return undefined
  }
}

function isPushResponse(body: unknown): body is PushResponse {
  return typeof body === 'object' && body !== null && Array.isArray((body as PushResponse).results)
}

function detailOf(body: unknown): SyncErrorDetail | undefined {
  const error = (body as { error?: unknown } | undefined)?.error
  return typeof error === 'object' && error !== null && typeof (error as SyncErrorDetail).code === 'string' ? (error as SyncErrorDetail) : undefined
}

const sentence = (text: string): string => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`)

/** The typed error of a non-2xx response (or of a push's failed op); `kept` ends its message. */
export function errorOf(status: number, body: unknown, kept: KeptNote): Error {
  const detail = detailOf(body)
  const said = sentence(detail?.message ?? `The sync server answered HTTP ${status}`).replace(/ Nothing was (changed|stored)\.$/, '')
  if (status === 401 || status === 403) {
    return new SyncUnauthorizedError(status, `The sync server refused the credentials (HTTP ${status}): ${said} Sign in again or pass fresh headers. ${kept}`)
  }
  if (status === 404) return new NotFoundError(`${said} ${kept}`)
  if (status === 409 && detail?.reason) {
    const details: { branchLength?: number; newestSeq?: number | null; currentVersion?: number | null } = {}
    if (detail.branchLength !== undefined) details.branchLength = detail.branchLength
    if (detail.newestSeq !== undefined) details.newestSeq = detail.newestSeq
    if (detail.currentVersion !== undefined) details.currentVersion = detail.currentVersion
    const error = new ConflictError(detail.reason, said, details)
    error.message = `${said} ${kept}`
    return error
  }
  if (status === 400 && detail?.code === 'invalid_item') {
    const error = new InvalidItemError(detail.index ?? 0, detail.path ?? '', 'the sync server refused it')
    error.message = `${said} ${kept}`
    return error
  }
  if (status === 400 && detail?.code === 'invalid_argument') return new InvalidArgumentError(`${said} ${kept}`)
  return new SyncError(`The sync server refused the request (HTTP ${status}): ${said} ${kept}`, status, detail?.code ?? `http_${status}`)
}
