import { InvalidArgumentError, PositionConflictError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import { publishChange, type SessionChangeKind } from '../idb/changes.js'
import { toLocation, type DatabaseLocation, type DatabaseOptions } from '../idb/database.js'
import { IndexedDBSession } from '../idb/indexeddb-session.js'
import { branchOf, clearBranch, currentBranch, dropNewest, forkBranch, removeBranch, sessionBound, type SessionInfo } from '../idb/records.js'
import { MAIN_BRANCH, newSessionRecord } from '../idb/schema.js'
import { rangesLength } from '../idb/seq-ranges.js'
import {
  assertPosition,
  assertTurn,
  type BranchInfo,
  type BranchingSession,
  type ReplaceableSession,
  type ResealHandler,
  type ResealingSession,
  type UsageTrackingSession,
} from '../session/capabilities.js'
import { copySealedLabel, type SealedLabel, type TitledSession } from '../session/labels.js'
import { assertSessionId, type SessionSettings } from '../session/session.js'
import type { TimedItem, TurnInfo, TurnMatch } from '../session/turns.js'
import { usageOf, type RunUsageSource, type UsageTotals } from '../session/usage.js'
import { SyncClient, type SyncClientOptions } from './client.js'
import { asSessionTx, entryHolding, PENDING_BASE } from './local-store.js'
import { addPendingUsage, appendPending, writeSynced, type Mutate } from './local-writes.js'
import { newOpId } from './op-id.js'
import { pendingCount, refusedOps } from './outbox.js'
import { SyncEngine, type RetryOptions } from './sync-engine.js'

/** Options of {@link SyncedSession}. */
export interface SyncedSessionOptions extends SyncClientOptions, DatabaseOptions {
  /** Default window for `getItems`. */
  settings?: SessionSettings
  /**
   * Sync by itself: push after every write, pull other devices' changes as they happen
   * (the server's live feed), retry with backoff and when the browser is back online. `false`: only
   * {@link SyncedSession.sync} moves anything.
   * @default true
   */
  live?: boolean
  /** Backoff of live sync after a failure. @default { initialMs: 1000, maxMs: 60000 } */
  retry?: RetryOptions
  /** Told about each failure of live sync; the work is kept and retried. @default undefined */
  onSyncError?: (error: Error) => void
}

/**
 * A local-first session: history in IndexedDB (as `IndexedDBSession`, which reads it), kept
 * in step with the sync server (`idb-agents/server`) for the user's other devices.
 *
 * Every write lands in IndexedDB in one transaction together with its entry in an outbox,
 * so it works offline and survives a reload; {@link SyncedSession.sync} pushes the outbox
 * (each op under an id made once, so a retried push never stores twice) and pulls the
 * user's changes by cursor. Items this device appended while others did too are rebased
 * behind the server's: afterwards every device shows the same items in the server's order,
 * each device's turns whole; an `EncryptedSession` over it has its rebased items sealed
 * again for their new positions (see {@link SyncedSession.setResealHandler}) before they
 * are pushed. Branches, titles, usage, pops, clears and session deletion
 * sync too. With `live` (the default) all this happens by itself and other devices'
 * writes fire `onSessionsChanged`; {@link SyncedSession.close} stops it.
 *
 * The sync covers every session of the user in this database (the feed is per user).
 * Write to a synced database through `SyncedSession` only: an `IndexedDBSession` on the same
 * database reads it, but its writes would not reach the outbox.
 *
 * @throws {@link StorageUnavailableError}, {@link StorageQuotaError} from writes as
 *   `IndexedDBSession`; `sync()` rejects with {@link SyncOfflineError},
 *   {@link SyncUnauthorizedError} or {@link SyncError} — what was written stays in the outbox
 */
export class SyncedSession<TItem = AgentItem>
  implements ReplaceableSession<TItem>, BranchingSession<TItem>, UsageTrackingSession<TItem>, TitledSession<TItem>, ResealingSession<TItem>
{
  readonly sessionId: string
  /** The database holding the local copy. */
  readonly dbName: string
  readonly #local: IndexedDBSession<TItem>
  readonly #location: DatabaseLocation
  readonly #engine: SyncEngine
  #reseal: ResealHandler | undefined

  /**
   * @param sessionId - the conversation's id within the signed-in user's sessions
   * @param options - `url` of the sync handler (without `/v1`), `headers`, `fetch`, `dbName`, `live`
   * @throws {@link InvalidArgumentError} for an empty id or a bad `url`
   */
  constructor(sessionId: string, options: SyncedSessionOptions) {
    assertSessionId(sessionId)
    this.sessionId = sessionId
    const client = new SyncClient(options)
    this.#location = toLocation(options)
    this.dbName = this.#location.dbName
    const local: ConstructorParameters<typeof IndexedDBSession>[1] = { dbName: this.dbName }
    if (options.indexedDB) local.indexedDB = options.indexedDB
    if (options.settings) local.settings = options.settings
    this.#local = new IndexedDBSession<TItem>(sessionId, local)
    this.#engine = new SyncEngine(this.#location, client, {
      live: options.live ?? true,
      retry: options.retry,
      onError: options.onSyncError,
      resealFor: (sessionId) => (sessionId === this.sessionId ? this.#reseal : undefined),
    })
  }

  /** Pushes what this device wrote, then pulls what the others did, until caught up. */
  sync(): Promise<void> {
    return this.#engine.sync()
  }

  /** Stops live sync. The session stays usable; writes wait in the outbox until `sync()`. */
  close(): void {
    this.#engine.close()
  }

  /** Ops waiting to reach the server or to come back from it (this database, every session). */
  pendingOps(): Promise<number> {
    return pendingCount(this.#location)
  }

  /** Ops the server refused (kept, never resent), with the refusal: for an app to show. */
  async refusedOps(): Promise<Array<{ sessionId: string; kind: string; code: string; message: string }>> {
    return (await refusedOps(this.#location)).map((entry) => ({ sessionId: entry.sessionId, kind: entry.op.kind, code: entry.rejected!.code, message: entry.rejected!.message }))
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  getItems(limit?: number): Promise<TItem[]> {
    return this.#local.getItems(limit)
  }

  async addItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    if (stored.length === 0) return
    await this.#write('add', `adding ${stored.length} items to session "${this.sessionId}"`, async (tx, record, now, out) => {
      const appended = await appendPending(tx, this.sessionId, record, stored, now, out)
      return appended.record
    })
  }

  /** How many items the current branch holds here (the server's and those not pushed yet). */
  getItemCount(): Promise<number> {
    return this.#local.getItemCount()
  }

  /**
   * Appends `items` (and adds `usage` to the newest turn) only if the current branch holds
   * exactly `position` items here, in one transaction; the server is told the same
   * (`expectedLength`), so items sealed for their positions (`EncryptedSession`) never land
   * anywhere else. When other devices' items came first, they are rebased behind them and
   * sealed again by the {@link SyncedSession.setResealHandler | reseal handler} before they
   * are pushed.
   * @throws `PositionConflictError` when the branch holds another number here;
   *   {@link InvalidArgumentError} for a bad position. Nothing is written then.
   */
  async addItemsAt(position: number, items: TItem[], usage?: UsageTotals): Promise<void> {
    assertPosition(position)
    const checked = usage === undefined ? undefined : usageOf({ usage })
    const stored = toStoredItems(items)
    await this.#write('add', `adding ${stored.length} items at position ${position} of session "${this.sessionId}"`, async (tx, record, now, out) => {
      const held = record ? rangesLength(currentBranch(record).ranges) : 0
      if (held !== position) throw new PositionConflictError(this.sessionId, position, held)
      if (stored.length === 0 && !checked) return undefined
      const appended = stored.length > 0 ? (await appendPending(tx, this.sessionId, record, stored, now, out, 'append', position)).record : (record ?? newSessionRecord(this.sessionId, now))
      if (checked) await addPendingUsage(tx, appended, checked, out)
      return appended
    })
  }

  /**
   * Sets what seals this session's items again when a pull moved them (see
   * `ResealingSession`); `EncryptedSession` sets it when it wraps this session. Without
   * one, moved appends made with `addItemsAt` wait in the outbox, kept, unsent.
   */
  setResealHandler(handler: ResealHandler | undefined): void {
    this.#reseal = handler
  }

  async popItem(): Promise<TItem | undefined> {
    let removed: unknown
    await this.#write('pop', `removing the newest item of session "${this.sessionId}"`, async (tx, record, now, out) => {
      removed = undefined
      const dropped = record && (await dropNewest(asSessionTx(tx), record, now))
      if (!dropped) return undefined
      removed = dropped.removed.item
      const seq = dropped.removed.seq
      const branchId = record.currentBranchId
      if (seq < PENDING_BASE) {
        out({ kind: 'pop', branchId, seq })
        return dropped.change.record
      }
      const entries = await tx.objectStore('outbox').index('bySession').getAll(this.sessionId)
      const entry = entryHolding(entries, seq)!
      const index = seq - entry.localSeq!
      const items = entry.op.items as unknown[]
      const referenced = entries.some((other) => other !== entry && (other.popRef?.opId === entry.opId || JSON.stringify(other.op).includes(entry.opId)))
      if (!entry.sent && index === items.length - 1 && !referenced) {
        // Never sent: the append itself can still change. An emptied append is dropped; an
        // emptied replace (compaction) stays, as the replace with nothing it now is.
        items.pop()
        await (items.length === 0 && entry.op.kind === 'append' ? tx.objectStore('outbox').delete(entry.id!) : tx.objectStore('outbox').put(entry))
      } else if (entry.firstSeq !== undefined) {
        out({ kind: 'pop', branchId, seq: entry.firstSeq + index })
      } else {
        out({ kind: 'pop', branchId }, { popRef: { opId: entry.opId, index } })
      }
      return dropped.change.record
    })
    return removed as TItem | undefined
  }

  async clearSession(): Promise<void> {
    await this.#write('clear', `clearing session "${this.sessionId}"`, async (tx, record, now, out) => {
      if (!record) return undefined
      out({ kind: 'clear', branchId: record.currentBranchId })
      return (await clearBranch(asSessionTx(tx), record, now)).record
    })
  }

  /**
   * Replaces the current branch's history with `items` (compaction): here in one
   * transaction, on the server as one `replace` op, all or nothing on both.
   */
  async replaceItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    await this.#write('replace', `replacing the items of session "${this.sessionId}"`, async (tx, record, now, out) => {
      if (!record && stored.length === 0) return undefined
      const cleared = record && (await clearBranch(asSessionTx(tx), record, now))
      await Promise.all(cleared?.requests ?? [])
      const held = cleared?.record ?? newSessionRecord(this.sessionId, now)
      if (stored.length > 0) return (await appendPending(tx, this.sessionId, held, stored, now, out, 'replace')).record
      out({ kind: 'replace', branchId: held.currentBranchId, items: [] })
      return held
    })
  }

  getTimedItems(): Promise<TimedItem<TItem>[]> {
    return this.#local.getTimedItems()
  }

  getTurns(): Promise<TurnInfo[]> {
    return this.#local.getTurns()
  }

  findTurns(text: string): Promise<TurnMatch[]> {
    return this.#local.findTurns(text)
  }

  async createBranchFromTurn(turn: number, name?: string): Promise<string> {
    const branchId = `branch-${newOpId().slice(0, 8)}`
    const label = name ?? `turn-${turn}`
    await this.#write('branch', `branching session "${this.sessionId}" at turn ${turn}`, async (tx, record, now, out) => {
      assertTurn(turn, record ? currentBranch(record).turns : 0)
      out({ kind: 'createBranch', branchId, fromTurn: turn, name: label, sourceBranchId: record!.currentBranchId })
      return (await forkBranch(asSessionTx(tx), record!, turn, label, now, branchId)).change.record
    })
    return branchId
  }

  async switchToBranch(branchId: string): Promise<void> {
    if (typeof branchId !== 'string') throw new InvalidArgumentError(`switchToBranch expects a branch id string, got ${typeof branchId}.`)
    await this.#write('branch', `switching session "${this.sessionId}" to branch "${branchId}"`, async (_tx, record, now, out) => {
      if (!record) {
        if (branchId === MAIN_BRANCH) return undefined
        throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty).`)
      }
      branchOf(record, branchId)
      record.currentBranchId = branchId
      record.updatedAt = now
      out({ kind: 'switchBranch', branchId })
      return record
    })
  }

  listBranches(): Promise<BranchInfo[]> {
    return this.#local.listBranches()
  }

  getCurrentBranchId(): Promise<string> {
    return this.#local.getCurrentBranchId()
  }

  async deleteBranch(branchId: string): Promise<void> {
    await this.#write('branch', `deleting branch "${branchId}" of session "${this.sessionId}"`, async (tx, record, now, out) => {
      if (!record) throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty).`)
      const change = await removeBranch(asSessionTx(tx), record, branchId, now)
      out({ kind: 'deleteBranch', branchId })
      return change.record
    })
  }

  async storeRunUsage(result: RunUsageSource): Promise<void> {
    const usage = usageOf(result)
    await this.#write('usage', `recording usage in session "${this.sessionId}"`, async (tx, record, now, out) => {
      const held = record ?? newSessionRecord(this.sessionId, now)
      await addPendingUsage(tx, held, usage, out)
      return held
    })
  }

  /** Appends `items` and adds `usage` to the newest turn, in one transaction. */
  async addItemsWithUsage(items: TItem[], usage: UsageTotals): Promise<void> {
    const checked = usageOf({ usage })
    const stored = toStoredItems(items)
    await this.#write('add', `adding ${stored.length} items and their usage to session "${this.sessionId}"`, async (tx, record, now, out) => {
      const held = stored.length > 0 ? (await appendPending(tx, this.sessionId, record, stored, now, out)).record : (record ?? newSessionRecord(this.sessionId, now))
      await addPendingUsage(tx, held, checked, out)
      return held
    })
  }

  getSessionUsage(options: { branchId?: string } = {}): Promise<UsageTotals> {
    return this.#local.getSessionUsage(options)
  }

  getTurnUsage(): Promise<Array<{ turn: number; usage: UsageTotals }>>
  getTurnUsage(turn: number): Promise<UsageTotals | undefined>
  getTurnUsage(turn?: number): Promise<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined> {
    return turn === undefined ? this.#local.getTurnUsage() : this.#local.getTurnUsage(turn)
  }

  /** Metadata of the local copy, or `undefined` when it holds nothing. */
  getInfo(): Promise<SessionInfo | undefined> {
    return this.#local.getInfo()
  }

  /** Sets the title shown in session lists, here and on the user's other devices. */
  async setTitle(title: string): Promise<void> {
    if (typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof title}.`)
    await this.#storeTitle(title)
  }

  /** Sets a sealed title (see `TitledSession`); the server stores it as the JSON text of the label. */
  async setSealedTitle(title: SealedLabel): Promise<void> {
    await this.#storeTitle(copySealedLabel(title))
  }

  /** The title as stored here: clear text, sealed, or `undefined`. */
  getStoredTitle(): Promise<string | SealedLabel | undefined> {
    return this.#local.getStoredTitle()
  }

  async #storeTitle(title: string | SealedLabel): Promise<void> {
    await this.#write('rename', `renaming session "${this.sessionId}"`, async (_tx, record, now, out) => {
      if (!record) return undefined
      delete record.sealedTitle
      delete record.title
      if (typeof title === 'string') record.title = title
      else record.sealedTitle = title
      record.updatedAt = now
      out({ kind: 'setTitle', title: typeof title === 'string' ? title : JSON.stringify(title) })
      return record
    })
  }

  /** Deletes the session here and, once pushed, on the server and the user's other devices. */
  async deleteSession(): Promise<void> {
    await this.#write('delete', `deleting session "${this.sessionId}"`, async (tx, record, _now, out) => {
      if (!record) return undefined
      await tx.objectStore('items').delete(sessionBound(this.sessionId))
      await tx.objectStore('usage').delete(sessionBound(this.sessionId))
      // Writes the server never stored (not sent yet, refused, or waiting to be sealed again
      // for a new position) need not go first: the deletion is all the server needs, and one
      // held back would hold the deletion back with it.
      const outbox = tx.objectStore('outbox')
      for (const entry of await outbox.index('bySession').getAll(this.sessionId)) {
        if (!entry.sent || entry.resealDue || entry.rejected) await outbox.delete(entry.id!)
      }
      out({ kind: 'deleteSession' })
      return 'deleted'
    })
  }

  /**
   * One transaction over the session, its items, the outbox and the sync state (see
   * `writeSynced`); then other tabs hear of it and live sync pushes.
   */
  async #write(kind: SessionChangeKind, action: string, mutate: Mutate): Promise<void> {
    if (!(await writeSynced(this.#location, this.sessionId, action, mutate))) return
    publishChange({ dbName: this.dbName, sessionId: this.sessionId, kind })
    this.#engine.schedulePush()
  }
}
