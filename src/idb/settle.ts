// Rows deleted ahead of their session record, and how every reader and writer handles them.
//
// At full quota Chromium aborts every transaction that writes anything, even one that
// deletes far more than it adds; transactions that only delete succeed. So popItem,
// clearSession and deleteBranch, when refused for quota, first delete the rows they free in
// a delete-only transaction, then rewrite the session record in a second one (see
// free-space.ts). If the second fails too (the freed rows were too small for the browser to
// count, another tab took the space, the page closed in between), the record still lists
// rows that are gone. What such an operation deletes is always the newest part of one
// branch: a branch shares only a prefix with other branches (forks copy a prefix), so what
// only it shows is a suffix.
//
// THE RULE. A branch whose newest rows are missing ends at its last stored row: those rows
// were freed. Its turn count is that of what remains. Every reader settles the record it
// read this way before using it; every writer settles it before changing it and stores the
// settled record, so the next write mends the record. A row missing *before* a stored one
// is not this: it is damage, and reading it stays a StorageError (never a silent gap), as
// does a stored row that cannot be read.
import type { AgentsTransaction, BranchRecord, SeqRange, SessionRecord } from './schema.js'
import { hasItem, newestItemIn } from './item-rows.js'

type AnyTransaction = AgentsTransaction<'readonly'> | AgentsTransaction<'readwrite'>

/** The branches of a record that show something, tolerating a damaged record (readers report that themselves). */
function branchesOf(record: SessionRecord): BranchRecord[] {
  const branches: unknown = record.branches
  if (typeof record.id !== 'string' || typeof branches !== 'object' || branches === null) return []
  return Object.values(branches as Record<string, BranchRecord>).filter((branch) => {
    const ranges: unknown = typeof branch === 'object' && branch !== null ? branch.ranges : undefined
    const last: unknown = Array.isArray(ranges) ? ranges[ranges.length - 1] : undefined
    return Array.isArray(last) && Number.isInteger(last[0]) && Number.isInteger(last[1]) && last[1] > last[0]
  })
}

function lastSeqOf(branch: BranchRecord): number {
  return branch.ranges[branch.ranges.length - 1]![1] - 1
}

/**
 * Whether every branch's newest row is stored, i.e. the record needs no settling. Issues its
 * requests at once (one per branch), so it can run beside other requests of the transaction.
 */
export function tailsIntact(tx: AnyTransaction, record: SessionRecord): Promise<boolean> {
  const items = tx.objectStore('items')
  const checks = branchesOf(record).map((branch) => hasItem(items, record.id, lastSeqOf(branch)))
  return Promise.all(checks).then((stored) => stored.every(Boolean))
}

/**
 * `record` with every branch cut at its last stored row (see the rule above); `record`
 * itself when nothing is missing. The result is a copy: `record` is never changed.
 */
export async function settleRecord(tx: AnyTransaction, record: SessionRecord): Promise<SessionRecord> {
  if (await tailsIntact(tx, record)) return record
  const settled: SessionRecord = { ...record, branches: { ...record.branches } }
  await Promise.all(
    branchesOf(record).map(async (branch) => {
      const ranges = await storedPrefix(tx, record.id, branch.ranges)
      if (ranges.length === branch.ranges.length && ranges[ranges.length - 1]![1] === branch.ranges[branch.ranges.length - 1]![1]) return
      const turns = await turnsWithin(tx, record.id, ranges, branch.turns)
      // An own property even for an id like `__proto__` (branch ids are data).
      Object.defineProperty(settled.branches, branch.id, { value: { ...branch, ranges, turns }, enumerable: true, writable: true, configurable: true })
    }),
  )
  return settled
}

/** `ranges` up to and including the newest row stored in them. */
async function storedPrefix(tx: AnyTransaction, sessionId: string, ranges: readonly SeqRange[]): Promise<SeqRange[]> {
  const items = tx.objectStore('items')
  for (let i = ranges.length - 1; i >= 0; i--) {
    const [start] = ranges[i]!
    const newest = await newestItemIn(items, sessionId, ranges[i]!)
    if (newest !== undefined) return [...ranges.slice(0, i), [start, newest + 1]]
  }
  return []
}

/**
 * How many turns the rows at `ranges` hold. Turn numbers along a branch are 1, 2, … in
 * order and a user message has the same number in every branch showing it, so those of a
 * prefix are 1…k: a binary search for k over the turn index, O(log turns) requests.
 */
async function turnsWithin(tx: AnyTransaction, sessionId: string, ranges: readonly SeqRange[], atMost: number): Promise<number> {
  const byTurn = tx.objectStore('items').index('byTurn')
  const shows = (seq: number) => ranges.some(([start, end]) => seq >= start && seq < end)
  const present = async (turn: number) => (await byTurn.getAllKeys(IDBKeyRange.only([sessionId, turn]))).some(([, seq]) => shows(seq))
  let low = 0
  let high = atMost
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (await present(middle)) low = middle
    else high = middle - 1
  }
  return low
}
