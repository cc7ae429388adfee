// The `items` rows of one session as stored (schema v6: a row holds the item at `seq` and,
// in `more`, those at seq+1, seq+2, …), read on a connection of the test's own, and the
// rules every stored session must keep, checked against its record.
import { openDB } from 'idb'
import { expect } from 'vitest'
import { isUserMessage } from '../../../src/items/predicates.js'
import type { SessionRecord } from '../../../src/idb/schema.js'

/** The most items one row may hold (src/idb/item-rows.ts `MAX_ROW_ITEMS`). */
export const ROW_LIMIT = 32

/** One physical row of the `items` store. */
export interface RawRow {
  sessionId: string
  seq: number
  createdAt: number
  item: unknown
  turn?: number
  more?: unknown
}

function sessionKeys(sessionId: string): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity])
}

/** The session's rows in key order, and its record (`undefined` when none). */
export async function readStored(dbName: string, sessionId: string): Promise<{ rows: RawRow[]; record: SessionRecord | undefined }> {
  const db = await openDB(dbName)
  try {
    const tx = db.transaction(['items', 'sessions'], 'readonly')
    const [rows, record] = await Promise.all([tx.objectStore('items').getAll(sessionKeys(sessionId)), tx.objectStore('sessions').get(sessionId)])
    // Closed only once its transaction is over: a closing connection with a live transaction
    // still blocks an upgrade the code under test may start next.
    await tx.done
    return { rows: rows as RawRow[], record: record as SessionRecord | undefined }
  } finally {
    db.close()
  }
}

/** The session's rows in key order. */
export async function rawRows(dbName: string, sessionId: string): Promise<RawRow[]> {
  return (await readStored(dbName, sessionId)).rows
}

/** The items a row holds, in order. */
export function itemsOf(row: RawRow): unknown[] {
  return [row.item, ...(Array.isArray(row.more) ? (row.more as unknown[]) : [])]
}

/** `[seq, how many items]` of every row: the layout. */
export function layout(rows: readonly RawRow[]): Array<[number, number]> {
  return rows.map((row) => [row.seq, itemsOf(row).length])
}

/** Every stored item by its seq, with the row's time. */
export function itemsBySeq(rows: readonly RawRow[]): Map<number, { item: unknown; createdAt: number }> {
  const bySeq = new Map<number, { item: unknown; createdAt: number }>()
  for (const row of rows) itemsOf(row).forEach((item, i) => bySeq.set(row.seq + i, { item, createdAt: row.createdAt }))
  return bySeq
}

/** Overwrites rows as they are given (a raw writer: a v5 page, a disk editor). */
export async function putRows(dbName: string, rows: readonly RawRow[], options: { deleteSession?: string } = {}): Promise<void> {
  const db = await openDB(dbName)
  try {
    const tx = db.transaction('items', 'readwrite')
    if (options.deleteSession !== undefined) await tx.store.delete(sessionKeys(options.deleteSession))
    for (const row of rows) await tx.store.put(row)
    await tx.done
  } finally {
    db.close()
  }
}

/**
 * What is wrong with a stored session, as sentences (an empty list when nothing is):
 * - `more`, when present, is an array of 1 to ROW_LIMIT − 1 items;
 * - rows do not overlap; no item sits at or past `nextSeq` (unless `checkNextSeq` is false: a
 *   SyncedSession's copy numbers its own items apart), nor past the end of every branch;
 * - every stored item is shown by some branch, and every item a branch shows is stored;
 * - a user message is always the first item of its row, and only user messages carry `turn`;
 * - along every branch the user messages carry turns 1, 2, … and the branch counts them.
 */
export function problemsOf(rows: readonly RawRow[], record: SessionRecord | undefined, options: { checkNextSeq?: boolean } = {}): string[] {
  const checkNextSeq = options.checkNextSeq ?? true
  const problems: string[] = []
  if (!record) {
    if (rows.length > 0) problems.push(`${rows.length} rows but no session record`)
    return problems
  }
  const shown = new Set<number>()
  let furthest = 0
  for (const branch of Object.values(record.branches)) {
    for (const [start, end] of branch.ranges) {
      for (let seq = start; seq < end; seq++) shown.add(seq)
      furthest = Math.max(furthest, end)
    }
  }
  let previousEnd = -Infinity
  const stored = new Map<number, { row: RawRow; index: number }>()
  for (const row of rows) {
    if ('more' in row && row.more !== undefined) {
      if (!Array.isArray(row.more)) problems.push(`row ${row.seq}: more is not an array`)
      else if (row.more.length < 1 || row.more.length > ROW_LIMIT - 1) problems.push(`row ${row.seq}: more holds ${row.more.length} items`)
    }
    const items = itemsOf(row)
    if (row.seq < previousEnd) problems.push(`row ${row.seq} overlaps the row before it (which ends at ${previousEnd})`)
    previousEnd = row.seq + items.length
    if ((row.turn !== undefined) !== isUserMessage(row.item)) problems.push(`row ${row.seq}: turn ${String(row.turn)} on ${JSON.stringify(row.item)}`)
    items.forEach((item, index) => {
      const seq = row.seq + index
      stored.set(seq, { row, index })
      if (index > 0 && isUserMessage(item)) problems.push(`item ${seq}: a user message inside row ${row.seq}`)
      if (checkNextSeq && seq >= record.nextSeq) problems.push(`item ${seq}: at or past nextSeq ${record.nextSeq}`)
      if (seq >= furthest) problems.push(`item ${seq}: past the end of every branch (${furthest})`)
      if (!shown.has(seq)) problems.push(`item ${seq}: stored but no branch shows it`)
    })
  }
  for (const branch of Object.values(record.branches)) {
    let turns = 0
    for (const [start, end] of branch.ranges) {
      for (let seq = start; seq < end; seq++) {
        const found = stored.get(seq)
        if (!found) {
          problems.push(`branch ${branch.id}: item ${seq} is not stored`)
          continue
        }
        if (found.index === 0 && isUserMessage(found.row.item)) {
          turns += 1
          if (found.row.turn !== turns) problems.push(`branch ${branch.id}: item ${seq} starts turn ${turns} but carries ${String(found.row.turn)}`)
        }
      }
    }
    if (branch.turns !== turns) problems.push(`branch ${branch.id}: counts ${branch.turns} turns, shows ${turns}`)
  }
  return problems
}

/** Fails unless the stored session keeps every rule of {@link problemsOf}. */
export async function expectWellFormed(dbName: string, sessionId: string, options: { checkNextSeq?: boolean } = {}): Promise<void> {
  const { rows, record } = await readStored(dbName, sessionId)
  expect(problemsOf(rows, record, options), `stored rows ${JSON.stringify(layout(rows))}`).toEqual([])
}

/** Fails unless the item at `seq` shares its row with others: the case really runs on a packed row. */
export async function expectPacked(dbName: string, sessionId: string, seq: number): Promise<void> {
  const rows = await rawRows(dbName, sessionId)
  const holding = rows.find((row) => seq >= row.seq && seq < row.seq + itemsOf(row).length)
  expect(holding && itemsOf(holding).length, `the row holding item ${seq} in ${JSON.stringify(layout(rows))}`).toBeGreaterThan(1)
}
