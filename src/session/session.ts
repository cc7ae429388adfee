import type { AgentItem } from '../items/items.js'
import type { TurnInfo, TurnMatch, UsageTotals } from './turns.js'
import { toStoredItems } from '../items/items.js'
import { InvalidArgumentError } from '../errors.js'

/**
 * Settings every session accepts.
 */
export interface SessionSettings {
  /**
   * Default window for {@link Session.getItems}: how many of the newest items it returns
   * when called without an argument. An explicit `getItems(limit)` wins.
   * @default undefined (all items)
   */
  limit?: number
}

/**
 * Where an agent's conversation history lives between runs: the browser twin of the
 * Python SDK's `SessionABC` and a drop-in for `@openai/agents`' `Session`.
 *
 * Implementations must:
 * - store items in the order given and hand back equal copies, never the caller's objects;
 * - make `addItems` all-or-nothing (a rejected batch leaves what was stored untouched),
 *   and keep each call's items contiguous and in order under concurrent calls;
 * - never return the same item from two concurrent `popItem` calls;
 * - keep sessions with different ids fully isolated.
 *
 * `describeSessionConformance` from `idb-agents/testing` checks all of this for any
 * implementation, including your own.
 *
 * @typeParam TItem - the stored item type; {@link AgentItem} unless you store something else
 */
export interface Session<TItem = AgentItem> {
  /** The id that isolates this conversation from every other one. */
  readonly sessionId: string

  /** Resolves to {@link Session.sessionId}; for `@openai/agents` compatibility. */
  getSessionId(): Promise<string>

  /**
   * The newest `limit` items, oldest first; all items when `limit` is omitted and no
   * {@link SessionSettings.limit} is set; `[]` when `limit <= 0`.
   */
  getItems(limit?: number): Promise<TItem[]>

  /** Appends `items` in order, all or nothing. An empty array is a no-op. */
  addItems(items: TItem[]): Promise<void>

  /** Removes and returns the newest item, or `undefined` when the session is empty. */
  popItem(): Promise<TItem | undefined>

  /** Deletes every item of this session. */
  clearSession(): Promise<void>
}

/**
 * The number of newest items `getItems` should return: the explicit `limit` when given,
 * else `settings.limit`, else `Infinity` (all). Results `<= 0` mean "none".
 *
 * @throws {@link InvalidArgumentError} for `NaN` or a non-integer finite limit.
 */
export function resolveLimit(limit: number | undefined, settings: SessionSettings | undefined): number {
  const chosen = limit ?? settings?.limit
  if (chosen === undefined) return Infinity
  if (typeof chosen !== 'number' || Number.isNaN(chosen) || (Number.isFinite(chosen) && !Number.isInteger(chosen))) {
    throw new InvalidArgumentError(`limit must be an integer or Infinity, got ${String(chosen)}`)
  }
  return Math.max(0, chosen)
}

/** Checks a session id: a non-empty string. */
export function assertSessionId(sessionId: unknown): asserts sessionId is string {
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw new InvalidArgumentError(`sessionId must be a non-empty string, got ${JSON.stringify(sessionId) ?? String(sessionId)}`)
  }
}

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
  return typeof (session as Partial<ReplaceableSession<TItem>>).replaceItems === 'function'
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

/** Anything carrying a run's usage, such as the runner's `RunResult`. */
export interface RunUsageSource {
  usage: UsageTotals
}

/** A session that records token usage per turn. */
export interface UsageTrackingSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Adds a run's usage to the newest turn of the current branch (several runs of one turn
   * add up). The runner calls it by itself when given such a session.
   */
  storeRunUsage(result: RunUsageSource): Promise<void>
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
  return typeof (session as Partial<BranchingSession<TItem>>).createBranchFromTurn === 'function'
}

/** True when `session` implements {@link UsageTrackingSession}. */
export function isUsageTrackingSession<TItem>(session: Session<TItem>): session is UsageTrackingSession<TItem> {
  return typeof (session as Partial<UsageTrackingSession<TItem>>).storeRunUsage === 'function'
}

/** Checks a usage source and returns its totals. */
export function usageOf(result: RunUsageSource): UsageTotals {
  const usage = (result as Partial<RunUsageSource> | undefined)?.usage
  const read = (key: keyof UsageTotals): number => {
    const value = usage?.[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`storeRunUsage expects a run result with usage.${key} as a number >= 0, got ${String(value)}`)
    }
    return value
  }
  return { requests: read('requests'), inputTokens: read('inputTokens'), outputTokens: read('outputTokens'), totalTokens: read('totalTokens') }
}

/** Checks a turn number against the number of turns. */
export function assertTurn(turn: number, turnCount: number): void {
  if (!Number.isInteger(turn) || turn < 1 || turn > turnCount) {
    throw new InvalidArgumentError(
      turnCount === 0
        ? `turn ${String(turn)} does not exist: the current branch has no turns yet`
        : `turn must be an integer from 1 to ${turnCount} (the current branch's turns), got ${String(turn)}`,
    )
  }
}

/**
 * A session whose stored items can be rewritten in place — every item of every branch,
 * keeping order, branches, times and usage — as encryption key rotation needs.
 */
export interface RewritableSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Hands every stored item of every branch (each once, oldest first) to `rewrite` and
   * stores what it returns in their place, all or nothing. `rewrite` may be slow and async
   * (WebCrypto): it runs before any transaction opens, and when another writer changes the
   * session meanwhile it runs again on the new items.
   *
   * @param rewrite - returns one item per item given, in the same order (turns are numbered
   *   again from the results)
   * @throws {@link InvalidArgumentError} when `rewrite` returns a different number of
   *   items; `InvalidItemError` for non-JSON results. Nothing is changed then.
   */
  rewriteItems(rewrite: (items: TItem[]) => Promise<TItem[]>): Promise<void>
}

/** True when `session` implements {@link RewritableSession}. */
export function isRewritableSession<TItem>(session: Session<TItem>): session is RewritableSession<TItem> {
  return typeof (session as Partial<RewritableSession<TItem>>).rewriteItems === 'function'
}

/** Runs a {@link RewritableSession.rewriteItems} callback and checks its result: as many items, plain JSON. */
export async function checkedRewrite<TItem>(items: TItem[], rewrite: (items: TItem[]) => Promise<TItem[]>): Promise<TItem[]> {
  const next = await rewrite(items)
  if (!Array.isArray(next) || next.length !== items.length) {
    throw new InvalidArgumentError(
      `rewriteItems: the rewrite returned ${Array.isArray(next) ? next.length : 'no'} items for ${items.length}; it must return one per item. Nothing was changed.`,
    )
  }
  const stored = toStoredItems(next)
  return stored
}
