import { InvalidArgumentError, PendingRunConflictError, PositionConflictError, StorageError, StorageQuotaError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import type { Unsubscribe } from '../sync/broadcast.js'
import {
  turnUsageOf,
  assertPosition,
  assertTurn,
  checkedPendingRun,
  checkedRewrite,
  type BranchInfo,
  type CompactionReplaceableSession,
  type ContentBranchingSession,
  type IndexedDBBackedSession,
  type PendingRun,
  type PendingRunsSession,
  type PendingRunUpdate,
  type IndexedDBLocation,
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
} from '../session/capabilities.js'
import { assertSearchText, toolUsageOf, turnWithUserText, type ToolUsage } from '../session/tool-usage.js'
import { historyMethods, type HistoryMethods } from '../session/history.js'
import { suffixMutation } from './suffix.js'
import { assertNewBranchId, copySealedLabel, type SealedBranchNamesSession, type SealedLabel, type TitledSession } from '../session/labels.js'
import { assertSessionId, resolveLimit, type SessionSettings } from '../session/session.js'
import { findInTurns, listTurns, type TimedItem, type TurnInfo, type TurnMatch } from '../session/turns.js'
import { addUsage, NO_USAGE, pickUsage, usageOf, type RunUsageSource, type UsageTotals } from '../session/usage.js'
import { storeTitle } from './admin.js'
import { onSessionsChanged, publishChange, type SessionChange, type SessionChangeKind } from './changes.js'
import { toLocation, withDatabase, type DatabaseLocation, type DatabaseOptions } from './database.js'
import {
  appendItems,
  branchOf,
  clearBranch,
  currentBranch,
  dropNewest,
  findBranch,
  forgetOperations,
  forkBranch,
  OUTSIDE_TURNS_SEQ,
  readRows,
  removeBranch,
  renumberTurns,
  seqBound,
  sessionBound,
  toBranchInfo,
  toSessionInfo,
  turnSeq,
  type SessionInfo,
} from './records.js'
import { freeAhead, type Freed, type Freeing, type Mutation } from './free-space.js'
import { settleRecord, tailsIntact } from './settle.js'
import { readAllItems, writeItems } from './item-rows.js'
import { MAIN_BRANCH, newEtag, newSessionRecord, SESSION_STORES, SESSIONS_DB, type AgentsDatabase, type AgentsTransaction, type SessionRecord } from './schema.js'
import { lastPositions, positionsBySeq, rangesLength } from './seq-ranges.js'

/** The seqs the branches of `record` show, as one comparable string. */
function shownSeqs(record: SessionRecord): string {
  return JSON.stringify(Object.values(record.branches).map((branch) => [branch.id, branch.ranges]))
}

/** Options of {@link IndexedDBSession}. */
export interface IndexedDBSessionOptions extends DatabaseOptions {
  /** Default window for `getItems`. */
  settings?: SessionSettings
  /**
   * Durability hint for write transactions. `'strict'` waits until the data is flushed to
   * disk (safest against an OS crash, slower); `'relaxed'` returns sooner.
   * @default 'default' (the browser's own choice)
   */
  durability?: IDBTransactionDurability
}

/**
 * A session stored in IndexedDB: the browser twin of `SQLiteSession(id, db_path)`. History
 * survives reloads and browser restarts; many sessions live in one database.
 *
 * Every write is one readwrite transaction, so a failed call (a bad item, a full disk —
 * {@link StorageQuotaError}) changes nothing. Reads cost O(limit), not O(history).
 *
 * Freeing space works at a completely full quota, where browsers refuse any transaction
 * that writes: `popItem`, `clearSession` and `deleteBranch` then delete what they free in a
 * transaction of its own and update the session record after it (src/idb/free-space.ts).
 * Readers see the result even if that update is refused too; a `clearSession` or
 * `deleteBranch` that could not finish says so with a `StorageQuotaError` whose `freed` is
 * the number of items deleted, and finishes when called again once there is room.
 * Concurrent calls from this tab or others are serialized by IndexedDB: each `addItems`
 * batch stays contiguous and `popItem` never returns an item twice.
 *
 * Sessions branch (edit an earlier message, keep both versions) and record token usage
 * per turn; see {@link BranchingSession} and {@link UsageTrackingSession}.
 *
 * @throws {@link StorageUnavailableError} from any method when IndexedDB cannot be used
 *   (fall back to {@link MemorySession}); {@link UpgradeBlockedError} when another tab holds
 *   an older schema open.
 */
export class IndexedDBSession<TItem = AgentItem>
  implements
    ReplaceableSession<TItem>,
    RewritableSession<TItem>,
    SealedBranchNamesSession<TItem>,
    UsageTrackingSession<TItem>,
    IndexedDBBackedSession<TItem>,
    PositionalSession<TItem>,
    TitledSession<TItem>,
    PendingRunsSession<TItem>,
    SessionHistoryTransactionAwareSession<TItem>,
    SessionHistoryRewriteAwareSession<TItem>,
    CompactionReplaceableSession<TItem>,
    SuffixReplaceableSession<TItem>,
    ToolUsageSession<TItem>,
    ContentBranchingSession<TItem>
{
  readonly sessionId: string
  /** The database this session lives in. */
  readonly dbName: string
  /** The IndexedDB factory holding the database, when not the global `indexedDB` (a Storage Bucket's). */
  readonly indexedDB: IDBFactory | undefined
  /** Where this session's items are (see {@link IndexedDBBackedSession}). */
  readonly indexedDBLocation: IndexedDBLocation
  readonly #location: DatabaseLocation
  readonly #settings: SessionSettings | undefined
  readonly #durability: IDBTransactionDurability
  /** The session record as this instance last read or wrote it (see `#write`). */
  #seen: SessionRecord | undefined
  readonly #history: HistoryMethods<TItem> = historyMethods<TItem>(this)

  /**
   * @param sessionId - isolates this conversation, e.g. `user_123`
   * @param options - database, default settings, durability
   */
  constructor(sessionId: string, options: IndexedDBSessionOptions = {}) {
    assertSessionId(sessionId)
    this.sessionId = sessionId
    this.#location = toLocation(options)
    this.dbName = this.#location.dbName
    this.indexedDB = options.indexedDB
    this.indexedDBLocation = { dbName: this.dbName, indexedDB: options.indexedDB }
    this.#settings = options.settings
    this.#durability = options.durability ?? 'default'
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  async getItems<T extends TItem = TItem>(limit?: number): Promise<T[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    const rows = await this.#read(
      `reading session "${this.sessionId}"`,
      (tx, record) => readRows(tx, record, lastPositions(currentBranch(record).ranges, count)),
      { tailRead: true },
    )
    return (rows ?? []).map((row) => row.item as T)
  }

  async getItemCount(): Promise<number> {
    const count = await this.#read(`reading session "${this.sessionId}"`, async (_tx, record) => rangesLength(currentBranch(record).ranges))
    return count ?? 0
  }

  async addItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    if (stored.length === 0) return
    await this.#write('add', `adding ${stored.length} items to session "${this.sessionId}"`, (tx, existing, now) =>
      appendItems(tx, this.sessionId, existing, stored, now),
    )
  }

  /**
   * Appends `items` (and adds `usage` to the newest turn) in one transaction, only if the
   * current branch holds exactly `position` items, checked inside that transaction; see
   * {@link PositionalSession.addItemsAt}.
   */
  async addItemsAt(position: number, items: TItem[], usage?: UsageTotals): Promise<void> {
    assertPosition(position)
    const checked = usage === undefined ? undefined : usageOf({ usage })
    const stored = toStoredItems(items)
    await this.#write('add', `adding ${stored.length} items at position ${position} of session "${this.sessionId}"`, async (tx, existing, now) => {
      const held = existing ? rangesLength(currentBranch(existing).ranges) : 0
      if (held !== position) throw new PositionConflictError(this.sessionId, position, held)
      if (stored.length === 0 && !checked) return undefined
      const appended =
        stored.length > 0 ? appendItems(tx, this.sessionId, existing, stored, now) : { record: existing ?? newSessionRecord(this.sessionId, now), requests: [] }
      const usageRequests = checked ? await addTurnUsage(tx, appended.record, checked) : []
      return { record: appended.record, requests: [...appended.requests, ...usageRequests] }
    })
  }

  async popItem<T extends TItem = TItem>(): Promise<T | undefined> {
    let removed: unknown
    const freed = await this.#write('pop', `removing the newest item of session "${this.sessionId}"`, async (tx, existing, now) => {
      removed = undefined // a retried attempt must not report what an aborted one read
      const dropped = existing && (await dropNewest(tx, existing, now))
      if (!dropped) return undefined
      removed = dropped.removed.item
      return dropped.change
    }, { kind: 'pop' })
    return (freed ? freed.removed : removed) as T | undefined
  }

  async clearSession(): Promise<void> {
    await this.#write(
      'clear',
      `clearing session "${this.sessionId}"`,
      async (tx, existing, now) => {
        // A paused run's turn would land on a history it was not made for: it goes too.
        const dropping = tx.objectStore('pendingRuns').delete(this.sessionId)
        if (!existing) return void (await dropping)
        const cleared = await clearBranch(tx, existing, now)
        // Operation ids applied on this branch go with its items, as in @openai/agents' MemorySession.
        return { record: cleared.record, requests: [...cleared.requests, dropping, forgetOperations(tx, existing.id, existing.currentBranchId)] }
      },
      { kind: 'clear' },
    )
  }

  /** The paused run kept with this session (see {@link PendingRunsSession.getPendingRun}). */
  async getPendingRun(): Promise<PendingRun | undefined> {
    const row = await withDatabase(this.#location, SESSIONS_DB, `reading the pending run of session "${this.sessionId}"`, (db) =>
      db.get('pendingRuns', this.sessionId),
    )
    return row && { runId: row.runId, state: row.state, createdAt: row.createdAt }
  }

  /**
   * Checks the pending run, appends `items` and keeps `next`, in one transaction (see
   * {@link PendingRunsSession.updatePendingRun}).
   */
  async updatePendingRun(update: PendingRunUpdate<TItem>): Promise<void> {
    const next = checkedPendingRun(update.next)
    const stored = toStoredItems(update.items)
    if (update.position !== undefined) assertPosition(update.position)
    const action = `updating the pending run of session "${this.sessionId}"`
    await this.#write(stored.length > 0 ? 'add' : 'pending', action, async (tx, existing, now) => {
      const runs = tx.objectStore('pendingRuns')
      const actual = (await runs.get(this.sessionId))?.runId ?? null
      if (actual !== update.expected) throw new PendingRunConflictError(this.sessionId, update.expected, actual)
      if (update.position !== undefined) {
        const held = existing ? rangesLength(currentBranch(existing).ranges) : 0
        if (held !== update.position) throw new PositionConflictError(this.sessionId, update.position, held)
      }
      const keeping = next ? runs.put({ sessionId: this.sessionId, ...next }) : runs.delete(this.sessionId)
      if (stored.length > 0) {
        const appended = appendItems(tx, this.sessionId, existing, stored, now)
        return { record: appended.record, requests: [...appended.requests, keeping] }
      }
      // A first message that paused still makes the session exist (listed, reopened after a reload).
      return { record: existing ?? newSessionRecord(this.sessionId, now), requests: [keeping] }
    })
  }

  /** Replaces the current branch's history with `items` in one transaction, all or nothing. */
  async replaceItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    await this.#write('replace', `replacing the items of session "${this.sessionId}"`, async (tx, existing, now) => {
      const cleared = existing && (await clearBranch(tx, existing, now))
      if (stored.length === 0) return cleared
      const appended = appendItems(tx, this.sessionId, existing, stored, now)
      return { record: appended.record, requests: [...(cleared?.requests ?? []), ...appended.requests] }
    })
  }

  /**
   * Applies an `append_items` or `replace_suffix` transaction once per operation id, the
   * change and the operation id in one IndexedDB transaction (see
   * {@link SessionHistoryTransactionAwareSession}). Operation ids are kept in the `operations`
   * store (schema version 4) until the branch they were applied on is cleared
   * (`clearSession`) or deleted, or the session is deleted; `popItem` and `replaceItems`
   * keep them. `exportSession` does not carry them.
   */
  applyHistoryTransaction(args: SessionHistoryTransactionArgs<TItem>, _runContext?: unknown): Promise<void> {
    return this.#history.applyHistoryTransaction(args)
  }

  /** See {@link SessionHistoryRewriteAwareSession.applyHistoryMutations}: one transaction, checked against a fresh read. */
  applyHistoryMutations(args: SessionHistoryRewriteArgs<TItem>): Promise<void> {
    return this.#history.applyHistoryMutations(args)
  }

  /** See {@link CompactionReplaceableSession.replaceHistoryWithCompaction}: one transaction. */
  replaceHistoryWithCompaction(items: TItem[], _runContext?: unknown): Promise<void> {
    return this.#history.replaceHistoryWithCompaction(items)
  }

  /** See {@link SuffixReplaceableSession.replaceSuffix}: the check, the change and the operation id in one transaction. */
  async replaceSuffix(change: SuffixReplacement<TItem>): Promise<boolean> {
    const stored = { ...change, expectedSuffix: toStoredItems(change.expectedSuffix), replacement: toStoredItems(change.replacement) }
    const outcome = { applied: false }
    await this.#write('replace', `changing the newest items of session "${this.sessionId}"`, suffixMutation(this.sessionId, stored, outcome))
    return outcome.applied
  }

  /** See {@link SuffixReplaceableSession.getHistoryOperation}. */
  async getHistoryOperation(operationId: string): Promise<string | undefined> {
    const found = await withDatabase(this.#location, SESSIONS_DB, `reading operation "${operationId}" of session "${this.sessionId}"`, (db) =>
      db.get('operations', [this.sessionId, operationId]),
    )
    return found?.fingerprint
  }

  async rewriteItems(rewrite: RewriteItems<TItem>): Promise<void> {
    const action = `rewriting the items of session "${this.sessionId}"`
    for (let attempt = 1; ; attempt++) {
      const read = await withDatabase(this.#location, SESSIONS_DB, action, async (db) => {
        const tx = db.transaction(SESSION_STORES, 'readonly')
        tx.done.catch(() => {})
        const [stored, rows] = await Promise.all([
          tx.objectStore('sessions').get(this.sessionId),
          readAllItems(tx.objectStore('items'), this.sessionId),
        ])
        const record = stored && (await settleRecord(tx, stored))
        return record && { etag: record.etag, rows, shown: shownSeqs(record), positions: positionsBySeq(Object.values(record.branches)) }
      })
      if (!read) return
      // Slow, async work (WebCrypto) happens here, with no transaction open.
      const positions = read.rows.map((row) => read.positions.get(row.seq) ?? -1)
      const next = await checkedRewrite(read.rows.map((row) => row.item as TItem), positions, rewrite)
      let changed = false
      await this.#write('replace', action, (tx, existing) => {
        // The etag stays when a pop at a full quota freed rows ahead of the record (free-space.ts):
        // what the branches show must be unchanged too, or a freed item would be written back.
        if (!existing || existing.etag !== read.etag || shownSeqs(existing) !== read.shown) return undefined
        changed = true
        const rows = renumberTurns(existing!, read.rows.map((row, i) => ({ ...row, item: next[i] })))
        return { record: existing!, requests: [writeItems(tx.objectStore('items'), this.sessionId, rows)] }
      })
      if (changed) return
      if (attempt === 3) {
        throw new StorageError(`Session "${this.sessionId}" kept changing while its items were rewritten; nothing was changed. Try again.`)
      }
    }
  }

  async getTimedItems(): Promise<TimedItem<TItem>[]> {
    return (await this.#readBranch()) as TimedItem<TItem>[]
  }

  async getTurns(): Promise<TurnInfo[]> {
    return listTurns(await this.#readBranch())
  }

  async findTurns(text: string): Promise<TurnMatch[]> {
    if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}.`)
    return findInTurns(await this.#readBranch(), text)
  }

  async createBranchFromTurn(turn: number, name?: string): Promise<string> {
    let branchId = ''
    await this.#write('branch', `branching session "${this.sessionId}" at turn ${turn}`, async (tx, existing, now) => {
      assertTurn(turn, existing ? currentBranch(existing).turns : 0)
      const forked = await forkBranch(tx, existing!, turn, name ?? `turn-${turn}`, now)
      branchId = forked.branchId
      return forked.change
    })
    return branchId
  }

  /**
   * See {@link ContentBranchingSession.createBranchFromContent}: the search and the new
   * branch in one transaction, so the turn found is the turn branched from.
   */
  async createBranchFromContent(text: string, name?: string): Promise<string> {
    assertSearchText(text)
    let branchId = ''
    await this.#write('branch', `branching session "${this.sessionId}" at the turn holding ${JSON.stringify(text)}`, async (tx, existing, now) => {
      const rows = existing ? await readRows(tx, existing, currentBranch(existing).ranges) : []
      const turn = turnWithUserText(this.sessionId, rows.map((row) => row.item), text)
      const forked = await forkBranch(tx, existing!, turn, name ?? `turn-${turn}`, now)
      branchId = forked.branchId
      return forked.change
    })
    return branchId
  }

  /** See {@link ToolUsageSession.getToolUsage}. */
  async getToolUsage(): Promise<ToolUsage[]> {
    return toolUsageOf((await this.#readBranch()).map((entry) => entry.item))
  }

  /** Creates a branch with a caller-chosen id and a sealed name; see {@link SealedBranchNamesSession.createSealedBranch}. */
  async createSealedBranch(turn: number, branchId: string, name: SealedLabel): Promise<string> {
    const sealed = copySealedLabel(name)
    await this.#write('branch', `branching session "${this.sessionId}" at turn ${turn}`, async (tx, existing, now) => {
      assertTurn(turn, existing ? currentBranch(existing).turns : 0)
      assertNewBranchId(branchId, (id) => findBranch(existing!, id) !== undefined)
      return (await forkBranch(tx, existing!, turn, sealed, now, branchId)).change
    })
    return branchId
  }

  async switchToBranch(branchId: string): Promise<void> {
    if (typeof branchId !== 'string') throw new InvalidArgumentError(`switchToBranch expects a branch id string, got ${typeof branchId}.`)
    await this.#write('branch', `switching session "${this.sessionId}" to branch "${branchId}"`, (_tx, existing, now) => {
      if (!existing) {
        if (branchId === MAIN_BRANCH) return undefined // an empty session is on main already
        throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty)`)
      }
      branchOf(existing, branchId)
      existing.currentBranchId = branchId
      existing.updatedAt = now
      return { record: existing, requests: [] }
    })
  }

  async listBranches(): Promise<BranchInfo[]> {
    const record = await this.#read(`listing branches of "${this.sessionId}"`, async (_tx, record) => record)
    if (!record) return [{ id: 'main', name: 'main', parentId: null, forkTurn: null, itemCount: 0, turnCount: 0, current: true, createdAt: 0 }]
    return Object.values(record.branches)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((branch) => toBranchInfo(record, branch))
  }

  async getCurrentBranchId(): Promise<string> {
    const record = await this.#read(`reading session "${this.sessionId}"`, async (_tx, record) => record)
    return record?.currentBranchId ?? 'main'
  }

  async deleteBranch(branchId: string): Promise<void> {
    await this.#write('branch', `deleting branch "${branchId}" of session "${this.sessionId}"`, (tx, existing, now) => {
      if (!existing) throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty)`)
      return removeBranch(tx, existing, branchId, now)
    }, { kind: 'deleteBranch', branchId })
  }

  async storeRunUsage(result: RunUsageSource): Promise<void> {
    const usage = usageOf(result)
    await this.#write('usage', `recording usage in session "${this.sessionId}"`, async (tx, existing, now) => {
      // Usage is never dropped: on a session with nothing stored yet it is kept outside turns.
      const record = existing ?? newSessionRecord(this.sessionId, now)
      return { record, requests: await addTurnUsage(tx, record, usage) }
    })
  }

  /** Appends `items` and adds `usage` to the newest turn, in one transaction (see {@link UsageTrackingSession.addItemsWithUsage}). */
  async addItemsWithUsage(items: TItem[], usage: UsageTotals): Promise<void> {
    const checked = usageOf({ usage })
    const stored = toStoredItems(items)
    await this.#write('add', `adding ${stored.length} items and their usage to session "${this.sessionId}"`, async (tx, existing, now) => {
      const appended =
        stored.length > 0 ? appendItems(tx, this.sessionId, existing, stored, now) : { record: existing ?? newSessionRecord(this.sessionId, now), requests: [] }
      return { record: appended.record, requests: [...appended.requests, ...(await addTurnUsage(tx, appended.record, checked))] }
    })
  }

  async getSessionUsage(options: { branchId?: string } = {}): Promise<UsageTotals> {
    const rows = await this.#read(`reading usage of "${this.sessionId}"`, async (tx, record) => {
      if (options.branchId === undefined) return tx.objectStore('usage').getAll(sessionBound(this.sessionId))
      const ranges = branchOf(record, options.branchId).ranges
      const chunks = await Promise.all(ranges.map((range) => tx.objectStore('usage').getAll(seqBound(this.sessionId, range))))
      return chunks.flat()
    })
    return (rows ?? []).reduce<UsageTotals>((sum, row) => addUsage(sum, row), NO_USAGE)
  }

  getTurnUsage(): Promise<Array<{ turn: number; usage: UsageTotals }>>
  getTurnUsage(turn: number): Promise<UsageTotals | undefined>
  async getTurnUsage(turn?: number): Promise<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined> {
    if (turn === undefined) return turnUsageOf(await this.getTurns())
    // One turn: its user message through the turn index, then its usage row.
    const found = await this.#read(`reading usage of turn ${turn} of "${this.sessionId}"`, async (tx, record) => {
      const branch = currentBranch(record)
      assertTurn(turn, branch.turns)
      const row = await tx.objectStore('usage').get([this.sessionId, await turnSeq(tx, record, branch, turn)])
      return { usage: row && pickUsage(row) }
    })
    if (!found) assertTurn(turn, 0)
    return found?.usage
  }

  /**
   * Calls `listener` after every committed change to this session (items, branches,
   * usage, title, deletion), made in this tab or in any other tab or worker of the
   * origin. A chat view re-reads its items in the listener.
   *
   * @returns a function that stops the subscription
   */
  subscribe(listener: (change: SessionChange) => void): Unsubscribe {
    return onSessionsChanged(
      (change) => {
        if (change.sessionId === this.sessionId) listener(change)
      },
      { dbName: this.dbName },
    )
  }

  /** Metadata of this session, or `undefined` when nothing was ever stored in it. */
  async getInfo(): Promise<SessionInfo | undefined> {
    const record = await this.#read(`reading session "${this.sessionId}"`, async (_tx, record) => record)
    return record && toSessionInfo(record)
  }

  /** Sets the title shown in session lists (see {@link listSessions}), in clear. */
  async setTitle(title: string): Promise<void> {
    if (typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof title}`)
    await storeTitle(this.sessionId, title, { dbName: this.dbName, indexedDB: this.#location.factory })
  }

  /** Sets a sealed title (see {@link TitledSession.setSealedTitle}). */
  async setSealedTitle(title: SealedLabel): Promise<void> {
    await storeTitle(this.sessionId, copySealedLabel(title), { dbName: this.dbName, indexedDB: this.#location.factory })
  }

  /** The title as stored (see {@link TitledSession.getStoredTitle}). */
  async getStoredTitle(): Promise<string | SealedLabel | undefined> {
    const record = await this.#read(`reading session "${this.sessionId}"`, async (_tx, record) => record)
    return record?.title ?? (record?.sealedTitle && copySealedLabel(record.sealedTitle))
  }

  /** Every item of the current branch with its time and its turn's usage. */
  async #readBranch(): Promise<TimedItem[]> {
    const entries = await this.#read(`reading session "${this.sessionId}"`, async (tx, record) => {
      const ranges = currentBranch(record).ranges
      const [rows, usage] = await Promise.all([
        readRows(tx, record, ranges),
        tx.objectStore('usage').getAll(sessionBound(this.sessionId)),
      ])
      const usageBySeq = new Map(usage.map((row) => [row.seq, row]))
      return rows.map((row) => {
        const found = usageBySeq.get(row.seq)
        return { item: row.item, createdAt: row.createdAt, usage: found && pickUsage(found) }
      })
    })
    return entries ?? []
  }

  /**
   * A readonly transaction that resolves to `undefined` when the session has no record.
   * `read` gets the record settled (see settle.ts): it runs at once, beside the check that
   * no branch lost its newest rows, and again on the settled record only when one did.
   *
   * `tailRead`: `read` reads the current branch's newest rows and its result depends on
   * nothing else, so its success already proves that branch lost nothing (settling would
   * change no other part of what it returns): the check is left out, and only a read that
   * fails is tried again on the settled record.
   */
  async #read<T>(
    action: string,
    read: (tx: AgentsTransaction<'readonly'>, record: SessionRecord) => Promise<T>,
    { tailRead = false }: { tailRead?: boolean } = {},
  ): Promise<T | undefined> {
    return withDatabase(this.#location, SESSIONS_DB, action, async (db) => {
      const tx = db.transaction(SESSION_STORES, 'readonly')
      tx.done.catch(() => {}) // the results are read by then; a late abort changes nothing
      const reading = tx.objectStore('sessions').get(this.sessionId)
      // As for writes (see `#write`): when this instance has seen the record, the read goes
      // out at once beside the record's, one round trip instead of two, and counts only if
      // the record turns out unchanged.
      // The check that no branch lost its newest rows (settle.ts) goes out beside it too.
      const seen = this.#seen
      const speculative = seen && settle(read(tx, seen))
      const seenIntact = seen && !tailRead && tailsIntact(tx, seen).catch(() => false)
      const record = await reading
      this.#seen = record
      if (!record) return undefined
      const unchanged = speculative !== undefined && seen?.etag !== undefined && record.etag === seen.etag
      if (tailRead) {
        const outcome = unchanged ? await speculative : await settle(read(tx, record))
        if (outcome.ok) return outcome.value
        const settled = await settleRecord(tx, record)
        if (settled === record) throw outcome.error // nothing was freed: the failure stands
        return read(tx, settled)
      }
      if (unchanged && (await seenIntact)) return unwrap(await speculative)
      const first = settle(read(tx, record))
      if (await tailsIntact(tx, record)) return unwrap(await first)
      await first // its requests were built on rows that are gone: its result is dropped
      return read(tx, await settleRecord(tx, record))
    })
  }

  /**
   * One readwrite transaction over the session record, its items and usage. `mutate`
   * issues its requests (awaiting only IndexedDB) and returns the record to write back,
   * or nothing to do. `mutate` always gets the record settled (see settle.ts), and a
   * settled record is what gets stored.
   *
   * When this instance has seen the record before, the requests go out at once, beside
   * the read that checks the record is still what was seen (and no branch lost its newest
   * rows): one round trip instead of two. If another writer changed it meanwhile, that
   * transaction is aborted (nothing commits) and the write runs again on the record as read.
   *
   * `freeing`: the operation frees space; when the browser refuses the transaction for
   * quota, it is retried as a delete-only transaction and a record update (free-space.ts).
   *
   * @returns what the delete-only transaction did, when it came to that
   */
  async #write(kind: SessionChangeKind, action: string, mutate: Mutation, freeing?: Freeing): Promise<Freed | undefined> {
    try {
      await this.#commit(action, mutate)
    } catch (error) {
      if (!freeing || !(error instanceof StorageQuotaError)) throw error
      return this.#freeAhead(kind, action, mutate, freeing, error)
    }
    publishChange({ dbName: this.dbName, sessionId: this.sessionId, kind })
    return undefined
  }

  async #commit(action: string, mutate: Mutation): Promise<void> {
    await withDatabase(this.#location, SESSIONS_DB, action, async (db) => {
      const seen = this.#seen
      if (seen && (await this.#attempt(db, mutate, seen))) return
      await this.#attempt(db, mutate, undefined)
    })
  }

  /** The full-quota fallback of free-space.ts: delete-only transaction, then the record update. */
  #freeAhead(kind: SessionChangeKind, action: string, mutate: Mutation, freeing: Freeing, refused: StorageQuotaError): Promise<Freed> {
    this.#seen = undefined
    const session = {
      sessionId: this.sessionId,
      location: this.#location,
      durability: this.#durability,
      commit: (update: Mutation) => this.#commit(action, update),
      changed: () => publishChange({ dbName: this.dbName, sessionId: this.sessionId, kind }),
    }
    return freeAhead(session, `${action} (deleting only, to free space)`, freeing, mutate, refused)
  }

  /** Returns false when `assumed` turned out stale and nothing was committed. */
  async #attempt(db: AgentsDatabase, mutate: Mutation, assumed: SessionRecord | undefined): Promise<boolean> {
    const tx = db.transaction(SESSION_STORES, 'readwrite', { durability: this.#durability })
    const sessions = tx.objectStore('sessions')
    const pending: Promise<unknown>[] = [tx.done]
    const reading = sessions.get(this.sessionId)
    pending.push(reading)
    const assumedEtag = assumed?.etag
    // Checked before `mutate` changes `assumed` in place; a fresh record is settled instead.
    const intact = assumed ? tailsIntact(tx, assumed) : undefined
    intact?.catch(() => {})
    this.#seen = undefined // `assumed` may be changed in place below
    let stale = false
    const isStale = async () => (await reading.catch(() => undefined))?.etag !== assumedEtag || !(await intact!.catch(() => false))
    try {
      const stored = assumed ? undefined : await reading
      const existing = assumed ?? (stored && (await settleRecord(tx, stored)))
      const change = await mutate(tx, existing, Date.now())
      if (change) {
        change.record.etag = newEtag()
        pending.push(...change.requests, sessions.put(change.record))
      }
      if (assumed) stale = !(await reading) || (await isStale())
      if (stale) throw new StaleRecord()
      await Promise.all(pending)
      this.#seen = change ? change.record : existing
      return true
    } catch (error) {
      // A mutation may refuse what a stale record says (a turn that no longer exists, a
      // newest item already freed): only the record as stored, settled, decides.
      if (assumed && !stale) stale = await isStale()
      abortQuietly(tx)
      await Promise.allSettled(pending)
      if (stale) return false
      throw error
    }
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** A promise's outcome, without rejecting: for work whose failure may not matter. */
async function settle<T>(work: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work }
  } catch (error) {
    return { ok: false, error }
  }
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value
  throw outcome.error
}

/** Thrown inside `#attempt` to abort a transaction built on a stale record. */
class StaleRecord extends Error {}

/** Adds `usage` to the newest turn of the current branch (or, before any turn, to the session's usage outside turns). */
async function addTurnUsage(tx: AgentsTransaction<'readwrite'>, record: SessionRecord, usage: UsageTotals): Promise<Promise<unknown>[]> {
  const branch = currentBranch(record)
  const seq = branch.turns > 0 ? await turnSeq(tx, record, branch, branch.turns) : OUTSIDE_TURNS_SEQ
  const store = tx.objectStore('usage')
  const before = (await store.get([record.id, seq])) ?? NO_USAGE
  return [store.put({ sessionId: record.id, seq, ...addUsage(pickUsage(before), usage) })]
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort()
  } catch {
    // Already finished or aborted: nothing was committed by us after the failure.
  }
}
