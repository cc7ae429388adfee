import type { PageOptions } from './feed.js'
import { describeError, HttpError, INTERNAL_ERROR, json, readJson } from './http.js'
import { liveStream, longPoll, pageJson } from './live.js'
import type { OpResult, PushResponse, SyncErrorDetail } from './protocol.js'
import { allItems, detail, listSessionPage, readUsage, readWindow, requireLoaded, usageReport } from './reads.js'
import type { PostgresStore } from './store.js'
import { intParam, parseKeyName, parsePush, parsePutKey, textParam } from './validate.js'

/**
 * Finds the user a request comes from: their id, or `null`/`undefined` (or a throw) for
 * 401. Every session belongs to the user who wrote it; the id is its namespace.
 */
export type Authorize = (request: Request) => string | null | undefined | Promise<string | null | undefined>

/** Options of {@link createSyncHandler}. */
export interface SyncHandlerOptions {
  store: PostgresStore
  /** Your authentication: e.g. verify a session cookie or a JWT and return the user id. */
  authorize: Authorize
  /**
   * The path the handler is mounted under, as seen in `request.url` (`'/api/sync'` for a
   * route at `/api/sync/[...path]`). Routes are `<basePath>/v1/…`.
   * @default ''
   */
  basePath?: string
  /** Largest accepted request body; larger ones are a 413. @default 1 MiB */
  maxBodyBytes?: number
  /** Quiet time after which a live stream sends a heartbeat comment (and re-reads the feed). @default 15000 */
  heartbeatMs?: number
  /** Longest long-poll wait a client may ask for with `waitMs`. @default 30000 */
  maxWaitMs?: number
  /** Most changes, and most appended items, in one feed page. @default { limit: 500, maxItems: 10000 } */
  page?: Partial<PageOptions>
  /** Called with every unexpected error (a 500); the client sees no detail. @default console.error */
  onError?: (error: unknown, request: Request) => void
}

/** A Fetch-API request handler: mount it in any server that speaks `Request`/`Response`. */
export type SyncHandler = (request: Request) => Promise<Response>

interface Context {
  request: Request
  url: URL
  userId: string
  segments: string[]
}

/**
 * The sync protocol over HTTP (docs/sync.md): push of idempotent operations, pull of the
 * user's change feed by cursor (paged, long-poll or Server-Sent Events), session lists,
 * snapshots, item windows and usage for remote sessions, and an opaque key-record store.
 *
 * Every request is authorized first; sessions are per user, so another user's session is
 * a 404 like any session that does not exist. Bodies are size-limited and validated whole
 * before anything is applied; each op is one transaction. Errors are JSON:
 * `{ error: { code, message, … } }`.
 */
export function createSyncHandler(options: SyncHandlerOptions): SyncHandler {
  const store = options.store
  const base = (options.basePath ?? '').replace(/\/+$/, '')
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxWaitMs = options.maxWaitMs ?? 30_000
  const defaultPage: PageOptions = { limit: options.page?.limit ?? 500, maxItems: options.page?.maxItems ?? 10_000 }
  const onError = options.onError ?? ((error: unknown) => console.error('idb-agents/server:', error))

  const routes: Record<string, Partial<Record<string, (ctx: Context) => Promise<Response>>>> = {
    push: { POST: push },
    changes: { GET: changes },
    live: { GET: live },
    sessions: { GET: sessions },
    session: { GET: session },
    items: { GET: items },
    snapshot: { GET: snapshot },
    usage: { GET: usage },
    keys: { GET: getKey, PUT: putKey },
  }

  async function push(ctx: Context): Promise<Response> {
    const ops = parsePush(await readJson(ctx.request, maxBodyBytes))
    const results: OpResult[] = []
    for (const [opIndex, op] of ops.entries()) {
      try {
        results.push(await store.applyOp(ctx.userId, op.opId, op.sessionId, op.op))
      } catch (error) {
        const described = describeError(error)
        if (!described) onError(error, ctx.request)
        const detail: SyncErrorDetail = { ...(described?.detail ?? INTERNAL_ERROR), opIndex, opId: op.opId }
        const body: PushResponse = { results, cursor: await store.cursor(ctx.userId).catch(() => 0), error: detail }
        return json(described?.status ?? 500, body)
      }
    }
    const body: PushResponse = { results, cursor: await store.cursor(ctx.userId) }
    return json(200, body)
  }

  function pageOptions(url: URL): PageOptions {
    return { limit: intParam(url, 'limit', defaultPage.limit, defaultPage.limit) || 1, maxItems: defaultPage.maxItems }
  }

  async function changes(ctx: Context): Promise<Response> {
    const after = intParam(ctx.url, 'after', 0)
    const waitMs = intParam(ctx.url, 'waitMs', 0, maxWaitMs)
    const page = await longPoll(store, ctx.userId, after, waitMs, pageOptions(ctx.url), ctx.request.signal)
    return json(200, pageJson(page))
  }

  async function live(ctx: Context): Promise<Response> {
    const lastEventId = ctx.request.headers.get('last-event-id')
    const after = lastEventId !== null && /^\d+$/.test(lastEventId) ? Number(lastEventId) : intParam(ctx.url, 'after', 0)
    const page = pageOptions(ctx.url)
    const first = await store.changes(ctx.userId, after, page)
    const body = liveStream(store, ctx.userId, after, {
      heartbeatMs,
      page,
      first,
      signal: ctx.request.signal,
      onError: (error) => onError(error, ctx.request),
    })
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    })
  }

  async function sessions(ctx: Context): Promise<Response> {
    const after = textParam(ctx.url, 'after')
    const limit = intParam(ctx.url, 'limit', 100, 1000) || 1
    return json(200, await store.read((tx) => listSessionPage(tx, ctx.userId, after, limit)))
  }

  const sessionId = (ctx: Context) => ctx.segments[1]!

  async function session(ctx: Context): Promise<Response> {
    return json(200, await store.read(async (tx) => detail(await requireLoaded(tx, ctx.userId, sessionId(ctx)))))
  }

  async function items(ctx: Context): Promise<Response> {
    const branchId = textParam(ctx.url, 'branchId')
    const limit = ctx.url.searchParams.has('limit') ? intParam(ctx.url, 'limit', 0) : Infinity
    const window = await store.read(async (tx) => readWindow(tx, await requireLoaded(tx, ctx.userId, sessionId(ctx)), branchId, limit, 'entries'))
    const head = JSON.stringify({ sessionId: sessionId(ctx), branchId: window.branchId, length: window.length })
    return json(200, `${head.slice(0, -1)},"items":${window.itemsJson}}`)
  }

  async function snapshot(ctx: Context): Promise<Response> {
    const text = await store.read(async (tx) => {
      const state = await requireLoaded(tx, ctx.userId, sessionId(ctx))
      const [usageRows, itemsJson] = await Promise.all([readUsage(tx, state), allItems(tx, state)])
      const head = JSON.stringify({ cursor: state.lastCursor, ...detail(state), usage: usageRows })
      return `${head.slice(0, -1)},"items":${itemsJson}}`
    })
    return json(200, text)
  }

  async function usage(ctx: Context): Promise<Response> {
    const branchId = textParam(ctx.url, 'branchId')
    return json(200, await store.read(async (tx) => usageReport(tx, await requireLoaded(tx, ctx.userId, sessionId(ctx)), branchId)))
  }

  async function getKey(ctx: Context): Promise<Response> {
    const name = parseKeyName(ctx.segments[1]!)
    const record = await store.getKeyRecord(ctx.userId, name)
    if (!record) throw new HttpError(404, { code: 'not_found', message: `There is no key record "${name}".` })
    return json(200, record)
  }

  async function putKey(ctx: Context): Promise<Response> {
    const name = parseKeyName(ctx.segments[1]!)
    const { value, expectedVersion } = parsePutKey(await readJson(ctx.request, maxBodyBytes))
    return json(200, await store.putKeyRecord(ctx.userId, name, value, expectedVersion))
  }

  return async (request) => {
    try {
      const url = new URL(request.url)
      const segments = routeSegments(url.pathname, base)
      const route = segments && routeName(segments)
      if (!route) throw new HttpError(404, { code: 'not_found', message: `No sync endpoint at ${url.pathname}.` })
      const userId = await authorizeRequest(options.authorize, request)
      const handle = routes[route]![request.method]
      if (!handle) {
        const allow = Object.keys(routes[route]!).join(', ')
        throw new HttpError(405, { code: 'method_not_allowed', message: `${url.pathname} accepts ${allow}, not ${request.method}.` }, { allow })
      }
      return await handle({ request, url, userId, segments })
    } catch (error) {
      const described = describeError(error)
      if (!described) onError(error, request)
      return json(described?.status ?? 500, { error: described?.detail ?? INTERNAL_ERROR }, described?.headers)
    }
  }
}

async function authorizeRequest(authorize: Authorize, request: Request): Promise<string> {
  let userId: string | null | undefined
  try {
    userId = await authorize(request)
  } catch {
    userId = undefined
  }
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new HttpError(401, { code: 'unauthorized', message: 'Sign in first: this request carries no valid credentials.' }, { 'www-authenticate': 'Bearer' })
  }
  return userId
}

/** The decoded path segments after `<base>/v1`, or `undefined` when the path is not ours. */
function routeSegments(pathname: string, base: string): string[] | undefined {
  const prefix = `${base}/v1/`
  if (!pathname.startsWith(prefix)) return undefined
  try {
    return pathname.slice(prefix.length).split('/').map(decodeURIComponent)
  } catch {
    return undefined
  }
}

function routeName(segments: string[]): string | undefined {
  const [first, id, sub, ...rest] = segments
  if (rest.length > 0 || segments.some((segment) => segment === '')) return undefined
  if (segments.length === 1 && (first === 'push' || first === 'changes' || first === 'live' || first === 'sessions')) return first
  if (first === 'keys' && segments.length === 2) return 'keys'
  if (first !== 'sessions' || id === undefined) return undefined
  if (sub === undefined) return 'session'
  return sub === 'items' || sub === 'snapshot' || sub === 'usage' ? sub : undefined
}
