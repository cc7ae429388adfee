// What `run()` does around a run that has a session: hold the session's run lock for the
// whole run, and keep the input as pending input when the model cannot be reached.
import type { Session } from '../session/session.js'
import { AbortError, OfflineError, RunError, withSaveState } from '../model/errors.js'
import { toInputItems, type RunInput } from './input.js'
import { toRunError } from './loop.js'
import { defaultPendingStoreFor, pendingTargetOf, type PendingInput, type PendingInputStore } from '../idb/pending-input.js'
import { withRunLock } from '../sync/run-lock.js'

/** The run options the guard reads (a subset of `RunOptions`). */
export interface RunGuardOptions {
  session?: Session | undefined
  signal?: AbortSignal | undefined
  runLock?: boolean | undefined
  pendingInput?: PendingInputStore | false | undefined
}

/**
 * `run()` failed because the model could not be reached, and its input was kept as pending
 * input (`pending`) instead of being lost. Do not send the input again yourself:
 * {@link retryPending} (or {@link retryPendingWhenOnline}) sends it once the device is
 * online. It is an {@link OfflineError}, so existing offline handling keeps working.
 */
export class PendingInputKeptError extends OfflineError {
  override name = 'PendingInputKeptError'

  /** The kept input; show it as "not sent yet" in the chat. */
  readonly pending: PendingInput

  /**
   * @param offline - the OfflineError the run failed with
   * @param pending - the record the input was kept as
   */
  constructor(offline: OfflineError, pending: PendingInput) {
    super('the input was kept', offline)
    this.message = offline.message.replace(` ${offline.describeSaved()}`, '')
    this.pending = pending
  }

  override describeSaved(): string {
    return (
      `The input was kept as pending input ${this.pending.id} for session "${this.pending.sessionId}" and is not in its history yet; ` +
      'retryPending() sends it once online. Do not send it again yourself.'
    )
  }
}

/**
 * Runs `execute` (one whole run) under the session's run lock, and keeps the input as
 * pending input when the run fails offline before saving anything.
 */
export async function guardRun<T>(options: RunGuardOptions, input: RunInput, execute: () => Promise<T>): Promise<T> {
  const { session, signal } = options
  if (!session) return execute()
  const keeping = async (): Promise<T> => {
    try {
      return await execute()
    } catch (error) {
      throw await keepOfflineInput(error, session, input, options.pendingInput)
    }
  }
  if (options.runLock === false) return keeping()
  // The id as getSessionId() gives it: a Conversations session gets its id with its first
  // use (the run would make that first thing anyway), and the lock must be the one later runs
  // of that id take. A run aborted already is refused by the lock below, creating nothing.
  let lockName = session.sessionId
  if (!signal?.aborted) {
    try {
      lockName = await session.getSessionId()
    } catch (error) {
      throw await keepOfflineInput(withSaveState(toRunError(error, signal), { inputSaved: false, savedItems: [] }), session, input, options.pendingInput)
    }
  }
  try {
    return await withRunLock(lockName, keeping, { signal })
  } catch (error) {
    if (error instanceof RunError || !signal?.aborted) throw error
    // Aborted while waiting for another tab's run: nothing ran, nothing was saved.
    throw withSaveState(new AbortError(signal.reason), { inputSaved: false, savedItems: [] })
  }
}

async function keepOfflineInput(
  error: unknown,
  session: Session,
  input: RunInput,
  choice: PendingInputStore | false | undefined,
): Promise<unknown> {
  if (!(error instanceof OfflineError) || error.inputSaved || error instanceof PendingInputKeptError) return error
  const items = toInputItems(input)
  const store = choice === false ? undefined : (choice ?? defaultPendingStoreFor(session))
  if (!store || items.length === 0) return error
  try {
    const pending = await store.add(pendingTargetOf(session), items)
    return withSaveState(new PendingInputKeptError(error, pending), { inputSaved: false, savedItems: [] })
  } catch {
    // Keeping failed too (storage full): the original error says, correctly, that nothing
    // was kept and the same input can be sent again.
    return error
  }
}
