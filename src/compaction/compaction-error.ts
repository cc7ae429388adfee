// The one capability the runner knows about compaction: "a turn was saved, compact if you
// want to". Kept apart from the compaction sessions so the runner imports nothing else.
import { IdbAgentsError } from '../errors.js'
import type { AgentItem } from '../items/items.js'
import type { Session } from '../session/session.js'

/** Token usage of one model request, as the runner reports it. */
export interface ReportedUsage {
  /** Tokens sent with the request (history, instructions and tools). */
  inputTokens: number
  /** Tokens the model generated. */
  outputTokens: number
}

/**
 * What the runner (or an app) tells a compaction session when asking it to compact.
 * Names follow `@openai/agents`' `OpenAIResponsesCompactionArgs`.
 */
export interface CompactionArgs {
  /**
   * The id of the Responses API response that produced the newest saved items. Only given
   * when that response's input was the session's whole history (no `limit` window, no
   * `sessionInputCallback`), so `previous_response_id` compaction covers everything.
   */
  responseId?: string
  /**
   * Whether that response was stored server-side. `false` means `responseId` names nothing
   * the API can find, so compaction must send the items instead (openai-agents-python #2333).
   * @default true (the API's default)
   */
  store?: boolean
  /** Overrides the session's configured mode for this call. */
  compactionMode?: CompactionMode
  /** Compact now, whatever the trigger says; failures are thrown instead of reported. */
  force?: boolean
  /** Usage of the request that produced the newest saved items; refines the token estimate. */
  usage?: ReportedUsage
}

/** How `responses.compact` is given the history. */
export type CompactionMode = 'auto' | 'previous_response_id' | 'input'

/** What a compaction that ran reports. */
export interface CompactionResult {
  /** Items in the model-facing history before compaction. */
  itemsBefore: number
  /** Items in it afterwards (compacted prefix plus anything added meanwhile). */
  itemsAfter: number
  /** Estimated tokens of the model-facing history before and after. */
  tokensBefore: number
  tokensAfter: number
  /** How the history was sent to the compaction call (`'summary'` for summarizing sessions). */
  mode: 'previous_response_id' | 'input' | 'summary'
  /** Usage the compaction call itself reported, when it did. */
  usage?: ReportedUsage
}

/**
 * A session that can shrink its model-facing history after a turn. The runner calls
 * {@link CompactionAwareSession.runCompaction} once a run has saved its last turn; apps may
 * call it between turns (`{ force: true }` to compact now).
 *
 * Implementations must leave stored history untouched when compaction fails, and must keep
 * items added while a compaction runs after the compacted prefix.
 */
export interface CompactionAwareSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Compacts when the session's trigger fires (always with `force`). Resolves to what was
   * done, or `null` when nothing was (trigger did not fire, or a failure was reported
   * instead of thrown — see the implementation).
   */
  runCompaction(args?: CompactionArgs): Promise<CompactionResult | null>
}

/** True when `session` implements {@link CompactionAwareSession}. */
export function isCompactionAwareSession<TItem>(session: Session<TItem>): session is CompactionAwareSession<TItem> {
  return typeof (session as Partial<CompactionAwareSession<TItem>>).runCompaction === 'function'
}

/**
 * A compaction did not happen. The transcript is never touched by compaction, and the
 * model-facing history is what it was before (the message says so when that could not be
 * kept). `cause` holds the API or storage error. Compaction is retried after the next
 * turn, or call `runCompaction({ force: true })` again.
 */
export class CompactionError extends IdbAgentsError {
  /**
   * @param message - what failed and what to do
   * @param cause - the underlying error
   * @param historyUnchanged - appends that the stored history is unchanged @default true
   */
  constructor(message: string, cause?: unknown, historyUnchanged = true) {
    super('compaction_failed', historyUnchanged ? `${message} The stored history is unchanged.` : message, { cause })
  }
}
