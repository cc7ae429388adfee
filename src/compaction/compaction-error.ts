import { IdbAgentsError } from '../errors.js'

/**
 * A compaction did not happen. The transcript is never touched by compaction, and the
 * model-facing history is what it was before (the message says so when that could not be
 * kept). `cause` holds the API or storage error. Compaction is retried after the next
 * turn, or call `runCompaction({ force: true })` again.
 */
export class CompactionError extends IdbAgentsError {
  override name = 'CompactionError'

  /**
   * @param message - what failed and what to do
   * @param cause - the underlying error
   * @param historyUnchanged - appends that the stored history is unchanged @default true
   */
  constructor(message: string, cause?: unknown, historyUnchanged = true) {
    super('compaction_failed', historyUnchanged ? `${message} The stored history is unchanged.` : message, { cause })
  }
}
