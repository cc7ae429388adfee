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
  constructor(message: string) {
    super('not_found', message)
  }
}
