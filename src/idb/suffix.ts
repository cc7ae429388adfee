// Replacing the newest items of a branch, checked in the same transaction: what history
// transactions, mutations and compaction replacement of IndexedDBSession are built on. The
// operation id, when given, is recorded in that same transaction.
import { HistoryOperationConflictError, HistorySuffixMismatchError, PositionConflictError } from '../errors.js'
import { sameJson } from '../items/json.js'
import type { SuffixReplacement } from '../session/capabilities.js'
import type { Mutation } from './free-space.js'
import { appendItems, currentBranch, dropNewest, readRows } from './records.js'
import { newSessionRecord } from './schema.js'
import { lastPositions, rangesLength } from './seq-ranges.js'

/** What a suffix mutation found: whether it applied the change (false: the operation was recorded already). */
export interface SuffixOutcome {
  applied: boolean
}

/**
 * The mutation replacing the newest `change.expectedSuffix.length` items of the current
 * branch with `change.replacement` (items already stored copies). Sets `outcome.applied`.
 * @throws the errors of `SuffixReplaceableSession.replaceSuffix`; the transaction is then aborted
 */
export function suffixMutation(sessionId: string, change: SuffixReplacement<unknown>, outcome: SuffixOutcome): Mutation {
  return async (tx, existing, now) => {
    outcome.applied = false // a retried attempt must not report what an aborted one did
    const operation = change.operation
    if (operation) {
      const recorded = await tx.objectStore('operations').get([sessionId, operation.operationId])
      if (recorded) {
        if (recorded.fingerprint === operation.fingerprint) return undefined
        throw new HistoryOperationConflictError(sessionId, operation.operationId)
      }
    }
    const held = existing ? rangesLength(currentBranch(existing).ranges) : 0
    if (change.at !== undefined && change.at !== held) throw new PositionConflictError(sessionId, change.at, held)
    const expected = change.expectedSuffix
    if (expected.length > held) throw new HistorySuffixMismatchError(sessionId, expected.length, held)
    if (expected.length > 0) {
      const rows = await readRows(tx, existing!, lastPositions(currentBranch(existing!).ranges, expected.length))
      if (!rows.every((row, i) => sameJson(row.item, expected[i]))) throw new HistorySuffixMismatchError(sessionId, expected.length, held)
    }
    let record = existing ?? newSessionRecord(sessionId, now)
    const requests: Promise<unknown>[] = []
    for (let i = 0; i < expected.length; i++) {
      const dropped = await dropNewest(tx, record, now)
      record = dropped!.change.record
      requests.push(...dropped!.change.requests)
    }
    if (change.replacement.length > 0) {
      const appended = appendItems(tx, sessionId, record, change.replacement, now)
      record = appended.record
      requests.push(...appended.requests)
    }
    if (operation) {
      requests.push(
        tx.objectStore('operations').add({
          sessionId,
          operationId: operation.operationId,
          branchId: record.currentBranchId,
          fingerprint: operation.fingerprint,
          createdAt: now,
        }),
      )
    }
    record.updatedAt = now
    outcome.applied = true
    return { record, requests }
  }
}
