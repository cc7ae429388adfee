// Sends pending input (kept by run() while offline) exactly once. Exactly once rests on
// three things: the session's run lock (one sender per session across tabs), a claim on
// the record (a compare-and-set in one IndexedDB transaction), and, for a tab that died
// between saving the turn and deleting the record, a look at the history where the claim
// says the input would have landed.
import type * as z4 from 'zod/v4/core'
import { sameJson } from '../items/json.js'
import type { AgentItem } from '../items/types.js'
import { isCountingSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'
import type { Agent, FinalOutput } from './agent.js'
import { RunError } from '../model/errors.js'
import type { RunOptions } from './loop.js'
import type { RunResult } from './result.js'
import { run as defaultRun, type Runner } from './runner.js'
import type { Unsubscribe } from '../sync/broadcast.js'
import { defaultPendingStoreFor, pendingTargetOf, type PendingInput, type PendingInputStore } from '../idb/pending-input.js'
import { runLockMode, withRunLock } from '../sync/run-lock.js'

/** Options of {@link retryPending}: those of `run()` (without `session`), plus where pending input is kept. */
export interface RetryPendingOptions<TContext = unknown>
  extends Omit<RunOptions<TContext>, 'session' | 'runLock' | 'pendingInput'> {
  /** Runs the agent. @default the default runner of `run()` */
  runner?: Runner
  /** Where the input was kept. @default the store `run()` used for this session */
  store?: PendingInputStore
  /**
   * Only where Web Locks are missing (`runLockMode() === 'in-tab'`): a claim by another tab
   * older than this is taken to be from a tab that closed mid-send. A run longer than this
   * in another tab could then be sent twice; raise it for slow agents.
   * @default 600_000 (10 minutes)
   */
  staleClaimMs?: number
}

/** What happened to one pending input. */
export interface PendingSent<TOutput = unknown> {
  /** The input as it was kept. */
  pending: PendingInput
  /** The run that sent it; `undefined` when `alreadySent`. */
  result: RunResult<TOutput> | undefined
  /**
   * True when a tab had sent it and closed before deleting the record: its turn was found
   * in the history and it was not sent again. Continue an unfinished turn with
   * `run(agent, [], { session })`.
   */
  alreadySent: boolean
}

// Identifies this realm in claims; made on first use (no work at import time).
let realmOwner: string | undefined
const owner = (): string => (realmOwner ??= `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`)

/**
 * Sends `session`'s pending input, oldest first, one run each, and deletes each once its
 * turn is in the session. Every input is sent at most once, even with several tabs retrying
 * at once or a tab closing mid-send. Stops at the first failure: that input stays pending
 * (unless the failed run had already saved it) and so do the ones after it, in order.
 *
 * Call it when the app starts and when the device comes back online (see
 * {@link retryPendingWhenOnline}), before sending new input, so messages keep their order.
 *
 * @param agent - the agent to run
 * @param session - the session the input was meant for
 * @param options - run options (context, signal, maxTurns …), the runner and the store
 * @returns one entry per input sent (or found already sent)
 * @throws the failed run's {@link RunError} (an {@link OfflineError} while still offline)
 */
export async function retryPending<TContext, TOutput extends z4.$ZodType | undefined>(
  agent: Agent<TContext, TOutput>,
  session: Session,
  options: RetryPendingOptions<TContext> = {},
): Promise<PendingSent<FinalOutput<TOutput>>[]> {
  const { runner, store: chosen, staleClaimMs = 600_000, ...runOptions } = options
  const store = chosen ?? defaultPendingStoreFor(session)
  if (!store) return []
  const target = pendingTargetOf(session)
  const send = (input: AgentItem[]): Promise<RunResult<FinalOutput<TOutput>>> => {
    const sendOptions = { ...runOptions, session, runLock: false, pendingInput: false as const, stream: false as const }
    return runner ? runner.run(agent, input, sendOptions) : defaultRun(agent, input, sendOptions)
  }
  return withRunLock(
    session.sessionId,
    async () => {
      const done: PendingSent<FinalOutput<TOutput>>[] = []
      for (const entry of await store.list(target)) {
        if (entry.state === 'sending') {
          if (!claimAbandoned(entry, staleClaimMs)) continue
          if (await landedInHistory(session, entry)) {
            await store.remove(entry.id)
            done.push({ pending: entry, result: undefined, alreadySent: true })
            continue
          }
        }
        // The whole history, not a settings.limit window: the claim records where the input will land.
        const historyLength = await historyLengthOf(session)
        const claimed = await store.claim(entry, { owner: owner(), at: Date.now(), historyLength })
        if (!claimed) continue // another tab got it first (only possible without Web Locks)
        let result: RunResult<FinalOutput<TOutput>>
        try {
          result = await send(claimed.input)
        } catch (error) {
          if (error instanceof RunError && error.inputSaved) await store.remove(entry.id)
          else await store.release(entry.id, owner())
          throw error
        }
        await store.remove(entry.id)
        done.push({ pending: claimed, result, alreadySent: false })
      }
      return done
    },
    { signal: runOptions.signal },
  )
}

/**
 * True when nobody is still sending a claimed input. With Web Locks, we hold the session's
 * run lock and every sender holds it while sending, so any claim is abandoned. Without, a
 * claim is abandoned when this realm made it (we hold its queue) or when it is stale.
 */
function claimAbandoned(entry: PendingInput, staleClaimMs: number): boolean {
  if (runLockMode() === 'web-locks') return true
  const claim = entry.claim
  return !claim || claim.owner === owner() || Date.now() - claim.at >= staleClaimMs
}

/** How many items the session shows: counted by the store where it can, without reading them. */
async function historyLengthOf(session: Session): Promise<number> {
  return isCountingSession(session) ? session.getItemCount() : (await session.getItems(Infinity)).length
}

/** True when the history holds the entry's input where its claim says it would land. */
async function landedInHistory(session: Session, entry: PendingInput): Promise<boolean> {
  const at = entry.claim?.historyLength
  if (at === undefined) return false
  const history = await session.getItems(Infinity)
  const landed = history.slice(at, at + entry.input.length)
  return landed.length === entry.input.length && landed.every((item, i) => sameJson(item, entry.input[i]))
}

/** Options of {@link retryPendingWhenOnline}. */
export interface RetryWhenOnlineOptions<TContext = unknown, TOutput = unknown> extends RetryPendingOptions<TContext> {
  /**
   * Also retry right away when the device is online (pending input from an earlier visit).
   * @default true
   */
  immediately?: boolean
  /** Called after each retry that sent something. */
  onSent?: (sent: PendingSent<TOutput>[]) => void
  /**
   * Called when a retry fails (still offline, model error, storage full). The input stays
   * pending and is tried again on the next `online` event.
   * @default reportError (shows in the console as an uncaught error)
   */
  onError?: (error: unknown) => void
}

/**
 * Calls {@link retryPending} whenever the browser fires `online` (and once now, when
 * online). Retries never overlap in this tab; across tabs the run lock and claims make
 * every input go out once.
 *
 * ```ts
 * const stop = retryPendingWhenOnline(agent, session, { runner, onSent: () => refreshChat() })
 * ```
 *
 * @returns a function that stops listening
 */
export function retryPendingWhenOnline<TContext, TOutput extends z4.$ZodType | undefined>(
  agent: Agent<TContext, TOutput>,
  session: Session,
  options: RetryWhenOnlineOptions<TContext, FinalOutput<TOutput>> = {},
): Unsubscribe {
  const { immediately = true, onSent, onError, ...retryOptions } = options
  const report = onError ?? ((error: unknown) => (globalThis as { reportError?: (e: unknown) => void }).reportError?.(error))
  let running = false
  let again = false
  let stopped = false
  const attempt = (): void => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = true
    retryPending(agent, session, retryOptions)
      .then((sent) => {
        if (sent.length > 0) onSent?.(sent)
      }, report)
      .finally(() => {
        running = false
        if (again) {
          again = false
          attempt()
        }
      })
  }
  const target = typeof addEventListener === 'function' ? globalThis : undefined
  target?.addEventListener('online', attempt)
  if (immediately && (typeof navigator === 'undefined' || navigator.onLine !== false)) attempt()
  return () => {
    stopped = true
    target?.removeEventListener('online', attempt)
  }
}
