// Someone with access to the database but not the key: reads and rewrites the raw records
// of one session, the way a script, an extension or a disk editor could.
import { openDB } from 'idb'
import type { EncryptedEnvelope } from '../../../src/crypto/envelope.js'
import type { SessionRecord } from '../../../src/idb/schema.js'

export interface RawRow {
  sessionId: string
  seq: number
  createdAt: number
  turn?: number
  item: EncryptedEnvelope
}

/** Stored rows as one RawRow per item, as readers see them (a schema v6 row may hold several, in `more`). */
export function perItem(stored: unknown[]): RawRow[] {
  return (stored as Array<RawRow & { more?: EncryptedEnvelope[] }>).flatMap(({ more = [], ...row }) => [
    row,
    ...more.map((item, i) => ({ sessionId: row.sessionId, seq: row.seq + 1 + i, createdAt: row.createdAt, item })),
  ])
}

/** The session record and item rows of one session, to change in place. */
export interface RawSession {
  record: SessionRecord
  rows: Map<number, RawRow>
}

/** Reads one session's raw records. */
export async function readRaw(dbName: string, sessionId: string): Promise<RawSession> {
  const db = await openDB(dbName)
  try {
    const record = (await db.get('sessions', sessionId)) as SessionRecord
    const rows = perItem(await db.getAll('items', IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity])))
    return { record, rows: new Map(rows.map((row) => [row.seq, row])) }
  } finally {
    db.close()
  }
}

/**
 * Rewrites one session's records as `change` leaves them, in one transaction: the store
 * itself sees a consistent session (ranges and rows agree), as a careful attacker leaves it.
 * Each item is written as a row of its own, which schema v6 reads as v5 did.
 */
export async function tamper(dbName: string, sessionId: string, change: (raw: RawSession) => void): Promise<void> {
  const raw = await readRaw(dbName, sessionId)
  change(raw)
  const db = await openDB(dbName)
  try {
    const tx = db.transaction(['sessions', 'items'], 'readwrite')
    await tx.objectStore('items').delete(IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]))
    for (const row of raw.rows.values()) await tx.objectStore('items').put(row)
    await tx.objectStore('sessions').put(raw.record)
    await tx.done
  } finally {
    db.close()
  }
}

/** Every store of a database as JSON text, for "holds no plaintext" checks. */
export async function everything(dbName: string): Promise<string> {
  const db = await openDB(dbName)
  try {
    return JSON.stringify(await Promise.all([...db.objectStoreNames].map((store) => db.getAll(store))))
  } finally {
    db.close()
  }
}
