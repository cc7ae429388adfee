import { IdbAgentsError } from '../errors.js'
import type { ConflictReason } from './protocol.js'

/** Details a {@link ConflictError} carries to the client (see `SyncErrorDetail`). */
export interface ConflictDetails {
  branchLength?: number
  newestSeq?: number | null
  currentVersion?: number | null
}

/**
 * An operation was refused because the stored state is not what it expected: the branch
 * grew (`length_mismatch`), the item to pop is no longer the newest (`not_newest`), an op
 * id was reused for a different op (`op_id_reused`), and so on (`reason`). Nothing was
 * changed; re-read, rebase and retry with a new op id.
 */
export class ConflictError extends IdbAgentsError {
  override name = 'ConflictError'
  readonly reason: ConflictReason
  readonly details: ConflictDetails

  constructor(reason: ConflictReason, message: string, details: ConflictDetails = {}) {
    super('conflict', `${message} Nothing was changed.`)
    this.reason = reason
    this.details = details
  }
}

/**
 * The session (or record) does not exist for this user. A session of another user is
 * reported the same way, so that its existence is not revealed.
 */
export class NotFoundError extends IdbAgentsError {
  override name = 'NotFoundError'
  constructor(message: string) {
    super('not_found', message)
  }
}

/**
 * The sync server refused the credentials (401) or the request (403): sign in again, or
 * pass fresh `headers`. What the call was to store is said in the message (a
 * `SyncedSession` keeps it in its outbox and sends it once the server accepts it).
 */
export class SyncUnauthorizedError extends IdbAgentsError {
  override name = 'SyncUnauthorizedError'
  /** 401 or 403. */
  readonly status: number

  constructor(status: number, message: string) {
    super('unauthorized', message)
    this.status = status
  }
}

/**
 * The sync server could not be reached (no network, server down, DNS, CORS) or did not
 * answer with the protocol's JSON. The request may or may not have reached it: a retry
 * under the same op ids never applies anything twice.
 */
export class SyncOfflineError extends IdbAgentsError {
  override name = 'SyncOfflineError'

  constructor(message: string, cause?: unknown) {
    super('offline', message, { cause })
  }
}

/**
 * The sync server refused a request for a reason other than credentials, a missing
 * session or a conflict: a body over its size limit (413), a request it does not accept
 * (400), a server fault (5xx). `reason` is the protocol's error code
 * (`payload_too_large`, `invalid_request`, `internal`, …); the message says what was kept.
 */
export class SyncError extends IdbAgentsError {
  override name = 'SyncError'
  /** The HTTP status. */
  readonly status: number
  /** The protocol's error code from the response body, or `'http_<status>'` when there was none. */
  readonly reason: string

  constructor(message: string, status: number, reason: string) {
    super('sync_failed', message)
    this.status = status
    this.reason = reason
  }
}
