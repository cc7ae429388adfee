import type { AgentItem } from '../items.js'
import { toStoredItems } from '../items.js'
import { StorageError } from '../errors.js'
import { toLocation, withDatabase, type DatabaseLocation, type DatabaseOptions } from './indexeddb-connection.js'
import {
  appendItems,
  clearBranch,
  currentBranch,
  dropNewest,
  seqBound,
  toSessionInfo,
  type SessionInfo,
} from './indexeddb-records.js'
import type { AgentsDatabase, AgentsTransaction, SessionRecord } from './indexeddb-schema.js'
import { lastPositions } from './seq-ranges.js'
import { assertSessionId, resolveLimit, type ReplaceableSession, type SessionSettings } from './session.js'
import { renameSession } from './indexeddb-admin.js'

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
 * Concurrent calls from this tab or others are serialized by IndexedDB: each `addItems`
 * batch stays contiguous and `popItem` never returns an item twice.
 *
 * @throws {@link StorageUnavailableError} from any method when IndexedDB cannot be used
 *   (fall back to {@link MemorySession}); {@link UpgradeBlockedError} when another tab holds
 *   an older schema open.
 */
export class IndexedDBSession<TItem = AgentItem> implements ReplaceableSession<TItem> {
  readonly sessionId: string
  /** The database this session lives in. */
  readonly dbName: string
  readonly #location: DatabaseLocation
  readonly #settings: SessionSettings | undefined
  readonly #durability: IDBTransactionDurability
  /** The session record as this instance last read or wrote it (see `#write`). */
  #seen: SessionRecord | undefined

  /**
   * @param sessionId - isolates this conversation, e.g. `user_123`
   * @param options - database name, default settings, durability
   */
  constructor(sessionId: string, options: IndexedDBSessionOptions = {}) {
    assertSessionId(sessionId)
    this.sessionId = sessionId
    this.#location = toLocation(options)
    this.dbName = this.#location.dbName
    this.#settings = options.settings
    this.#durability = options.durability ?? 'default'
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  async getItems(limit?: number): Promise<TItem[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    return withDatabase(this.#location, `reading session "${this.sessionId}"`, async (db) => {
      const tx = db.transaction(['sessions', 'items'], 'readonly')
      const record = await tx.objectStore('sessions').get(this.sessionId)
      this.#seen = record
      if (!record) return []
      const ranges = lastPositions(currentBranch(record).ranges, count)
      const items = tx.objectStore('items')
      const chunks = await Promise.all(ranges.map((range) => items.getAll(seqBound(this.sessionId, range))))
      const expected = ranges.reduce((sum, [start, end]) => sum + end - start, 0)
      const found = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
      if (found !== expected) {
        throw new StorageError(
          `Session "${this.sessionId}" should hold ${expected} items in this window but ${found} were found; ` +
            'the database was changed outside idb-agents.',
        )
      }
      return chunks.flat().map((row) => row.item as TItem)
    })
  }

  async addItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    if (stored.length === 0) return
    await this.#write(`adding ${stored.length} items to session "${this.sessionId}"`, (tx, existing, now) =>
      appendItems(tx, this.sessionId, existing, stored, now),
    )
  }

  async popItem(): Promise<TItem | undefined> {
    let removed: Promise<{ item: unknown } | undefined> | undefined
    await this.#write(`removing the newest item of session "${this.sessionId}"`, (tx, existing, now) => {
      removed = undefined // a retried attempt must not report what an aborted one read
      if (!existing) return undefined
      const dropped = dropNewest(tx, existing, now)
      if (!dropped) return undefined
      removed = dropped.removed
      return { record: existing, requests: dropped.requests }
    })
    return (await removed)?.item as TItem | undefined
  }

  async clearSession(): Promise<void> {
    await this.#write(`clearing session "${this.sessionId}"`, (tx, existing, now) =>
      existing ? { record: existing, requests: clearBranch(tx, existing, now) } : undefined,
    )
  }

  /** Replaces the current branch's history with `items` in one transaction, all or nothing. */
  async replaceItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    await this.#write(`replacing the items of session "${this.sessionId}"`, (tx, existing, now) => {
      const cleared = existing ? clearBranch(tx, existing, now) : []
      if (stored.length === 0) return existing ? { record: existing, requests: cleared } : undefined
      const appended = appendItems(tx, this.sessionId, existing, stored, now)
      return { record: appended.record, requests: [...cleared, ...appended.requests] }
    })
  }

  /** Metadata of this session, or `undefined` when nothing was ever stored in it. */
  async getInfo(): Promise<SessionInfo | undefined> {
    return withDatabase(this.#location, `reading session "${this.sessionId}"`, async (db) => {
      const record = await db.get('sessions', this.sessionId)
      return record && toSessionInfo(record)
    })
  }

  /** Sets the title shown in session lists (see {@link listSessions}). */
  async setTitle(title: string): Promise<void> {
    await renameSession(this.sessionId, title, { dbName: this.dbName, indexedDB: this.#location.factory })
  }

  /**
   * One readwrite transaction over the session record and its items. `mutate` issues its
   * requests synchronously and returns the record to write back (or nothing to do).
   *
   * When this instance has seen the record before, the requests go out at once, beside
   * the read that checks the record is still what was seen: one round trip instead of
   * two. If another writer changed it meanwhile, that transaction is aborted (nothing
   * commits) and the write runs again on the record as read.
   */
  async #write(action: string, mutate: Mutation): Promise<void> {
    await withDatabase(this.#location, action, async (db) => {
      const seen = this.#seen
      if (seen && (await this.#attempt(db, mutate, seen))) return
      await this.#attempt(db, mutate, undefined)
    })
  }

  /** Returns false when `assumed` turned out stale and nothing was committed. */
  async #attempt(db: AgentsDatabase, mutate: Mutation, assumed: SessionRecord | undefined): Promise<boolean> {
    const tx = db.transaction(['sessions', 'items'], 'readwrite', { durability: this.#durability })
    const sessions = tx.objectStore('sessions')
    const pending: Promise<unknown>[] = [tx.done]
    try {
      const reading = sessions.get(this.sessionId)
      const existing = assumed ? structuredClone(assumed) : await reading
      const change = mutate(tx, existing, Date.now())
      if (change) pending.push(...change.requests, sessions.put(change.record))
      if (assumed && !sameRecord(await reading, assumed)) {
        abortQuietly(tx)
        await Promise.allSettled(pending)
        this.#seen = undefined
        return false
      }
      await Promise.all(pending)
      this.#seen = change ? change.record : existing
      return true
    } catch (error) {
      abortQuietly(tx)
      await Promise.allSettled(pending)
      this.#seen = undefined
      throw error
    }
  }
}

type Mutation = (
  tx: AgentsTransaction<'readwrite'>,
  existing: SessionRecord | undefined,
  now: number,
) => { record: SessionRecord; requests: Promise<unknown>[] } | undefined

function sameRecord(stored: SessionRecord | undefined, seen: SessionRecord): boolean {
  return stored !== undefined && JSON.stringify(stored) === JSON.stringify(seen)
}

function abortQuietly(tx: IDBTransaction | { abort(): void }): void {
  try {
    tx.abort()
  } catch {
    // Already finished or aborted: nothing was committed by us after the failure.
  }
}
