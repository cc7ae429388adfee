import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb'
import { isUserMessage } from '../items/predicates.js'
import type { SealedLabel } from '../session/labels.js'
import type { DatabaseSpec } from './database.js'

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
  /** How many turns (user messages) the branch shows. */
  turns: number
  /** The turn the branch was created from (its first own turn); absent for `main`. */
  forkTurn?: number
  /** The name sealed by `EncryptedSession` (see `SealedLabel`); `name` is then `''`. */
  sealedName?: SealedLabel
}

/** The metadata record of one session (object store `sessions`). */
export interface SessionRecord {
  id: string
  title?: string
  /** A title sealed by `EncryptedSession` (see `SealedLabel`); never set together with `title`. */
  sealedTitle?: SealedLabel
  createdAt: number
  updatedAt: number
  /** The next unused item sequence number; sequence numbers are never reused while referenced. */
  nextSeq: number
  /**
   * New on every write, never reused (a deleted and recreated session gets new ones too):
   * lets a writer check that the record it assumed is still the one stored.
   */
  etag?: string
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
  /**
   * On user messages only: the turn they start (1-based). An item sits at the same
   * position in every branch that shows it, so its turn number is the same everywhere.
   */
  turn?: number
}

/**
 * A row of the `items` store (schema v6): the item at `seq`, and in `more` the items at
 * `seq + 1`, `seq + 2`, … written with it (absent when the row holds one item, as every v5
 * row does). See src/idb/item-rows.ts.
 */
export interface ItemRow extends ItemRecord {
  more?: unknown[]
}

/** Token usage recorded for one turn (object store `usage`, key `[sessionId, seq]` of the turn's user message). */
export interface UsageRecord {
  sessionId: string
  seq: number
  requests: number
  inputTokens: number
  outputTokens: number
  totalTokens: number
}

/**
 * An applied history transaction (object store `operations`, key `[sessionId, operationId]`,
 * schema version 4): written in the same transaction as the change it records, so a retry
 * of the same operation id is recognised (see `SessionHistoryTransactionAwareSession`).
 */
export interface OperationRecord {
  sessionId: string
  operationId: string
  /** The branch it was applied on: clearing or deleting that branch forgets it. */
  branchId: string
  /** The transaction's canonical JSON (sealed digest for `EncryptedSession`), compared on a retry. */
  fingerprint: string
  createdAt: number
}

/**
 * A run paused for tool approvals (object store `pendingRuns`, key `sessionId`): at most
 * one per session, written in the same transaction as the turns around it (see
 * `PendingRunsSession`). `state` is the serialized run state, sealed by an `EncryptedSession`.
 */
export interface PendingRunRecord {
  sessionId: string
  runId: string
  state: string
  createdAt: number
}

/**
 * One local write of a `SyncedSession` waiting to reach the sync server (object store
 * `outbox`, key `id`: the order writes were made). Written in the same transaction as the
 * write itself; kept until the server has applied it and the device has pulled it back.
 */
export interface OutboxRecord {
  id?: number
  sessionId: string
  opId: string
  /** The op as first sent: resent unchanged, so a retry is recognized by the server. */
  op: { opId: string; sessionId: string; kind: string; [field: string]: unknown }
  /** `append`/`replace`: the local seq of the op's first item, until the server's come back. */
  localSeq?: number
  /** A `pop` of an item whose server seq was unknown: the append that stored it, and its index there. */
  popRef?: { opId: string; index: number }
  /** Sent at least once: its content may no longer change. */
  sent?: boolean
  /** The server applied it; `append`/`replace` wait here for their change to be pulled back. */
  firstSeq?: number
  /** The cursor of its change, once applied: the feed has passed it when pulled beyond. */
  ackCursor?: number
  /** `usage` refused because the session was not on the server yet: sent after the session's next append. */
  awaitsSession?: boolean
  /**
   * An append sealed for its position (`op.expectedLength`) that the server refused because
   * other devices' items came first: waits (unsent) to be sealed again for its new position.
   */
  resealDue?: boolean
  /** The server refused it (kept, never resent): the refusal's code and message. */
  rejected?: { code: string; reason?: string; message: string }
}

/** Sync bookkeeping (object store `syncState`): the feed cursor, each session's next local seq. */
export interface SyncStateRecord {
  key: string
  value: number
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
    value: ItemRow
    indexes: { byTurn: [string, number] }
  }
  usage: {
    key: [string, number]
    value: UsageRecord
  }
  operations: {
    key: [string, string]
    value: OperationRecord
    indexes: { byBranch: [string, string] }
  }
  pendingRuns: {
    key: string
    value: PendingRunRecord
  }
  outbox: {
    key: number
    value: OutboxRecord
    indexes: { bySession: string; byOpId: string }
  }
  syncState: {
    key: string
    value: SyncStateRecord
  }
}

export type AgentsDatabase = IDBPDatabase<AgentsDB>
export type AgentsTransaction<Mode extends IDBTransactionMode> = IDBPTransaction<
  AgentsDB,
  ['sessions', 'items', 'usage', 'operations', 'pendingRuns'],
  Mode
>
/** The stores every session transaction spans. */
export const SESSION_STORES = ['sessions', 'items', 'usage', 'operations', 'pendingRuns'] as const

/** The schema version this code writes. Bump it together with a new step in {@link migrate}. */
export const SCHEMA_VERSION = 6

export const MAIN_BRANCH = 'main'

/**
 * Brings a database from `oldVersion` to `newVersion` ({@link SCHEMA_VERSION}), one step at a time. A step
 * may add or reshape stores but must carry every old item over: history is never hidden
 * or dropped by an upgrade.
 */
export async function migrate(
  db: IDBPDatabase<AgentsDB>,
  oldVersion: number,
  newVersion: number,
  transaction: IDBPTransaction<AgentsDB, StoreNames<AgentsDB>[], 'versionchange'>,
): Promise<void> {
  if (oldVersion < 1) {
    const sessions = db.createObjectStore('sessions', { keyPath: 'id' })
    sessions.createIndex('byUpdatedAt', ['updatedAt', 'id'])
    db.createObjectStore('items', { keyPath: ['sessionId', 'seq'] })
  }
  if (oldVersion < 2 && newVersion >= 2) {
    // v2: turns and usage. User messages get their turn number and an index on it; every
    // item written by v1 stays, and every branch keeps showing exactly what it showed.
    transaction.objectStore('items').createIndex('byTurn', ['sessionId', 'turn'])
    db.createObjectStore('usage', { keyPath: ['sessionId', 'seq'] })
    if (oldVersion >= 1) await numberTurns(transaction)
  }
  if (oldVersion < 3 && newVersion >= 3) {
    // v3: SyncedSession's outbox and sync bookkeeping. New stores only: nothing existing changes.
    if (!db.objectStoreNames.contains('outbox')) {
      const outbox = db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true })
      outbox.createIndex('bySession', 'sessionId')
      outbox.createIndex('byOpId', 'opId', { unique: true })
    }
    if (!db.objectStoreNames.contains('syncState')) db.createObjectStore('syncState', { keyPath: 'key' })
  }
  if (oldVersion < 4 && newVersion >= 4) {
    // v4: operation ids of applied history transactions. A new store only: every item,
    // branch and usage row stays as it is. Self-contained: it assumes no store of v3.
    if (!db.objectStoreNames.contains('operations')) {
      const operations = db.createObjectStore('operations', { keyPath: ['sessionId', 'operationId'] })
      operations.createIndex('byBranch', ['sessionId', 'branchId'])
    }
  }
  if (oldVersion < 5 && newVersion >= 5 && !db.objectStoreNames.contains('pendingRuns')) {
    // v5: runs paused for tool approvals, beside the history. Adds a store; changes nothing
    // stored. (Versions 3 and 4 are other steps; this one needs none of their stores.)
    db.createObjectStore('pendingRuns', { keyPath: 'sessionId' })
  }
  // v6: a row may hold several items (`ItemRow.more`). Every v5 row is a v6 row, so nothing
  // is rewritten; the version only keeps older code, which would read such a row as one
  // item, from opening the database.
}

/** Gives v1 user messages their turn numbers and v1 branches their turn counts. */
async function numberTurns(
  transaction: IDBPTransaction<AgentsDB, StoreNames<AgentsDB>[], 'versionchange'>,
): Promise<void> {
  const sessions = transaction.objectStore('sessions')
  const items = transaction.objectStore('items')
  for (const record of await sessions.getAll()) {
    for (const branch of Object.values(record.branches)) {
      let turns = 0
      for (const [start, end] of branch.ranges) {
        const rows = await items.getAll(IDBKeyRange.bound([record.id, start], [record.id, end - 1]))
        for (const row of rows) {
          if (!isUserMessage(row.item)) continue
          turns += 1
          if (row.turn !== turns) await items.put({ ...row, turn: turns })
        }
      }
      branch.turns = turns
    }
    await sessions.put(record)
  }
}

/** The sessions database: the version this code writes and how older ones are upgraded. */
export const SESSIONS_DB: DatabaseSpec<AgentsDB> = { version: SCHEMA_VERSION, upgrade: migrate }

/** A fresh session record with an empty `main` branch. */
export function newSessionRecord(id: string, now: number): SessionRecord {
  return {
    id,
    createdAt: now,
    updatedAt: now,
    nextSeq: 0,
    currentBranchId: MAIN_BRANCH,
    branches: {
      [MAIN_BRANCH]: { id: MAIN_BRANCH, name: MAIN_BRANCH, parentId: null, forkAt: 0, createdAt: now, ranges: [], turns: 0 },
    },
  }
}

/** A fresh {@link SessionRecord.etag}. */
export function newEtag(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`
}
