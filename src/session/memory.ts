import { HistoryOperationConflictError, HistorySuffixMismatchError, InvalidArgumentError, PendingRunConflictError, PositionConflictError } from '../errors.js'
import { sameJson } from '../items/json.js'
import { isUserMessage } from '../items/predicates.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import {
  turnUsageOf,
  assertPosition,
  assertTurn,
  checkedPendingRun,
  checkedRewrite,
  type BranchInfo,
  type CompactionReplaceableSession,
  type ContentBranchingSession,
  type PendingRun,
  type PendingRunsSession,
  type PendingRunUpdate,
  type PositionalSession,
  type ReplaceableSession,
  type RewritableSession,
  type RewriteItems,
  type SessionHistoryRewriteArgs,
  type SessionHistoryRewriteAwareSession,
  type SessionHistoryTransactionArgs,
  type SessionHistoryTransactionAwareSession,
  type SuffixReplaceableSession,
  type SuffixReplacement,
  type ToolUsageSession,
  type UsageTrackingSession,
} from './capabilities.js'
import { assertSearchText, toolUsageOf, turnWithUserText, type ToolUsage } from './tool-usage.js'
import { historyMethods, type HistoryMethods } from './history.js'
import { assertNewBranchId, copySealedLabel, type SealedBranchNamesSession, type SealedLabel } from './labels.js'
import { assertSessionId, resolveLimit, type SessionSettings } from './session.js'
import { findInTurns, listTurns, type TimedItem, type TurnInfo, type TurnMatch } from './turns.js'
import { addUsage, NO_USAGE, usageOf, type RunUsageSource, type UsageTotals } from './usage.js'

/** Options of {@link MemorySession}. */
export interface MemorySessionOptions {
  /** Default window for `getItems`. */
  settings?: SessionSettings
}

/** A stored item; branches share these objects, so usage recorded on a turn is seen by all. */
interface Entry extends TimedItem {
  usage?: UsageTotals
}

interface Branch {
  id: string
  name: string
  parentId: string | null
  forkTurn: number | null
  createdAt: number
  entries: Entry[]
  sealedName?: SealedLabel
}

const MAIN = 'main'

/**
 * A session kept in this page's memory: the twin of `SQLiteSession(id)` without a file.
 * Nothing survives a reload. Use it in tests, and as the fallback when IndexedDB is
 * unavailable (some private modes). It branches and records usage like
 * {@link IndexedDBSession}, so apps can be tested against it.
 *
 * Items are copied in and out: changing an object after `addItems`, or one returned by
 * `getItems`, changes nothing stored.
 */
export class MemorySession<TItem = AgentItem>
  implements
    ReplaceableSession<TItem>,
    RewritableSession<TItem>,
    SealedBranchNamesSession<TItem>,
    UsageTrackingSession<TItem>,
    PositionalSession<TItem>,
    SessionHistoryTransactionAwareSession<TItem>,
    SessionHistoryRewriteAwareSession<TItem>,
    CompactionReplaceableSession<TItem>,
    SuffixReplaceableSession<TItem>,
    ToolUsageSession<TItem>,
    ContentBranchingSession<TItem>,
    PendingRunsSession<TItem>
{
  readonly sessionId: string
  readonly #settings: SessionSettings | undefined
  readonly #branches = new Map<string, Branch>()
  #current: Branch
  #usageOutsideTurns: UsageTotals = NO_USAGE
  /** Operation ids of applied history transactions, with the branch they were applied on. */
  readonly #operations = new Map<string, { branch: Branch; fingerprint: string }>()
  readonly #history: HistoryMethods<TItem> = historyMethods<TItem>(this)
  #pendingRun: PendingRun | undefined

  /**
   * @param sessionId - isolates this conversation; a random id when omitted
   * @param options - default settings
   */
  constructor(sessionId: string = crypto.randomUUID(), options: MemorySessionOptions = {}) {
    assertSessionId(sessionId)
    this.sessionId = sessionId
    this.#settings = options.settings
    this.#current = { id: MAIN, name: MAIN, parentId: null, forkTurn: null, createdAt: Date.now(), entries: [] }
    this.#branches.set(MAIN, this.#current)
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  async getItems<T extends TItem = TItem>(limit?: number): Promise<T[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    const entries = this.#current.entries
    return structuredClone(entries.slice(Math.max(0, entries.length - count)).map((entry) => entry.item as T))
  }

  async getItemCount(): Promise<number> {
    return this.#current.entries.length
  }

  async addItems(items: TItem[]): Promise<void> {
    const now = Date.now()
    this.#current.entries.push(...toStoredItems(items).map((item) => ({ item, createdAt: now })))
  }

  /** Appends `items` if the current branch holds exactly `position` items (see {@link PositionalSession.addItemsAt}). */
  async addItemsAt(position: number, items: TItem[], usage?: UsageTotals): Promise<void> {
    assertPosition(position)
    const checked = usage === undefined ? undefined : usageOf({ usage })
    const stored = toStoredItems(items)
    const held = this.#current.entries.length
    if (held !== position) throw new PositionConflictError(this.sessionId, position, held)
    const now = Date.now()
    this.#current.entries.push(...stored.map((item) => ({ item, createdAt: now })))
    if (checked) this.#addUsage(checked)
  }

  /** The paused run kept with this session (see {@link PendingRunsSession.getPendingRun}). */
  async getPendingRun(): Promise<PendingRun | undefined> {
    return this.#pendingRun && { ...this.#pendingRun }
  }

  /** Checks, appends and keeps the next pending run in one step (see {@link PendingRunsSession.updatePendingRun}). */
  async updatePendingRun(update: PendingRunUpdate<TItem>): Promise<void> {
    const next = checkedPendingRun(update.next)
    const stored = toStoredItems(update.items)
    if (update.position !== undefined) assertPosition(update.position)
    const actual = this.#pendingRun?.runId ?? null
    if (actual !== update.expected) throw new PendingRunConflictError(this.sessionId, update.expected, actual)
    const held = this.#current.entries.length
    if (update.position !== undefined && held !== update.position) throw new PositionConflictError(this.sessionId, update.position, held)
    const now = Date.now()
    this.#current.entries.push(...stored.map((item) => ({ item, createdAt: now })))
    this.#pendingRun = next ?? undefined
  }

  async popItem<T extends TItem = TItem>(): Promise<T | undefined> {
    return structuredClone(this.#current.entries.pop()?.item as T | undefined)
  }

  async clearSession(): Promise<void> {
    this.#current.entries = []
    this.#forgetOperations(this.#current)
    this.#pendingRun = undefined // its turn would land on a history it was not made for
    if (this.#current.id === MAIN) this.#usageOutsideTurns = NO_USAGE
  }

  async replaceItems(items: TItem[]): Promise<void> {
    const now = Date.now()
    this.#current.entries = toStoredItems(items).map((item) => ({ item, createdAt: now }))
  }

  async rewriteItems(rewrite: RewriteItems<TItem>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = [...this.#branches.values()].map((branch) => ({ branch, entries: [...branch.entries] }))
      // Branches share their entries' objects at the same index: the first index found is everyone's.
      const positions = new Map<Entry, number>()
      for (const { entries } of snapshot) entries.forEach((entry, i) => positions.has(entry) || positions.set(entry, i))
      const entries = [...positions.keys()]
      const next = await checkedRewrite(
        structuredClone(entries.map((entry) => entry.item as TItem)),
        entries.map((entry) => positions.get(entry)!),
        rewrite,
      )
      const unchanged =
        snapshot.length === this.#branches.size &&
        snapshot.every(
          ({ branch, entries: before }) =>
            this.#branches.get(branch.id) === branch &&
            branch.entries.length === before.length &&
            branch.entries.every((entry, i) => entry === before[i]),
        )
      if (unchanged) {
        entries.forEach((entry, i) => {
          entry.item = next[i]
        })
        return
      }
      if (attempt === 3) {
        throw new InvalidArgumentError(`Session "${this.sessionId}" kept changing while its items were rewritten; nothing was changed. Try again.`)
      }
    }
  }

  async getTimedItems(): Promise<TimedItem<TItem>[]> {
    return structuredClone(this.#current.entries.map(({ item, createdAt, usage }) => ({ item: item as TItem, createdAt, usage })))
  }

  async getTurns(): Promise<TurnInfo[]> {
    return structuredClone(listTurns(this.#current.entries))
  }

  async findTurns(text: string): Promise<TurnMatch[]> {
    if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}.`)
    return structuredClone(findInTurns(this.#current.entries, text))
  }

  async createBranchFromTurn(turn: number, name?: string): Promise<string> {
    let id: string
    do id = `branch-${Math.random().toString(36).slice(2, 8)}`
    while (this.#branches.has(id))
    return this.#fork(turn, id, name ?? `turn-${turn}`)
  }

  /** See {@link ContentBranchingSession.createBranchFromContent}. */
  async createBranchFromContent(text: string, name?: string): Promise<string> {
    assertSearchText(text)
    const turn = turnWithUserText(this.sessionId, this.#current.entries.map((entry) => entry.item), text)
    return this.createBranchFromTurn(turn, name)
  }

  /** See {@link ToolUsageSession.getToolUsage}. */
  async getToolUsage(): Promise<ToolUsage[]> {
    return toolUsageOf(this.#current.entries.map((entry) => entry.item))
  }

  /** Creates a branch with a caller-chosen id and a sealed name; see {@link SealedBranchNamesSession.createSealedBranch}. */
  async createSealedBranch(turn: number, branchId: string, name: SealedLabel): Promise<string> {
    assertNewBranchId(branchId, (id) => this.#branches.has(id))
    return this.#fork(turn, branchId, '', copySealedLabel(name))
  }

  #fork(turn: number, id: string, name: string, sealedName?: SealedLabel): string {
    const starts = this.#turnStarts()
    assertTurn(turn, starts.length)
    const branch: Branch = {
      id,
      name,
      parentId: this.#current.id,
      forkTurn: turn,
      createdAt: Date.now(),
      entries: this.#current.entries.slice(0, starts[turn - 1]),
    }
    if (sealedName) branch.sealedName = sealedName
    this.#branches.set(id, branch)
    this.#current = branch
    return id
  }

  async switchToBranch(branchId: string): Promise<void> {
    this.#current = this.#branch(branchId)
  }

  async listBranches(): Promise<BranchInfo[]> {
    return [...this.#branches.values()].map((branch) => {
      const info: BranchInfo = {
        id: branch.id,
        name: branch.name,
        parentId: branch.parentId,
        forkTurn: branch.forkTurn,
        itemCount: branch.entries.length,
        turnCount: branch.entries.filter((entry) => isUserMessage(entry.item)).length,
        current: branch === this.#current,
        createdAt: branch.createdAt,
      }
      if (branch.sealedName) info.sealedName = copySealedLabel(branch.sealedName)
      return info
    })
  }

  async getCurrentBranchId(): Promise<string> {
    return this.#current.id
  }

  async deleteBranch(branchId: string): Promise<void> {
    if (branchId === MAIN) {
      throw new InvalidArgumentError(`The main branch of session "${this.sessionId}" cannot be deleted; use clearSession to empty it.`)
    }
    const branch = this.#branch(branchId)
    this.#branches.delete(branchId)
    this.#forgetOperations(branch)
    for (const child of this.#branches.values()) if (child.parentId === branchId) child.parentId = branch.parentId
    if (this.#current === branch) this.#current = this.#branches.get(branch.parentId ?? MAIN) ?? this.#branches.get(MAIN)!
  }

  async addItemsWithUsage(items: TItem[], usage: UsageTotals): Promise<void> {
    const checked = usageOf({ usage })
    await this.addItems(items)
    this.#addUsage(checked)
  }

  async storeRunUsage(result: RunUsageSource): Promise<void> {
    this.#addUsage(usageOf(result))
  }

  #addUsage(usage: UsageTotals): void {
    const starts = this.#turnStarts()
    const last = starts[starts.length - 1]
    if (last === undefined) {
      this.#usageOutsideTurns = addUsage(this.#usageOutsideTurns, usage)
      return
    }
    const entry = this.#current.entries[last]!
    entry.usage = addUsage(entry.usage ?? NO_USAGE, usage)
  }

  async getSessionUsage(options: { branchId?: string } = {}): Promise<UsageTotals> {
    const branches = options.branchId === undefined ? [...this.#branches.values()] : [this.#branch(options.branchId)]
    const seen = new Set<Entry>()
    let total = options.branchId === undefined ? this.#usageOutsideTurns : NO_USAGE
    for (const branch of branches) {
      for (const entry of branch.entries) {
        if (!entry.usage || seen.has(entry)) continue
        seen.add(entry)
        total = addUsage(total, entry.usage)
      }
    }
    return total
  }

  getTurnUsage(): Promise<Array<{ turn: number; usage: UsageTotals }>>
  getTurnUsage(turn: number): Promise<UsageTotals | undefined>
  async getTurnUsage(turn?: number): Promise<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined> {
    return turnUsageOf(listTurns(this.#current.entries), turn)
  }

  /**
   * Applies an `append_items` or `replace_suffix` transaction once per operation id (see
   * {@link SessionHistoryTransactionAwareSession}); `clearSession` and `deleteBranch`
   * forget the operation ids applied on the branch they empty.
   */
  applyHistoryTransaction(args: SessionHistoryTransactionArgs<TItem>, _runContext?: unknown): Promise<void> {
    return this.#history.applyHistoryTransaction(args)
  }

  /** See {@link SessionHistoryRewriteAwareSession.applyHistoryMutations}. */
  applyHistoryMutations(args: SessionHistoryRewriteArgs<TItem>): Promise<void> {
    return this.#history.applyHistoryMutations(args)
  }

  /** See {@link CompactionReplaceableSession.replaceHistoryWithCompaction}. */
  replaceHistoryWithCompaction(items: TItem[], _runContext?: unknown): Promise<void> {
    return this.#history.replaceHistoryWithCompaction(items)
  }

  /** See {@link SuffixReplaceableSession.replaceSuffix}. */
  async replaceSuffix(change: SuffixReplacement<TItem>): Promise<boolean> {
    const replacement = toStoredItems(change.replacement)
    const entries = this.#current.entries
    const operation = change.operation
    const recorded = operation && this.#operations.get(operation.operationId)
    if (recorded) {
      if (recorded.fingerprint === operation.fingerprint) return false
      throw new HistoryOperationConflictError(this.sessionId, operation.operationId)
    }
    if (change.at !== undefined && change.at !== entries.length) throw new PositionConflictError(this.sessionId, change.at, entries.length)
    const start = entries.length - change.expectedSuffix.length
    if (start < 0 || !change.expectedSuffix.every((item, i) => sameJson(entries[start + i]!.item, item))) {
      throw new HistorySuffixMismatchError(this.sessionId, change.expectedSuffix.length, entries.length)
    }
    const now = Date.now()
    // A new array: branches forked from this one keep the entries they share.
    this.#current.entries = [...entries.slice(0, start), ...replacement.map((item) => ({ item, createdAt: now }))]
    if (operation) this.#operations.set(operation.operationId, { branch: this.#current, fingerprint: operation.fingerprint })
    return true
  }

  /** See {@link SuffixReplaceableSession.getHistoryOperation}. */
  async getHistoryOperation(operationId: string): Promise<string | undefined> {
    return this.#operations.get(operationId)?.fingerprint
  }

  #forgetOperations(branch: Branch): void {
    for (const [id, recorded] of this.#operations) if (recorded.branch === branch) this.#operations.delete(id)
  }

  /** Positions of the current branch's user messages. */
  #turnStarts(): number[] {
    return this.#current.entries.flatMap((entry, position) => (isUserMessage(entry.item) ? [position] : []))
  }

  #branch(branchId: string): Branch {
    const branch = this.#branches.get(branchId)
    if (!branch) {
      throw new InvalidArgumentError(
        `Session "${this.sessionId}" has no branch "${branchId}"; its branches are ${[...this.#branches.keys()].join(', ')}.`,
      )
    }
    return branch
  }
}
