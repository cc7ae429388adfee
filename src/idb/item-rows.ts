// How items sit in the `items` store (schema v6). One row holds the items of a turn-piece:
// `item` is the item at the row's `seq`, `more` the items at seq+1, seq+2, … A user message
// always starts its row, so the `byTurn` index finds it; a row holds at most MAX_ROW_ITEMS
// items, so the row covering any seq starts at most MAX_ROW_ITEMS - 1 before it. A row of
// one item has no `more`: v5's rows are v6 rows.
//
// Everything above this file deals in ItemRecords (one per item). Reads expand rows; writes
// other than an append read the rows they touch and write them again (see docs/schema-v6.md).
import { StorageError } from '../errors.js'
import { isUserMessage } from '../items/predicates.js'
import type { ItemRecord, ItemRow, SeqRange } from './schema.js'

/** The most items one row holds. */
export const MAX_ROW_ITEMS = 32

/** What these functions use of the `items` store (of a transaction over any set of stores). */
interface ItemStore {
  openCursor(range: IDBKeyRange, direction: IDBCursorDirection): Promise<{ value: ItemRow } | null>
  getAll(range: IDBKeyRange): Promise<ItemRow[]>
  getKey(key: [string, number]): Promise<unknown>
}
interface WritableItemStore extends ItemStore {
  add(row: ItemRow): Promise<unknown>
  put(row: ItemRow): Promise<unknown>
  delete(key: [string, number]): Promise<unknown>
}

/** Whether a row's `more` is something other than a list of 1 to MAX_ROW_ITEMS − 1 items (written outside idb-agents). */
function isDamaged(row: ItemRow): boolean {
  const more: unknown = row.more
  return more !== undefined && (!Array.isArray(more) || more.length === 0 || more.length > MAX_ROW_ITEMS - 1)
}

/** How many seqs a row spans; a damaged row counts as one. */
function spanOf(row: ItemRow): number {
  return row.more === undefined || isDamaged(row) ? 1 : 1 + row.more.length
}

/** The items of a row: 1 + `more`; a damaged `more` is a StorageError naming the row. */
export function rowLength(row: ItemRow): number {
  const more: unknown = row.more
  if (isDamaged(row)) {
    throw new StorageError(
      `Row ${String(row.seq)} of session "${String(row.sessionId)}" is damaged (its "more" is ${Array.isArray(more) ? `a list of ${more.length} items` : typeof more}); the database was changed outside idb-agents. Nothing was changed; clearSession() removes it, deleteSession() the whole session.`,
    )
  }
  return spanOf(row)
}

/** The records of the items `row` holds, oldest first. */
export function expandRow(row: ItemRow): ItemRecord[] {
  const length = rowLength(row)
  const { more: _more, ...first } = row
  const records: ItemRecord[] = [first]
  for (let i = 1; i < length; i++) records.push({ sessionId: row.sessionId, seq: row.seq + i, createdAt: row.createdAt, item: row.more![i - 1] })
  return records
}

/** The records of `rows` (sorted by seq) by seq; two rows holding one seq are a StorageError (edited outside idb-agents). */
function expandRows(rows: readonly ItemRow[]): Map<number, ItemRecord> {
  const bySeq = new Map<number, ItemRecord>()
  for (const row of rows) {
    for (const record of expandRow(row)) {
      if (bySeq.has(record.seq)) {
        throw new StorageError(
          `Two rows of session "${String(row.sessionId)}" hold item ${record.seq}; the database was changed outside idb-agents. Nothing was changed.`,
        )
      }
      bySeq.set(record.seq, record)
    }
  }
  return bySeq
}

/**
 * Rows holding `records` (sorted by seq): consecutive items written at the same time share a
 * row, and a user message (or an item with a turn number) starts one. `groupOf`, when given,
 * keeps items of different groups apart (the rows they were read from, say).
 */
export function packRecords(records: readonly ItemRecord[], groupOf?: (record: ItemRecord) => unknown): ItemRow[] {
  const rows: ItemRow[] = []
  let row: ItemRow | undefined
  let group: unknown
  for (const record of records) {
    const next = groupOf?.(record)
    const joins =
      row !== undefined &&
      next === group &&
      record.seq === row.seq + rowLength(row) &&
      record.createdAt === row.createdAt &&
      record.turn === undefined &&
      !isUserMessage(record.item) &&
      rowLength(row) < MAX_ROW_ITEMS
    group = next
    if (joins) {
      ;(row!.more ??= []).push(record.item)
      continue
    }
    row = { ...record }
    rows.push(row)
  }
  return rows
}

function keyRange(sessionId: string, low: number, high: number, highOpen = false): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, low], [sessionId, high], false, highOpen)
}

/** The row covering `seq` (starting before it, or at it when `includeStart`), or `undefined`. */
async function rowCovering(store: ItemStore, sessionId: string, seq: number, includeStart: boolean): Promise<ItemRow | undefined> {
  const cursor = await store.openCursor(keyRange(sessionId, seq - (MAX_ROW_ITEMS - 1), seq, !includeStart), 'prev')
  const row = cursor?.value
  return row && row.seq + spanOf(row) > seq ? row : undefined
}

/** The rows holding any item of `[start, end)`. */
async function rowsIn(store: ItemStore, sessionId: string, [start, end]: SeqRange): Promise<ItemRow[]> {
  if (end <= start) return []
  const rows = await store.getAll(keyRange(sessionId, start, end - 1))
  // A row starting before `start` is asked for only when no row starts there: that costs a
  // second round trip, and a window over one-item rows (v5's, user messages) needs none.
  if (rows[0]?.seq === start) return rows
  const head = await rowCovering(store, sessionId, start, false)
  return head ? [head, ...rows] : rows
}

/** The rows holding any item of `ranges`, each once, by seq. */
async function rowsTouching(store: ItemStore, sessionId: string, ranges: readonly SeqRange[]): Promise<ItemRow[]> {
  const found = await Promise.all(ranges.map((range) => rowsIn(store, sessionId, range)))
  const bySeq = new Map<number, ItemRow>()
  for (const rows of found) for (const row of rows) bySeq.set(row.seq, row)
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq)
}

const within = (ranges: readonly SeqRange[], seq: number) => ranges.some(([start, end]) => seq >= start && seq < end)

/** The records of every stored item in `ranges`, in the order of `ranges`. */
export async function readItems(store: ItemStore, sessionId: string, ranges: readonly SeqRange[]): Promise<ItemRecord[]> {
  const bySeq = expandRows(await rowsTouching(store, sessionId, ranges))
  const records: ItemRecord[] = []
  for (const [start, end] of ranges) {
    for (let seq = start; seq < end; seq++) {
      const record = bySeq.get(seq)
      if (record) records.push(record)
    }
  }
  return records
}

/** The records of every stored item of a session, by seq. */
export async function readAllItems(store: ItemStore, sessionId: string): Promise<ItemRecord[]> {
  const rows = await store.getAll(keyRange(sessionId, -Infinity, Infinity))
  return [...expandRows(rows).values()]
}

/** The record of the item at `seq`, or `undefined`. */
export async function readItem(store: ItemStore, sessionId: string, seq: number): Promise<ItemRecord | undefined> {
  const row = await rowCovering(store, sessionId, seq, true)
  return row && expandRow(row)[seq - row.seq]
}

/**
 * Whether the item at `seq` is stored. One key lookup when a row starts at `seq`, as the
 * newest item of every append does (the tail check of each write asks for it); a cursor,
 * which costs more, only after that.
 */
export async function hasItem(store: ItemStore, sessionId: string, seq: number): Promise<boolean> {
  if ((await store.getKey([sessionId, seq])) !== undefined) return true
  return (await rowCovering(store, sessionId, seq, true)) !== undefined
}

/** The newest stored seq in `[start, end)`, or `undefined`. One request. */
export async function newestItemIn(store: ItemStore, sessionId: string, [start, end]: SeqRange): Promise<number | undefined> {
  const cursor = await store.openCursor(keyRange(sessionId, start - (MAX_ROW_ITEMS - 1), end - 1), 'prev')
  const row = cursor?.value
  if (!row) return undefined
  const last = Math.min(row.seq + spanOf(row), end) - 1
  return last >= start ? last : undefined
}

/**
 * Adds `items` as new rows from `start` on (seqs no row holds), packed. `turnOf` numbers a
 * user message starting a turn. The last item gets a row of its own: at a full quota only
 * whole rows can be deleted, so `popItem` can still free it there.
 */
export function addItemRows(
  store: WritableItemStore,
  sessionId: string,
  start: number,
  items: readonly unknown[],
  createdAt: number,
  turnOf: (item: unknown) => number | undefined,
): Promise<unknown>[] {
  const records = items.map((item, i) => {
    const record: ItemRecord = { sessionId, seq: start + i, createdAt, item }
    const turn = turnOf(item)
    if (turn !== undefined) record.turn = turn
    return record
  })
  const rows = [...packRecords(records.slice(0, -1)), ...records.slice(-1)]
  return rows.map((row) => store.add(row))
}

/** What removing items needs: rows to delete (by seq) and rows to write again, shorter. */
interface Removal {
  deletes: number[]
  puts: ItemRow[]
}

async function planRemoval(store: ItemStore, sessionId: string, ranges: readonly SeqRange[]): Promise<Removal> {
  const removal: Removal = { deletes: [], puts: [] }
  for (const row of await rowsTouching(store, sessionId, ranges)) {
    if (isDamaged(row)) {
      // A damaged row cannot be read to keep part of it: it goes whole when its first seq goes.
      if (within(ranges, row.seq)) removal.deletes.push(row.seq)
      continue
    }
    const records = expandRow(row)
    const kept = records.filter((record) => !within(ranges, record.seq))
    if (kept.length === records.length) continue
    removal.deletes.push(row.seq)
    // What stays of one row stays in as few rows: a removal in its middle splits it in two.
    removal.puts.push(...packRecords(kept))
  }
  return removal
}

function applyRemoval(store: WritableItemStore, sessionId: string, { deletes, puts }: Removal): Promise<unknown> {
  // Deletes first: a shortened row keeps its key, and requests run in the order issued.
  return Promise.all([...deletes.map((seq) => store.delete([sessionId, seq])), ...puts.map((row) => store.put(row))])
}

/** Removes the items in `ranges` (rows holding others too are written again without them). */
export async function deleteItems(store: WritableItemStore, sessionId: string, ranges: readonly SeqRange[]): Promise<void> {
  if (ranges.length === 0) return
  await applyRemoval(store, sessionId, await planRemoval(store, sessionId, ranges))
}

/**
 * Removes the items in `ranges` by deleting whole rows only (a transaction at full quota may
 * delete but not write). Returns false, having issued nothing, when a row also holds items
 * outside `ranges`.
 */
export async function deleteWholeRows(store: WritableItemStore, sessionId: string, ranges: readonly SeqRange[]): Promise<boolean> {
  const removal = await planRemoval(store, sessionId, ranges)
  if (removal.puts.length > 0) return false
  await applyRemoval(store, sessionId, removal)
  return true
}

/** Stores `records` (any seqs, replacing the items stored there), packing the rows they touch again. */
export async function writeItems(store: WritableItemStore, sessionId: string, records: readonly ItemRecord[]): Promise<void> {
  if (records.length === 0) return
  const sorted = [...records].sort((a, b) => a.seq - b.seq)
  const ranges: SeqRange[] = []
  for (const { seq } of sorted) {
    const last = ranges[ranges.length - 1]
    if (last && last[1] === seq) last[1] = seq + 1
    else if (!last || last[1] <= seq) ranges.push([seq, seq + 1])
  }
  const touched = await rowsTouching(store, sessionId, ranges)
  const bySeq = expandRows(touched)
  // Items keep the rows they had (an append's newest item its own, see addItemRows); new
  // seqs are packed among themselves.
  const rowOf = new Map<number, number>()
  for (const row of touched) for (let seq = row.seq; seq < row.seq + spanOf(row); seq++) rowOf.set(seq, row.seq)
  for (const record of sorted) bySeq.set(record.seq, record)
  await applyRemoval(store, sessionId, {
    deletes: touched.map((row) => row.seq),
    puts: packRecords([...bySeq.values()].sort((a, b) => a.seq - b.seq), (record) => rowOf.get(record.seq)),
  })
}
