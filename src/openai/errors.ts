// What the `openai` client throws, read once: the runner, the compaction session and the
// Conversations session each build their own typed error from the same reading, with the
// same advice for the same status.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import { messageOf } from '../errors.js'
import { AbortError, ModelHttpError, OfflineError, RunError } from '../model/errors.js'

/** True when the browser says it has no network (`navigator.onLine === false`). */
export function browserIsOffline(): boolean {
  return typeof navigator !== 'undefined' && (navigator as { onLine?: boolean }).onLine === false
}

/** A server on this device (a local model server, a dev server) is reachable with no network. */
function isLoopback(baseURL: string): boolean {
  try {
    const host = new URL(baseURL, globalThis.location?.href).hostname
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.') || host.endsWith('.localhost')
  } catch {
    return false
  }
}

/**
 * Throws {@link OfflineError} before a request when the browser reports itself offline,
 * unless `baseURL` is on this device (a local model server still answers).
 */
export function assertOnline(baseURL: string): void {
  if (browserIsOffline() && !isLoopback(baseURL)) {
    throw new OfflineError('the browser reports that it is offline (navigator.onLine is false)')
  }
}

/** `text` with the user name and password of any URL in it replaced by `***`. */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@')
}

/** How a call to the API failed. */
export type ApiFailure =
  | { kind: 'aborted' }
  | { kind: 'timeout' }
  /** No answer: offline, DNS, refused connection, CORS rejection by the proxy. */
  | { kind: 'connection'; detail: string }
  /** The request could never be sent as configured (a URL with credentials, a bad URL). */
  | { kind: 'misconfigured'; detail: string }
  | { kind: 'http'; status: number | undefined; requestId: string | undefined; detail: string }
  | { kind: 'other'; detail: string }

/** Reads what the `openai` client threw. Messages have URL credentials removed. */
export function readApiFailure(error: unknown, signal?: AbortSignal): ApiFailure {
  if (signal?.aborted || error instanceof APIUserAbortError) return { kind: 'aborted' }
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' }
  if (error instanceof APIConnectionError) {
    const detail = redactCredentials(messageOf(error.cause ?? error))
    // fetch refuses such requests before sending anything: no network will ever make them work.
    const misconfigured = error.cause instanceof TypeError && /credentials|invalid url|failed to parse url|unsupported protocol/i.test(detail)
    return misconfigured ? { kind: 'misconfigured', detail } : { kind: 'connection', detail }
  }
  if (error instanceof APIError) {
    return {
      kind: 'http',
      status: typeof error.status === 'number' ? error.status : undefined,
      requestId: error.requestID ?? undefined,
      detail: redactCredentials(messageOf(error)),
    }
  }
  return { kind: 'other', detail: redactCredentials(messageOf(error)) }
}

/** What a caller says for the statuses whose meaning depends on the endpoint. */
export interface AdviceOverrides {
  /** For 404. */
  notFound: string
  /** For other 4xx. */
  badRequest: string
  /** For 5xx, after the client's own retries. @default 'The server failed after the client's retries; retry later.' */
  serverError?: string
}

/** One sentence on what to do about an HTTP failure with `status`. */
export function adviceFor(status: number | undefined, overrides: AdviceOverrides): string {
  if (status === 401 || status === 403) return 'Check the API key, or the credentials your proxy expects.'
  if (status === 404) return overrides.notFound
  if (status === 429) return "Rate limited after the client's retries; wait and retry."
  if (status !== undefined && status >= 500) return overrides.serverError ?? "The server failed after the client's retries; retry later."
  return overrides.badRequest
}

/** "answered 401" (or "answered with an error"): the head of a message about an HTTP failure. */
export function answered(status: number | undefined): string {
  return status === undefined ? 'answered with an error' : `answered ${status}`
}

/** The client's message without the status it starts with ("401 Incorrect API key" → "Incorrect API key"). */
export function withoutStatus(status: number | undefined, detail: string): string {
  const rest = status !== undefined && detail.startsWith(String(status)) ? detail.slice(String(status).length).trim() : detail
  return rest === '' ? 'no details' : rest
}

/**
 * Maps what the `openai` client throws to the runner's typed errors: a connection failure
 * becomes {@link OfflineError}, an HTTP error {@link ModelHttpError} with status, request
 * id and the `APIError` as `cause`, an abort {@link AbortError}.
 */
export function toModelError(error: unknown, signal: AbortSignal | undefined): RunError {
  if (error instanceof RunError) return error
  const failure = readApiFailure(error, signal)
  switch (failure.kind) {
    case 'aborted':
      return new AbortError(signal?.reason ?? error)
    case 'timeout':
      return new ModelHttpError("The model request timed out (after the client's retries). Retry later or raise the client's timeout.", {
        status: undefined,
        cause: error,
      })
    case 'connection': {
      const detail = browserIsOffline()
        ? 'the browser reports that it is offline (navigator.onLine is false)'
        : `the request failed at the network layer (${failure.detail}); if you use a proxy, check its URL and CORS headers`
      return new OfflineError(detail, error)
    }
    case 'misconfigured':
      return new RunError(
        'invalid_argument',
        `The model request cannot be sent as configured (${failure.detail}). Fix the client's baseURL: put credentials in defaultHeaders, not in the URL.`,
        { cause: error },
      )
    case 'http':
      return new ModelHttpError(
        `The model API ${answered(failure.status)}: ${withoutStatus(failure.status, failure.detail)}. ${adviceFor(failure.status, {
          notFound: 'Check the model name and the baseURL.',
          badRequest: 'Check the request (model settings, tools, input).',
        })}`,
        { status: failure.status, requestId: failure.requestId, cause: error },
      )
    case 'other':
      return new RunError('run_failed', `The model call failed: ${failure.detail}.`, { cause: error })
  }
}
