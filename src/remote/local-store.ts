// The local side of a synced database: the stores a synced write or pull spans, the seqs
// of items the server has not numbered yet, and small helpers over both.
import type { IDBPTransaction } from 'idb'
import { withDatabase, type DatabaseLocation } from '../idb/database.js'
import { SESSIONS_DB, type AgentsDB, type AgentsTransaction, type OutboxRecord, type SeqRange } from '../idb/schema.js'

/** Every store a synced write or an applied pull spans: one transaction for all. */
// The session stores too (operation ids, paused runs): the IndexedDB writes shared with
// IndexedDBSession touch them when a branch or a session goes.
export const SYNC_STORES = ['sessions', 'items', 'usage', 'operations', 'pendingRuns', 'outbox', 'syncState'] as const
export type SyncTransaction = IDBPTransaction<AgentsDB, ['sessions', 'items', 'usage', 'operations', 'pendingRuns', 'outbox', 'syncState'], 'readwrite'>

/**
 * Items written on this device get local seqs from here up, until the server numbers them
 * (its seqs start at 0 and never come near). A branch's seqs are always ascending — the
 * server's, then the local ones — so a server append slots in before the local tail: that
 * is the rebase.
 */
export const PENDING_BASE = 2 ** 40

/** The feed cursor's key in `syncState`. */
export const CURSOR_KEY = 'cursor'
/** The key of a session's next local seq in `syncState`. */
export const nextSeqKey = (sessionId: string): string => `next:${sessionId}`

/** The same transaction, typed for the session helpers of src/idb/records.ts. */
export const asSessionTx = (tx: SyncTransaction): AgentsTransaction<'readwrite'> => tx as unknown as AgentsTransaction<'readwrite'>

/** Runs `work` in one readwrite transaction over {@link SYNC_STORES}; resolves once it committed. */
export function inSyncTransaction<T>(location: DatabaseLocation, action: string, work: (tx: SyncTransaction) => Promise<T>): Promise<T> {
  return withDatabase(location, SESSIONS_DB, action, async (db) => {
    const tx = db.transaction([...SYNC_STORES], 'readwrite') as SyncTransaction
    tx.done.catch(() => {})
    try {
      const result = await work(tx)
      await tx.done
      return result
    } catch (error) {
      try {
        tx.abort()
      } catch {
        // already finished
      }
      throw error
    }
  })
}

export function toSeqs(ranges: readonly SeqRange[]): number[] {
  const seqs: number[] = []
  for (const [start, end] of ranges) for (let seq = start; seq < end; seq++) seqs.push(seq)
  return seqs
}

export function fromSeqs(seqs: readonly number[]): SeqRange[] {
  const ranges: SeqRange[] = []
  for (const seq of seqs) {
    const last = ranges[ranges.length - 1]
    if (last && last[1] === seq) last[1] = seq + 1
    else ranges.push([seq, seq + 1])
  }
  return ranges
}

/** `ranges` with `added` seqs in, ascending, each once. */
export function withSeqs(ranges: readonly SeqRange[], added: readonly number[]): SeqRange[] {
  return fromSeqs([...new Set([...toSeqs(ranges), ...added])].sort((a, b) => a - b))
}

/** `ranges` without the seqs `drop` says to drop. */
export function withoutSeqs(ranges: readonly SeqRange[], drop: (seq: number) => boolean): SeqRange[] {
  return fromSeqs(toSeqs(ranges).filter((seq) => !drop(seq)))
}

/** The append or replace of the outbox that stored the local seq `seq`, if one is waiting. */
export function entryHolding(entries: readonly OutboxRecord[], seq: number): OutboxRecord | undefined {
  return entries.find((entry) => {
    const items = entry.op.items
    return entry.localSeq !== undefined && Array.isArray(items) && seq >= entry.localSeq && seq < entry.localSeq + items.length
  })
}
