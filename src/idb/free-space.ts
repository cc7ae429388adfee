// Freeing space at a completely full quota. popItem, clearSession and deleteBranch each run
// as one transaction that deletes rows and rewrites the session record; at full quota
// Chromium refuses it (any write aborts, however much the transaction deletes), while a
// transaction that only deletes succeeds (measured in Chromium 156: see
// test/idb/free-space.browser.test.ts). When the one transaction is refused for quota, the
// session falls back to two:
//
// 1. a delete-only transaction removing exactly the rows the operation frees: rows no branch
//    shows afterwards, always the newest part of one branch (see settle.ts). Nothing else.
//    A row also holding items that stay (schema v6: a pop of the newest of several items
//    written together) would have to be written again: then nothing is freed this way.
// 2. the record update: the operation run again on the record, if the record is still the
//    one transaction 1 read (else only the settled record is stored).
//
// Between the two, and for good if the second is refused too, the record lists rows that are
// gone; settle.ts says how every reader and writer reads that. For popItem, and for
// clearSession when the branch shared nothing, that reading *is* the operation's result, so
// the call succeeds. Otherwise (deleteBranch; clearSession of a branch that shares its
// beginning with another) the branch still shows the shared part: the call throws a
// StorageQuotaError saying what was freed and that calling again once there is room
// finishes it. Normal (not full) operation never comes here: it stays one transaction.
import { StorageQuotaError } from '../errors.js'
import { withDatabase, type DatabaseLocation } from './database.js'
import { currentBranch, branchOf, OUTSIDE_TURNS_SEQ, seqBound, type Change } from './records.js'
import { MAIN_BRANCH, SESSION_STORES, SESSIONS_DB, type AgentsTransaction, type BranchRecord, type SeqRange, type SessionRecord } from './schema.js'
import { lastPositions, lastSeq, rangesLength, subtractRanges } from './seq-ranges.js'
import { settleRecord } from './settle.js'
import { deleteWholeRows, readItem } from './item-rows.js'

/** A session write: issues its requests on the (settled) record and returns the record to store, or nothing to do. */
export type Mutation = (
  tx: AgentsTransaction<'readwrite'>,
  existing: SessionRecord | undefined,
  now: number,
) => Promise<Change | undefined> | Change | undefined

/** What the fallback needs of the session it runs for. */
export interface FreeingSession {
  sessionId: string
  location: DatabaseLocation
  durability: IDBTransactionDurability
  /** The session's normal write: one transaction, on the settled record. */
  commit(mutate: Mutation): Promise<void>
  /** Tells listeners the session changed (called once the rows were deleted). */
  changed(): void
}

/** An operation that frees space. */
export type Freeing = { kind: 'pop' } | { kind: 'clear' } | { kind: 'deleteBranch'; branchId: string }

/** What the delete-only transaction did. */
export interface Freed {
  /** The record's etag when the rows were deleted: the record update reruns the operation only on that record. */
  etag: string | undefined
  branchId: string
  /** How many items were deleted. */
  count: number
  /** How many items the branch still shows until the record is updated. */
  remaining: number
  /** True when readers, settling the record, already see exactly the operation's result. */
  exact: boolean
  /** The item popItem removed. */
  removed?: unknown
}

/**
 * The fallback, once the operation's one transaction was refused for quota (`refused`).
 * @param mutate - the operation, run again by transaction 2 on the record transaction 1 read
 * @returns what transaction 1 did (popItem's removed item)
 * @throws `refused` when the operation frees nothing this way (nothing changed);
 *   {@link unfinished} when the rows were freed but the operation is not complete
 */
export async function freeAhead(session: FreeingSession, action: string, freeing: Freeing, mutate: Mutation, refused: StorageQuotaError): Promise<Freed> {
  const freed = await withDatabase(session.location, SESSIONS_DB, action, (db) =>
    deleteOnly(async () => {
      const tx = db.transaction(SESSION_STORES, 'readwrite', { durability: session.durability })
      tx.done.catch(() => {}) // awaited by deleteAhead
      try {
        return await deleteAhead(tx, session.sessionId, freeing)
      } catch (error) {
        try {
          tx.abort()
        } catch {
          // already finished: it committed nothing after the failure
        }
        throw error
      }
    }),
  )
  if (!freed) throw refused // it frees nothing this way (an item other branches show): nothing changed
  let finished = freed.exact
  try {
    let reran = false
    await session.commit(async (tx, existing, now) => {
      reran = false
      if (!existing) return undefined // deleted meanwhile
      // Only on the very record the rows were freed from does the operation run again;
      // else whoever wrote it settled it already, and it is stored settled as it is.
      if (freeing.kind === 'pop' || existing.etag !== freed.etag) return { record: existing, requests: [] }
      const change = await mutate(tx, existing, now)
      reran = true
      return change
    })
    finished ||= reran
  } catch (error) {
    // When finished, readers already see the operation's result; the next write stores it.
    if (!finished) throw unfinished(session.sessionId, freeing, freed, error)
  } finally {
    session.changed()
  }
  if (!finished) throw unfinished(session.sessionId, freeing, freed, refused)
  return freed
}

/**
 * Transaction 1: deletes the rows `freeing` frees, and nothing else.
 * @returns `undefined` when the operation frees nothing this way (nothing was changed)
 */
async function deleteAhead(tx: AgentsTransaction<'readwrite'>, sessionId: string, freeing: Freeing): Promise<Freed | undefined> {
  const stored = await tx.objectStore('sessions').get(sessionId)
  if (!stored) return undefined
  const record = await settleRecord(tx, stored)
  const branch = freeing.kind === 'deleteBranch' ? branchOf(record, freeing.branchId) : currentBranch(record)
  const newest = lastSeq(branch.ranges)
  if (newest === undefined || (freeing.kind === 'deleteBranch' && branch.id === MAIN_BRANCH)) return undefined
  const rows = subtractRanges(freeing.kind === 'pop' ? [[newest, newest + 1]] : branch.ranges, othersOf(record, branch))
  const count = rangesLength(rows)
  // Only a suffix of the branch may go ahead of the record: anything else would leave a gap.
  if (count === 0 || subtractRanges(lastPositions(branch.ranges, count), rows).length > 0) return undefined
  const remaining = rangesLength(branch.ranges) - count
  const exact = freeing.kind === 'pop' || (freeing.kind === 'clear' && remaining === 0)
  const items = tx.objectStore('items')
  const removed = freeing.kind === 'pop' ? (await readItem(items, sessionId, newest))?.item : undefined
  // Only whole rows: writing a row again, shorter, is a write the full quota refuses.
  if (!(await deleteWholeRows(items, sessionId, rows))) return undefined
  const requests = rows.map((range) => tx.objectStore('usage').delete(seqBound(sessionId, range)))
  // The usage rule: clearing main clears the usage outside turns too (only when that clear is then complete).
  if (exact && freeing.kind === 'clear' && branch.id === MAIN_BRANCH) requests.push(tx.objectStore('usage').delete([sessionId, OUTSIDE_TURNS_SEQ]))
  await Promise.all([...requests, tx.done])
  return { etag: stored.etag, branchId: branch.id, count, remaining, exact, removed }
}

function othersOf(record: SessionRecord, except: BranchRecord): SeqRange[] {
  return Object.values(record.branches)
    .filter((branch) => branch.id !== except.id)
    .flatMap((branch) => branch.ranges)
}

/** The error of an operation whose rows were freed but whose record update was refused. */
function unfinished(sessionId: string, freeing: Freeing, freed: Freed, cause: unknown): StorageQuotaError {
  const what = freeing.kind === 'deleteBranch' ? 'deleting the branch: it is still listed and' : 'clearing it: it'
  const again = freeing.kind === 'deleteBranch' ? `deleteBranch(${JSON.stringify(freed.branchId)})` : 'clearSession()'
  return new StorageQuotaError(cause, {
    freed: freed.count,
    detail:
      `To free space, the ${freed.count} items only branch "${freed.branchId}" of session "${sessionId}" showed were deleted, ` +
      `but the session could not be updated to finish ${what} now shows the ${freed.remaining} earlier items it shares with other branches. ` +
      `Free more space (delete another conversation), then call ${again} again to finish.`,
  })
}

/**
 * Runs a transaction that only deletes. Firefox refuses the first such transaction at a
 * completely full quota and commits the same one right after, on the same connection (on a
 * new connection it is refused again; measured in free-space.browser.test.ts): once more.
 */
export async function deleteOnly<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'QuotaExceededError') throw error
    return run()
  }
}
