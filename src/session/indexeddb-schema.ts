import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb'

/**
 * A run of consecutive item sequence numbers, `[start, end)`. A branch's history is the
 * concatenation of its ranges; items themselves are immutable and never renumbered, so a
 * new branch can share its parent's items without copying them.
 */
export type SeqRange = [start: number, end: number]

/** One line of history inside a session. Every session has a branch `main`. */
export interface BranchRecord {
  id: string
  name: string
  /** The branch this one was forked from; `null` for `main`. */
  parentId: string | null
  /** How many of the parent's items this branch started with. */
  forkAt: number
  createdAt: number
  /** The item sequence numbers this branch shows, in order. */
  ranges: SeqRange[]
}

/** The metadata record of one session (object store `sessions`). */
export interface SessionRecord {
  id: string
  title?: string
  createdAt: number
  updatedAt: number
  /** The next unused item sequence number; sequence numbers are never reused while referenced. */
  nextSeq: number
  currentBranchId: string
  branches: Record<string, BranchRecord>
}

/**
 * One stored item (object store `items`, key `[sessionId, seq]`). Ids, order and time are
 * kept in clear beside the item; an encrypting decorator stores an opaque envelope as
 * `item`.
 */
export interface ItemRecord {
  sessionId: string
  seq: number
  createdAt: number
  item: unknown
}

/** The typed schema of an idb-agents database, for `idb`. */
export interface AgentsDB extends DBSchema {
  sessions: {
    key: string
    value: SessionRecord
    indexes: { byUpdatedAt: [number, string] }
  }
  items: {
    key: [string, number]
    value: ItemRecord
  }
}

export type AgentsDatabase = IDBPDatabase<AgentsDB>
export type AgentsTransaction<Mode extends IDBTransactionMode> = IDBPTransaction<
  AgentsDB,
  ['sessions', 'items'],
  Mode
>

/** The schema version this code writes. Bump it together with a new step in {@link migrate}. */
export const SCHEMA_VERSION = 1

export const MAIN_BRANCH = 'main'

/**
 * Brings a database from `oldVersion` to {@link SCHEMA_VERSION}, one step at a time. A step
 * may add or reshape stores but must carry every old item over: history is never hidden
 * or dropped by an upgrade.
 */
export function migrate(
  db: IDBPDatabase<AgentsDB>,
  oldVersion: number,
  _transaction: IDBPTransaction<AgentsDB, StoreNames<AgentsDB>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    const sessions = db.createObjectStore('sessions', { keyPath: 'id' })
    sessions.createIndex('byUpdatedAt', ['updatedAt', 'id'])
    db.createObjectStore('items', { keyPath: ['sessionId', 'seq'] })
  }
}

/** A fresh session record with an empty `main` branch. */
export function newSessionRecord(id: string, now: number): SessionRecord {
  return {
    id,
    createdAt: now,
    updatedAt: now,
    nextSeq: 0,
    currentBranchId: MAIN_BRANCH,
    branches: {
      [MAIN_BRANCH]: { id: MAIN_BRANCH, name: MAIN_BRANCH, parentId: null, forkAt: 0, createdAt: now, ranges: [] },
    },
  }
}
