import { InvalidArgumentError, InvalidItemError } from '../errors.js'
import { ConflictError, NotFoundError } from './errors.js'
import type { SyncErrorDetail } from './protocol.js'

// HTTP plumbing of the handler: bodies read under a size limit, JSON responses, and the
// mapping from the library's typed errors to `{ error: { code, message, … } }` bodies.

/** A refusal with its HTTP status and error body. */
export class HttpError extends Error {
  readonly status: number
  readonly detail: SyncErrorDetail
  readonly headers: Record<string, string>

  constructor(status: number, detail: SyncErrorDetail, headers: Record<string, string> = {}) {
    super(detail.message)
    this.status = status
    this.detail = detail
    this.headers = headers
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

/** A JSON response; `body` may be a ready JSON text. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } })
}

/**
 * Reads a JSON request body of at most `maxBytes` bytes, stopping as soon as it is over
 * (a huge body is never buffered whole).
 *
 * @throws {@link HttpError} 413 `payload_too_large`, 415 `unsupported_media_type` (not
 *   `application/json`: a cross-site form cannot post here), 400 `invalid_json`
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, { code: 'unsupported_media_type', message: `Send the body as application/json (got "${type || 'no content-type'}"). Nothing was stored.` })
  }
  const tooLarge = () =>
    new HttpError(413, { code: 'payload_too_large', message: `The body is larger than ${maxBytes} bytes. Nothing was stored; send smaller batches.`, maxBytes })
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) throw tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        throw tooLarge()
      }
      chunks.push(value)
    }
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
  } catch {
    throw new HttpError(400, { code: 'invalid_json', message: 'The body is not valid UTF-8 JSON. Nothing was stored.' })
  }
}

/** The status and body an error is reported with; `undefined` for unexpected errors (500). */
export function describeError(error: unknown): { status: number; detail: SyncErrorDetail; headers?: Record<string, string> } | undefined {
  if (error instanceof HttpError) return { status: error.status, detail: error.detail, headers: error.headers }
  if (error instanceof ConflictError) {
    return { status: 409, detail: { code: 'conflict', reason: error.reason, message: error.message, ...error.details } }
  }
  if (error instanceof NotFoundError) return { status: 404, detail: { code: 'not_found', message: error.message } }
  if (error instanceof InvalidItemError) {
    return { status: 400, detail: { code: 'invalid_item', message: error.message, index: error.index, path: error.path } }
  }
  if (error instanceof InvalidArgumentError) return { status: 400, detail: { code: 'invalid_argument', message: error.message } }
  return undefined
}

export const INTERNAL_ERROR: SyncErrorDetail = {
  code: 'internal',
  message: 'The server failed while handling this request; what it had not committed was not stored. Try again later.',
}
