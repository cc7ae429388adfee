// What a session may offer beyond the Session contract. Each capability is an interface
// with an `is…Session()` guard; the runner, decorators and helpers look for capabilities
// here, never for a concrete class.
import { InvalidArgumentError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import type { SealedLabel } from './labels.js'
import type { Session } from './session.js'
import type { TimedItem, TurnInfo, TurnMatch } from './turns.js'
import type { ToolUsage } from './tool-usage.js'
import type { RequestUsage, RunUsageSource, UsageTotals } from './usage.js'

/**
 * A session that can replace its whole history in one atomic step: afterwards it holds
 * exactly `items`, or, if the call fails, exactly what it held before. Compaction and key
 * rotation use it so that a failure never leaves half a history.
 */
export interface ReplaceableSession<TItem = AgentItem> extends Session<TItem> {
  /** Replaces every item of the session with `items`, all or nothing. */
  replaceItems(items: TItem[]): Promise<void>
}

/** True when `session` implements {@link ReplaceableSession}. */
export function isReplaceableSession<TItem>(session: Session<TItem>): session is ReplaceableSession<TItem> {
  return hasMethod(session, 'replaceItems')
}

/** One branch of a session, as listed by {@link BranchingSession.listBranches}. */
export interface BranchInfo {
  /** Stable id; `'main'` for the branch every session starts with. */
  id: string
  name: string
  /** The branch it was created from; `null` for `main`. */
  parentId: string | null
  /** The turn it was created from (its first own turn); `null` for `main`. */
  forkTurn: number | null
  /** Items the branch shows, inherited ones included. */
  itemCount: number
  /** Turns the branch shows. */
  turnCount: number
  /** Whether `getItems`/`addItems`/`popItem`/`clearSession` act on this branch. */
  current: boolean
  createdAt: number
  /**
   * The name as stored when it is sealed (encrypted by `EncryptedSession`, see
   * `SealedLabel`): `name` is then `''`. An `EncryptedSession` lists the opened name instead.
   */
  sealedName?: SealedLabel
}

/**
 * A session whose history can fork: edit an earlier message and regenerate, keeping both
 * versions (the Python SDK's AdvancedSQLiteSession). A turn starts at each user message.
 * `getItems`, `addItems`, `popItem` and `clearSession` act on the current branch; no
 * operation on one branch changes what another branch shows.
 */
export interface BranchingSession<TItem = AgentItem> extends Session<TItem> {
  /** The turns of the current branch, oldest first. Reads the whole branch. */
  getTurns(): Promise<TurnInfo[]>
  /**
   * Every item of the current branch, oldest first, with the time it was stored and, on
   * each turn's user message, the turn's usage: what turns and search are computed from,
   * read in one step.
   */
  getTimedItems(): Promise<TimedItem<TItem>[]>
  /**
   * Creates a branch holding everything before `turn` of the current branch and makes it
   * current, ready for the edited message. Copies no history.
   * @param turn - 1-based turn number on the current branch
   * @param name - shown in branch lists; defaults to `turn-<turn>`
   * @returns the new branch's id
   */
  createBranchFromTurn(turn: number, name?: string): Promise<string>
  /** Makes `branchId` the current branch. */
  switchToBranch(branchId: string): Promise<void>
  /** Every branch of the session, oldest first. */
  listBranches(): Promise<BranchInfo[]>
  /** The current branch's id. */
  getCurrentBranchId(): Promise<string>
  /**
   * Deletes a branch. `main` cannot be deleted. Items another branch still shows are kept;
   * branches created from this one stay whole. Deleting the current branch makes its
   * parent current.
   */
  deleteBranch(branchId: string): Promise<void>
  /**
   * Turns of the current branch whose user or assistant text contains `text`
   * (case-insensitive). Reads the whole branch.
   */
  findTurns(text: string): Promise<TurnMatch[]>
}

/** A session that records token usage per turn. */
export interface UsageTrackingSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Adds a run's usage to the newest turn of the current branch (several runs of one turn
   * add up). The runner calls it by itself when given such a session.
   */
  storeRunUsage(result: RunUsageSource): Promise<void>
  /**
   * Appends `items` (all or nothing, as `addItems`) and adds `usage` to the newest turn of
   * the current branch once they are in, in one step: the runner saves a run's last turn
   * and its usage together this way.
   */
  addItemsWithUsage(items: TItem[], usage: UsageTotals): Promise<void>
  /**
   * Usage summed over the whole session, or over the turns one branch shows.
   * @param options.branchId - sum only this branch's turns
   */
  getSessionUsage(options?: { branchId?: string }): Promise<UsageTotals>
  /** Usage of every turn of the current branch that has some. */
  getTurnUsage(): Promise<Array<{ turn: number; usage: UsageTotals }>>
  /** Usage of one turn of the current branch, `undefined` when none was recorded. */
  getTurnUsage(turn: number): Promise<UsageTotals | undefined>
}

/** True when `session` implements {@link BranchingSession}. */
export function isBranchingSession<TItem>(session: Session<TItem>): session is BranchingSession<TItem> {
  return hasMethod(session, 'createBranchFromTurn')
}

/** True when `session` implements {@link UsageTrackingSession}. */
export function isUsageTrackingSession<TItem>(session: Session<TItem>): session is UsageTrackingSession<TItem> {
  return hasMethod(session, 'storeRunUsage')
}

/** Checks a turn number against the number of turns. */
export function assertTurn(turn: number, turnCount: number): void {
  if (!Number.isInteger(turn) || turn < 1 || turn > turnCount) {
    throw new InvalidArgumentError(
      turnCount === 0
        ? `turn ${String(turn)} does not exist: the current branch has no turns yet.`
        : `turn must be an integer from 1 to ${turnCount} (the current branch's turns), got ${String(turn)}.`,
    )
  }
}

/**
 * What `getTurnUsage` answers, from the listed turns of the current branch: every turn that
 * has usage (no `turn`), or the usage of `turn` (checked by {@link assertTurn}). Copies.
 */
export function turnUsageOf(turns: readonly TurnInfo[]): Array<{ turn: number; usage: UsageTotals }>
export function turnUsageOf(turns: readonly TurnInfo[], turn: number): UsageTotals | undefined
export function turnUsageOf(turns: readonly TurnInfo[], turn?: number): Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined
export function turnUsageOf(turns: readonly TurnInfo[], turn?: number): Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined {
  if (turn === undefined) return turns.flatMap((info) => (info.usage ? [{ turn: info.turn, usage: { ...info.usage } }] : []))
  assertTurn(turn, turns.length)
  const usage = turns[turn - 1]!.usage
  return usage && { ...usage }
}

/**
 * Rewrites stored items in place (see {@link RewritableSession.rewriteItems}).
 * @param items - every stored item of every branch, each once, oldest first
 * @param positions - for each item, its 0-based position in the branches that show it (an
 *   item sits at the same position in every branch that shows it, since branches share
 *   prefixes); `-1` for an item no branch shows (left over, never read)
 * @returns one item per item given, in the same order
 */
export type RewriteItems<TItem> = (items: TItem[], positions: number[]) => Promise<TItem[]>

/**
 * A session whose stored items can be rewritten in place — every item of every branch,
 * keeping order, branches, times and usage — as encryption key rotation needs.
 */
export interface RewritableSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Hands every stored item of every branch (each once, oldest first), with its position,
   * to `rewrite` and stores what it returns in their place, all or nothing. `rewrite` may be
   * slow and async (WebCrypto): it runs before any transaction opens, and when another
   * writer changes the session meanwhile it runs again on the new items.
   *
   * @param rewrite - returns one item per item given, in the same order (turns are numbered
   *   again from the results)
   * @throws {@link InvalidArgumentError} when `rewrite` returns a different number of
   *   items; `InvalidItemError` for non-JSON results. Nothing is changed then.
   */
  rewriteItems(rewrite: RewriteItems<TItem>): Promise<void>
}

/** True when `session` implements {@link RewritableSession}. */
export function isRewritableSession<TItem>(session: Session<TItem>): session is RewritableSession<TItem> {
  return hasMethod(session, 'rewriteItems')
}

/** Runs a {@link RewritableSession.rewriteItems} callback and checks its result: as many items, plain JSON. */
export async function checkedRewrite<TItem>(items: TItem[], positions: number[], rewrite: RewriteItems<TItem>): Promise<TItem[]> {
  const next = await rewrite(items, positions)
  if (!Array.isArray(next) || next.length !== items.length) {
    throw new InvalidArgumentError(
      `rewriteItems: the rewrite returned ${Array.isArray(next) ? next.length : 'no'} items for ${items.length}; it must return one per item. Nothing was changed.`,
    )
  }
  return toStoredItems(next)
}

function hasMethod(session: object | null | undefined, name: string): boolean {
  return session != null && typeof (session as Record<string, unknown>)[name] === 'function'
}

/** Where an {@link IndexedDBBackedSession} keeps its items. */
export interface IndexedDBLocation {
  /** The database name. */
  readonly dbName: string
  /** The IndexedDB factory holding it, when not the global `indexedDB` (a Storage Bucket's). */
  readonly indexedDB?: IDBFactory | undefined
}

/**
 * A session that stores its items, as given, in an IndexedDB database. Helpers that work
 * on the database itself find it here: `exportSession` of an encrypted session, the
 * default pending-input store of the runner (input is kept in clear, so only for sessions
 * that keep clear text anyway), the default store of a compacted view. A decorator that
 * transforms items (encryption) does not offer it.
 */
export interface IndexedDBBackedSession<TItem = AgentItem> extends Session<TItem> {
  /** The database holding this session's items. */
  readonly indexedDBLocation: IndexedDBLocation
}

/** True when `session` implements {@link IndexedDBBackedSession}. */
export function isIndexedDBBackedSession<TItem>(session: Session<TItem>): session is IndexedDBBackedSession<TItem> {
  const location = (session as Partial<IndexedDBBackedSession<TItem>>).indexedDBLocation
  return typeof location === 'object' && location !== null && typeof location.dbName === 'string'
}

/** How `responses.compact` is given the history. */
export type CompactionMode = 'auto' | 'previous_response_id' | 'input'

/**
 * What the runner (or an app) tells a compaction session when asking it to compact: the
 * twin of `@openai/agents`' `OpenAIResponsesCompactionArgs`, plus the usage of the request.
 */
export interface OpenAIResponsesCompactionArgs {
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
  usage?: RequestUsage
}

/** What a compaction that ran reports: `@openai/agents`' `OpenAIResponsesCompactionResult` and more. */
export interface OpenAIResponsesCompactionResult {
  /**
   * Usage of the compaction call itself (zero when it made none or the server reported
   * none). The runner adds it to the run's usage and to the session's stored usage.
   */
  usage: RequestUsage
  /** Items in the model-facing history before compaction. */
  itemsBefore: number
  /** Items in it afterwards (compacted prefix plus anything added meanwhile). */
  itemsAfter: number
  /** Estimated tokens of the model-facing history before compaction. */
  tokensBefore: number
  /** Estimated tokens of the model-facing history after compaction. */
  tokensAfter: number
  /** How the history was sent to the compaction call (`'summary'` for summarizing sessions). */
  mode: 'previous_response_id' | 'input' | 'summary'
}

/**
 * A session that can shrink its model-facing history after a turn (`@openai/agents`' name).
 * The runner calls {@link OpenAIResponsesCompactionAwareSession.runCompaction} once a run has
 * saved its last turn; apps may call it between turns (`{ force: true }` to compact now).
 *
 * Implementations must leave stored history untouched when compaction fails, and must keep
 * items added while a compaction runs after the compacted prefix.
 */
export interface OpenAIResponsesCompactionAwareSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Compacts when the session's trigger fires (always with `force`). Resolves to what was
   * done, or `null` when nothing was (the trigger did not fire, or a failure was reported
   * instead of thrown — see the implementation).
   */
  runCompaction(args?: OpenAIResponsesCompactionArgs): Promise<OpenAIResponsesCompactionResult | null>
}

/**
 * True when `session` implements {@link OpenAIResponsesCompactionAwareSession}; false for
 * `undefined` (no session), as in `@openai/agents`.
 */
export function isOpenAIResponsesCompactionAwareSession<TItem>(
  session: Session<TItem> | undefined,
): session is OpenAIResponsesCompactionAwareSession<TItem> {
  return hasMethod(session, 'runCompaction')
}

/**
 * A session that knows how many items its current branch shows without reading them: what
 * `retryPending` needs to note where an input will land, and what position-bound encryption
 * needs to seal the next item.
 */
export interface CountingSession<TItem = AgentItem> extends Session<TItem> {
  /** How many items `getItems()` (no limit, no default window) would return. */
  getItemCount(): Promise<number>
}

/** True when `session` implements {@link CountingSession}. */
export function isCountingSession<TItem>(session: Session<TItem>): session is CountingSession<TItem> {
  return hasMethod(session, 'getItemCount')
}

/**
 * A session that appends at a position it checks, in the same step as the write: what
 * position-bound encryption (`EncryptedSession`) needs to seal each item with the position
 * it will have, without reading the history first, when other tabs write too.
 */
export interface PositionalSession<TItem = AgentItem> extends CountingSession<TItem> {
  /**
   * Appends `items` (all or nothing, as `addItems`) only if the current branch holds exactly
   * `position` items; with `usage`, adds it to the newest turn once they are in, in the same
   * write (as {@link UsageTrackingSession.addItemsWithUsage}).
   *
   * @param position - how many items the caller expects the current branch to hold
   * @throws `PositionConflictError` when it holds another number (another writer was
   *   first); {@link InvalidArgumentError} for a position that is not a non-negative
   *   integer; `InvalidItemError` for an item that is not plain JSON. Nothing is written then.
   */
  addItemsAt(position: number, items: TItem[], usage?: UsageTotals): Promise<void>
}

/** True when `session` implements {@link PositionalSession}. */
export function isPositionalSession<TItem>(session: Session<TItem>): session is PositionalSession<TItem> {
  return hasMethod(session, 'addItemsAt') && hasMethod(session, 'getItemCount')
}

/**
 * Sealed items of a write not yet on the server that moved: a synced store put other
 * devices' items before them (the rebase), so they sit at new positions. See
 * {@link ResealingSession}.
 */
export interface ResealRequest {
  /** The stored items (envelopes), as written at `from`, `from + 1`, … */
  items: unknown[]
  /** The position the first item was sealed for. */
  from: number
  /** The position the first item has now. */
  to: number
}

/**
 * Seals `items` again for their new positions: resolves with as many items, in order, the
 * first sealed at `to`. Must reject (storing nothing) when an item does not open, or was not
 * sealed at exactly `from + i`: only items that legitimately moved are sealed again.
 */
export type ResealHandler = (request: ResealRequest) => Promise<unknown[]>

/**
 * A store whose pending items can move under the caller (a local-first `SyncedSession`
 * rebasing this device's writes behind other devices'): position-bound encryption
 * (`EncryptedSession`) registers a {@link ResealHandler}, and the store hands it the moved
 * items before they reach the server or are read here.
 */
export interface ResealingSession<TItem = AgentItem> extends PositionalSession<TItem> {
  /**
   * Sets the handler that seals moved items again (`undefined`: none; moved items then wait,
   * kept, until one is set). One per session object; the last one set wins.
   */
  setResealHandler(handler: ResealHandler | undefined): void
}

/** True when `session` implements {@link ResealingSession}. */
export function isResealingSession<TItem>(session: Session<TItem>): session is ResealingSession<TItem> {
  return hasMethod(session, 'setResealHandler') && isPositionalSession(session)
}

/** Checks the `position` of {@link PositionalSession.addItemsAt}. */
export function assertPosition(position: unknown): asserts position is number {
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    throw new InvalidArgumentError(`position must be a non-negative integer, got ${String(position)}`)
  }
}

/** `@openai/agents`' `replace_function_call` mutation: the function call with `callId` becomes `replacement`. */
export interface SessionHistoryReplaceFunctionCallMutation<TItem = AgentItem> {
  type: 'replace_function_call'
  /** The call id of the stored `function_call` (its `callId`, or `call_id` in the API's wire names). */
  callId: string
  /** The `function_call` item stored in its place. */
  replacement: TItem
}

/** A change of stored items in place (`@openai/agents`' `SessionHistoryMutation`). */
export type SessionHistoryMutation<TItem = AgentItem> = SessionHistoryReplaceFunctionCallMutation<TItem>

/** What {@link SessionHistoryRewriteAwareSession.applyHistoryMutations} takes. */
export interface SessionHistoryRewriteArgs<TItem = AgentItem> {
  mutations: SessionHistoryMutation<TItem>[]
}

/**
 * A session whose stored items can be changed in place (`@openai/agents`' name): the
 * runner's `replace_function_call`, for a tool call whose arguments were rewritten.
 */
export interface SessionHistoryRewriteAwareSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Applies `mutations` in order to the current branch, all or nothing. `replace_function_call`
   * puts `replacement` where the first `function_call` with that call id is and drops later
   * ones with the same id; a call id that is not stored changes nothing. Items before the
   * first changed one keep their times and turn usage; the changed one and those after it
   * are stored again (as a `replace_suffix` would).
   * @throws {@link InvalidArgumentError} for a malformed mutation; `InvalidItemError` for a
   *   replacement that is not a plain-JSON `function_call`; {@link HistorySuffixMismatchError}
   *   when another writer changed the history meanwhile. Nothing is changed then.
   */
  applyHistoryMutations(args: SessionHistoryRewriteArgs<TItem>): Promise<void>
}

/** `@openai/agents`' `append_items` history transaction. */
export interface SessionHistoryAppendItemsTransaction<TItem = AgentItem> {
  type: 'append_items'
  items: TItem[]
}

/** `@openai/agents`' `replace_suffix` history transaction: the newest `expectedSuffix.length` items become `replacement`. */
export interface SessionHistoryReplaceSuffixTransaction<TItem = AgentItem> {
  type: 'replace_suffix'
  /** The newest items of the current branch as the caller last saw them (compared as JSON). */
  expectedSuffix: TItem[]
  replacement: TItem[]
}

/** One atomic change of history (`@openai/agents`' `SessionHistoryTransaction`). */
export type SessionHistoryTransaction<TItem = AgentItem> = SessionHistoryAppendItemsTransaction<TItem> | SessionHistoryReplaceSuffixTransaction<TItem>

/** What {@link SessionHistoryTransactionAwareSession.applyHistoryTransaction} takes. */
export interface SessionHistoryTransactionArgs<TItem = AgentItem> {
  /** A non-empty id that stays the same when this transaction is retried. */
  operationId: string
  transaction: SessionHistoryTransaction<TItem>
}

/**
 * A session that applies history changes atomically and idempotently per operation id
 * (`@openai/agents`' `SessionHistoryTransactionAwareSession`). The SDK's runner keeps a
 * pending write in its `RunState` and resumes it safely only on such a session.
 *
 * Implementations must store the operation id together with the change (one IndexedDB
 * transaction here), so that:
 * - the same operation id with the same transaction (compared as JSON) is a no-op;
 * - the same operation id with another transaction is a {@link HistoryOperationConflictError};
 * - a `replace_suffix` whose `expectedSuffix` is not the newest items of the current
 *   branch is a {@link HistorySuffixMismatchError};
 * and in every failure nothing stored changes and the operation id is not recorded.
 */
export interface SessionHistoryTransactionAwareSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Applies `args.transaction` to the current branch once per `args.operationId`.
   * @param runContext - the SDK runner's run context; not needed by idb-agents' stores, ignored
   * @throws {@link HistoryOperationConflictError}, {@link HistorySuffixMismatchError};
   *   {@link InvalidArgumentError} for an empty operation id, an unknown transaction type or
   *   fields; `InvalidItemError` for items that are not plain JSON. Nothing is changed then.
   */
  applyHistoryTransaction(args: SessionHistoryTransactionArgs<TItem>, runContext?: unknown): Promise<void>
}

/**
 * A session that can replace its history with a compaction item and what follows it, in one
 * step (`@openai/agents`' optional `replaceHistoryWithCompaction`): the runner then does not
 * fall back to clearing and re-adding.
 */
export interface CompactionReplaceableSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Replaces the current branch's items with `items`, whose first item is a `compaction`
   * item, all or nothing.
   * @param runContext - the SDK runner's run context; ignored
   * @throws {@link InvalidArgumentError} when `items` is empty or does not start with a
   *   `compaction` item; `InvalidItemError` for items that are not plain JSON. Nothing is changed then.
   */
  replaceHistoryWithCompaction(items: TItem[], runContext?: unknown): Promise<void>
}

/**
 * True when `session` implements {@link SessionHistoryTransactionAwareSession}; false for
 * `undefined` (no session), as in `@openai/agents`.
 */
export function isSessionHistoryTransactionAwareSession<TItem>(session: Session<TItem> | undefined): session is SessionHistoryTransactionAwareSession<TItem> {
  return hasMethod(session, 'applyHistoryTransaction')
}

/**
 * True when `session` implements {@link SessionHistoryRewriteAwareSession}; false for
 * `undefined` (no session), as in `@openai/agents`.
 */
export function isSessionHistoryRewriteAwareSession<TItem>(session: Session<TItem> | undefined): session is SessionHistoryRewriteAwareSession<TItem> {
  return hasMethod(session, 'applyHistoryMutations')
}

/** True when `session` implements {@link CompactionReplaceableSession}. */
export function isCompactionReplaceableSession<TItem>(session: Session<TItem>): session is CompactionReplaceableSession<TItem> {
  return hasMethod(session, 'replaceHistoryWithCompaction')
}

/**
 * One replacement of the newest items of the current branch, checked in the same step as
 * the write: what the history transactions above are built on (see {@link SuffixReplaceableSession}).
 */
export interface SuffixReplacement<TItem = AgentItem> {
  /** When given, how many items the current branch must hold (else `PositionConflictError`). */
  at?: number
  /** The newest items of the current branch, exactly as stored (compared as JSON). */
  expectedSuffix: TItem[]
  /** What they are replaced with. */
  replacement: TItem[]
  /**
   * Records `operationId` with `fingerprint` in the same write. An id recorded already makes
   * the call a no-op when its fingerprint is the same, else a `HistoryOperationConflictError`.
   */
  operation?: { operationId: string; fingerprint: string }
}

/**
 * A session that replaces its newest items with a check of what they are, and records
 * operation ids, in one write: what history transactions and `EncryptedSession`'s sealed
 * transactions are built on.
 */
export interface SuffixReplaceableSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Applies `change` to the current branch, all or nothing.
   * @returns `false` when `change.operation` was recorded already with the same fingerprint (nothing done)
   * @throws `HistorySuffixMismatchError`, `HistoryOperationConflictError`, `PositionConflictError`; nothing changed then
   */
  replaceSuffix(change: SuffixReplacement<TItem>): Promise<boolean>
  /** The fingerprint recorded with `operationId`, `undefined` when none is. */
  getHistoryOperation(operationId: string): Promise<string | undefined>
}

/** True when `session` implements {@link SuffixReplaceableSession}. */
export function isSuffixReplaceableSession<TItem>(session: Session<TItem>): session is SuffixReplaceableSession<TItem> {
  return hasMethod(session, 'replaceSuffix') && hasMethod(session, 'getHistoryOperation')
}

/** A session that counts tool calls per tool per turn (the Python SDK's `get_tool_usage`). */
export interface ToolUsageSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Tool calls of the current branch counted per tool name per turn, ordered by turn (see
   * `ToolUsage`). Reads the whole branch.
   */
  getToolUsage(): Promise<ToolUsage[]>
}

/** True when `session` implements {@link ToolUsageSession}. */
export function isToolUsageSession<TItem>(session: Session<TItem>): session is ToolUsageSession<TItem> {
  return hasMethod(session, 'getToolUsage')
}

/** A branching session that branches from a turn found by its text (the Python SDK's `create_branch_from_content`). */
export interface ContentBranchingSession<TItem = AgentItem> extends BranchingSession<TItem> {
  /**
   * Creates a branch from the first turn of the current branch whose user message contains
   * `text` (case-insensitive), as {@link BranchingSession.createBranchFromTurn} does, and
   * makes it current.
   * @param name - shown in branch lists; defaults to `turn-<turn>`
   * @returns the new branch's id
   * @throws `TurnNotFoundError` when no user message contains `text`;
   *   {@link InvalidArgumentError} for an empty or non-string text. Nothing is created then.
   */
  createBranchFromContent(text: string, name?: string): Promise<string>
}

/** True when `session` implements {@link ContentBranchingSession}. */
export function isContentBranchingSession<TItem>(session: Session<TItem>): session is ContentBranchingSession<TItem> {
  return hasMethod(session, 'createBranchFromContent') && hasMethod(session, 'createBranchFromTurn')

}

/**
 * A run paused for tool approvals, kept with its session (see {@link PendingRunsSession}).
 * The session stores it as given and never looks inside `state`.
 */
export interface PendingRun {
  /** New for every pause; what {@link PendingRunUpdate.expected} compares. */
  runId: string
  /** The run state, serialized (`RunState.toString()`); an `EncryptedSession` seals it. */
  state: string
  /** When the run paused (ms since the epoch). */
  createdAt: number
}

/** One step of {@link PendingRunsSession.updatePendingRun}. */
export interface PendingRunUpdate<TItem = AgentItem> {
  /** The `runId` of the pending run the caller read; `null` when it expects none. */
  expected: string | null
  /** Whole turns to append in the same step (`[]` for none). */
  items: TItem[]
  /** The pending run to keep from now on, or `null` to keep none. */
  next: PendingRun | null
  /**
   * Only with a {@link PositionalSession}: append only if the current branch holds exactly
   * this many items (as `addItemsAt`).
   */
  position?: number
}

/**
 * A session that keeps a paused run (tool calls waiting for a person's approval) beside its
 * history, so that after a reload, in another tab or after a browser restart the app can
 * show the waiting approvals and resume (`RunState.fromSession`). The runner writes it;
 * apps only read it.
 *
 * Implementations keep at most one pending run per session, and must apply
 * {@link PendingRunsSession.updatePendingRun} in one atomic step.
 */
export interface PendingRunsSession<TItem = AgentItem> extends Session<TItem> {
  /** The paused run, or `undefined` when none is waiting. */
  getPendingRun(): Promise<PendingRun | undefined>
  /**
   * In one atomic step: checks that the pending run is `expected`, appends `items`, and
   * keeps `next` (or none). The runner saves a resumed turn and drops its pending run this
   * way, so a turn is never saved twice and a run never resumed twice.
   * @throws `PendingRunConflictError` when the pending run is not `expected`;
   *   `PositionConflictError` for a wrong `position`; `InvalidItemError` for an item that is
   *   not plain JSON. Nothing is written then.
   */
  updatePendingRun(update: PendingRunUpdate<TItem>): Promise<void>
}

/** True when `session` implements {@link PendingRunsSession}. */
export function isPendingRunsSession<TItem>(session: Session<TItem>): session is PendingRunsSession<TItem> {
  return hasMethod(session, 'getPendingRun') && hasMethod(session, 'updatePendingRun')
}

/** Checks and copies a {@link PendingRun} given to a session. */
export function checkedPendingRun(run: PendingRun | null): PendingRun | null {
  if (run === null) return null
  if (typeof run !== 'object' || typeof run.runId !== 'string' || run.runId === '' || typeof run.state !== 'string' || typeof run.createdAt !== 'number') {
    throw new InvalidArgumentError('A pending run needs a non-empty runId, a state string and a createdAt number.')
  }
  return { runId: run.runId, state: run.state, createdAt: run.createdAt }
}

/**
 * A session whose stored items carry metadata the model must not get back (`@openai/agents`'
 * optional `Session.prepareHistoryItemForModelInput`). The runner passes every history item
 * it sends through it; `getItems()` keeps returning the items as stored.
 */
export interface ModelInputPreparingSession<TItem = AgentItem> extends Session<TItem> {
  /** The item as it is sent to the model: a copy without what the model must not get back, or `item` itself. */
  prepareHistoryItemForModelInput(item: TItem): TItem
}

/** True when `session` implements {@link ModelInputPreparingSession}. */
export function isModelInputPreparingSession<TItem>(session: Session<TItem>): session is ModelInputPreparingSession<TItem> {
  return hasMethod(session, 'prepareHistoryItemForModelInput')
}
