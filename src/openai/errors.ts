import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import { AbortError, messageOf, ModelHttpError, OfflineError, RunError } from '../model/errors.js'

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

/**
 * Maps what the `openai` client throws to the runner's typed errors: a connection failure
 * becomes {@link OfflineError}, an HTTP error {@link ModelHttpError} with status, request
 * id and the `APIError` as `cause`, an abort {@link AbortError}.
 */
export function toModelError(error: unknown, signal: AbortSignal | undefined): RunError {
  if (error instanceof RunError) return error
  if (signal?.aborted || error instanceof APIUserAbortError) return new AbortError(signal?.reason ?? error)
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelHttpError('The model request timed out (after the client\'s retries). Retry later or raise the client\'s timeout.', {
      status: undefined,
      cause: error,
    })
  }
  if (error instanceof APIConnectionError) {
    const detail = browserIsOffline()
      ? 'the browser reports that it is offline (navigator.onLine is false)'
      : `the request failed at the network layer (${messageOf(error.cause ?? error)}); if you use a proxy, check its URL and CORS headers`
    return new OfflineError(detail, error)
  }
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined
    const requestId = error.requestID ?? undefined
    return new ModelHttpError(`The model API answered ${status ?? 'with an error'}: ${error.message}. ${advice(status)}`, {
      status,
      requestId,
      cause: error,
    })
  }
  return new RunError('run_failed', `The model call failed: ${messageOf(error)}`, { cause: error })
}

function advice(status: number | undefined): string {
  if (status === 401 || status === 403) return 'Check the API key, or the credentials your proxy expects.'
  if (status === 404) return 'Check the model name and the baseURL.'
  if (status === 429) return 'Rate limited after the client\'s retries; wait and retry.'
  if (status !== undefined && status >= 500) return 'The server failed after the client\'s retries; retry later.'
  return 'Check the request (model settings, tools, input).'
}
