import type { AgentsTransaction, BranchRecord, ItemRecord, SeqRange, SessionRecord } from './indexeddb-schema.js'
import { newSessionRecord } from './indexeddb-schema.js'
import { appendRange, dropLast, lastSeq, rangesLength, subtractRanges } from './seq-ranges.js'
import { StorageError } from '../errors.js'

// The mutations of one session inside one readwrite transaction. Each takes the session
// record as read in that transaction and issues its requests on it; the caller writes the
// record back and awaits the transaction, so a failure anywhere commits nothing.

type WriteTransaction = AgentsTransaction<'readwrite'>

/** Public summary of a stored session. */
export interface SessionInfo {
  sessionId: string
  /** A title set with `renameSession` / `setTitle`. */
  title?: string
  /** When the session was first written (ms since epoch). */
  createdAt: number
  /** When the session last changed (ms since epoch). */
  updatedAt: number
  /** Items on the current branch. */
  itemCount: number
}

export function toSessionInfo(record: SessionRecord): SessionInfo {
  const info: SessionInfo = {
    sessionId: record.id,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    itemCount: rangesLength(currentBranch(record).ranges),
  }
  if (record.title !== undefined) info.title = record.title
  return info
}

export function currentBranch(record: SessionRecord): BranchRecord {
  const branch = record.branches[record.currentBranchId]
  if (!branch) {
    throw new StorageError(
      `Session "${record.id}" points at a missing branch "${record.currentBranchId}"; the record is damaged.`,
    )
  }
  return branch
}

function otherRanges(record: SessionRecord, except: BranchRecord): SeqRange[] {
  return Object.values(record.branches)
    .filter((branch) => branch !== except)
    .flatMap((branch) => branch.ranges)
}

export function seqBound(sessionId: string, [start, end]: SeqRange): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, start], [sessionId, end - 1])
}

/** Sequence numbers past every branch's end are unused: hand them out again. */
function settleNextSeq(record: SessionRecord): void {
  let max = 0
  for (const branch of Object.values(record.branches)) {
    const last = branch.ranges[branch.ranges.length - 1]
    if (last && last[1] > max) max = last[1]
  }
  record.nextSeq = max
}

/** Appends `items` to the current branch, creating the session record if needed. */
export function appendItems(
  tx: WriteTransaction,
  sessionId: string,
  existing: SessionRecord | undefined,
  items: readonly unknown[],
  now: number,
): { record: SessionRecord; requests: Promise<unknown>[] } {
  const record = existing ?? newSessionRecord(sessionId, now)
  const branch = currentBranch(record)
  const store = tx.objectStore('items')
  const start = record.nextSeq
  const requests = items.map((item, i) => store.add({ sessionId, seq: start + i, createdAt: now, item }))
  branch.ranges = appendRange(branch.ranges, start, items.length)
  record.nextSeq = start + items.length
  record.updatedAt = now
  return { record, requests }
}

/** Removes every item of the current branch; items another branch still shows stay. */
export function clearBranch(tx: WriteTransaction, record: SessionRecord, now: number): Promise<unknown>[] {
  const branch = currentBranch(record)
  const store = tx.objectStore('items')
  const unshared = subtractRanges(branch.ranges, otherRanges(record, branch))
  const requests = unshared.map((range) => store.delete(seqBound(record.id, range)))
  branch.ranges = []
  settleNextSeq(record)
  record.updatedAt = now
  return requests
}

/**
 * Removes the newest item of the current branch. `removed` resolves to its record (read
 * before the delete, in the same transaction); `undefined` when the branch is empty.
 */
export function dropNewest(
  tx: WriteTransaction,
  record: SessionRecord,
  now: number,
): { removed: Promise<ItemRecord | undefined>; requests: Promise<unknown>[] } | undefined {
  const branch = currentBranch(record)
  const seq = lastSeq(branch.ranges)
  if (seq === undefined) return undefined
  const store = tx.objectStore('items')
  const removed = store.get([record.id, seq])
  const shared = otherRanges(record, branch).some(([start, end]) => seq >= start && seq < end)
  const requests: Promise<unknown>[] = shared ? [removed] : [removed, store.delete([record.id, seq])]
  branch.ranges = dropLast(branch.ranges)
  settleNextSeq(record)
  record.updatedAt = now
  return { removed, requests }
}
