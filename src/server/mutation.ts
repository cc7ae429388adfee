import type { UsageTotals } from '../session/usage.js'
import type { SqlClient } from './db.js'
import { ConflictError } from './errors.js'
import type { OpOutcome, TurnRef } from './protocol.js'
import { currentBranch, num, type BranchRow, type SessionState } from './rows.js'

// What every mutation shares: the op as the store applies it, where it runs, and what it
// reports back (its outcome and its change feed row).

/** An op as the store applies it: a wire op without its id, plus what only the server uses. */
export type StoreOp =
  | { kind: 'append' | 'replace'; sessionId: string; branchId?: string; items: unknown[]; expectedLength?: number }
  | { kind: 'pop'; sessionId: string; branchId?: string; seq?: number }
  | { kind: 'clear'; sessionId: string; branchId?: string }
  | { kind: 'createBranch'; sessionId: string; branchId?: string; fromTurn: number; name?: string; sourceBranchId?: string }
  | { kind: 'switchBranch'; sessionId: string; branchId: string }
  | { kind: 'deleteBranch'; sessionId: string; branchId: string }
  | { kind: 'setTitle'; sessionId: string; title: string | null }
  | { kind: 'usage'; sessionId: string; turn: TurnRef | null | 'newest'; usage: UsageTotals }
  | { kind: 'deleteSession'; sessionId: string }

/** Where a mutation runs. */
export interface WriteContext {
  tx: SqlClient
  userId: string
  now: number
  /** The cursor this op's change gets. */
  cursor: number
  /** `append`/`replace`: the op's items as JSON text, serialized once by the store. */
  itemsJson?: string | undefined
}

/** A change feed row: the op as applied, items named by seq range. */
export interface ChangeRecord {
  payload: Record<string, unknown>
  firstSeq?: number
  count?: number
}

/** What a mutation did. No `change` means nothing changed (and no cursor is used). */
export interface Mutation {
  outcome: OpOutcome
  change?: ChangeRecord
  /** `pop`: the removed item's JSON text. */
  popped?: string
}

/** The branch an op names, or the current one; a missing one is a `branch_not_found` conflict. */
export function branchOf(state: SessionState, branchId: string | undefined): BranchRow {
  const branch = branchId === undefined ? currentBranch(state) : state.branches.get(branchId)
  if (!branch) {
    throw new ConflictError(
      'branch_not_found',
      `Session "${state.sessionId}" has no branch "${branchId}"; its branches are ${[...state.branches.keys()].join(', ')}.`,
    )
  }
  return branch
}

/** Usage totals from a usage row. */
export function toUsage(row: Record<string, unknown>): UsageTotals {
  return {
    requests: num(row.requests),
    inputTokens: num(row.input_tokens),
    outputTokens: num(row.output_tokens),
    totalTokens: num(row.total_tokens),
  }
}
