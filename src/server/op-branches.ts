import { InvalidArgumentError } from '../errors.js'
import { ConflictError } from './errors.js'
import { branchOf, type Mutation, type StoreOp, type WriteContext } from './mutation.js'
import type { OpOutcome } from './protocol.js'
import { firstPositions, positionOf } from './ranges.js'
import { deleteUnshared, insertBranch, MAIN_BRANCH, requireSession, saveSession, toBranchState, turnSeq, type BranchRow, type SessionState } from './rows.js'

// The ops on branches: create one from a turn (sharing items), switch, delete.

/** The message {@link assertTurn} would give, as a conflict the wire can report. */
function checkTurn(turn: number, turnCount: number, branchId: string): void {
  if (Number.isInteger(turn) && turn >= 1 && turn <= turnCount) return
  throw new ConflictError(
    'turn_not_found',
    turnCount === 0
      ? `turn ${String(turn)} does not exist: branch "${branchId}" has no turns yet.`
      : `turn must be an integer from 1 to ${turnCount} (the turns of branch "${branchId}"), got ${String(turn)}.`,
  )
}

export async function createBranch(ctx: WriteContext, op: Extract<StoreOp, { kind: 'createBranch' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const source = branchOf(state, op.sourceBranchId)
  const id = op.branchId ?? newBranchId(state)
  if (state.branches.has(id)) throw new ConflictError('branch_exists', `Session "${op.sessionId}" already has a branch "${id}".`)
  checkTurn(op.fromTurn, source.turns, source.id)
  const position = positionOf(source.ranges, await turnSeq(ctx.tx, state, source, op.fromTurn))
  const branch: BranchRow = {
    id,
    name: op.name ?? `turn-${op.fromTurn}`,
    parentId: source.id,
    forkTurn: op.fromTurn,
    createdAt: ctx.now,
    createdCursor: ctx.cursor,
    ranges: firstPositions(source.ranges, position),
    turns: op.fromTurn - 1,
    itemCount: position,
  }
  await insertBranch(ctx.tx, ctx.userId, op.sessionId, branch)
  state.branches.set(id, branch)
  state.currentBranchId = id
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  const snapshot = toBranchState(branch)
  return { outcome: { kind: 'createBranch', branch: snapshot }, change: { payload: { branch: snapshot } } }
}

function newBranchId(state: SessionState): string {
  for (;;) {
    const id = `branch-${Math.random().toString(36).slice(2, 8)}`
    if (!state.branches.has(id)) return id
  }
}

export async function switchBranch(ctx: WriteContext, op: Extract<StoreOp, { kind: 'switchBranch' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const branch = branchOf(state, op.branchId)
  const outcome: OpOutcome = { kind: 'switchBranch', branchId: branch.id }
  if (state.currentBranchId === branch.id) return { outcome }
  state.currentBranchId = branch.id
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  return { outcome, change: { payload: { branchId: branch.id } } }
}

export async function deleteBranch(ctx: WriteContext, op: Extract<StoreOp, { kind: 'deleteBranch' }>): Promise<Mutation> {
  if (op.branchId === MAIN_BRANCH) {
    throw new InvalidArgumentError(`The main branch of session "${op.sessionId}" cannot be deleted; use clearSession to empty it.`)
  }
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const branch = branchOf(state, op.branchId)
  await deleteUnshared(ctx.tx, state, branch, branch.ranges)
  state.branches.delete(branch.id)
  const key = [ctx.userId, op.sessionId]
  await ctx.tx.query(`DELETE FROM idb_agents_branches WHERE user_id = $1 AND session_id = $2 AND branch_id = $3`, [...key, branch.id])
  await ctx.tx.query(`UPDATE idb_agents_branches SET parent_id = $4 WHERE user_id = $1 AND session_id = $2 AND parent_id = $3`, [
    ...key,
    branch.id,
    branch.parentId,
  ])
  if (state.currentBranchId === branch.id) {
    state.currentBranchId = branch.parentId !== null && state.branches.has(branch.parentId) ? branch.parentId : MAIN_BRANCH
  }
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  const done = { branchId: branch.id, currentBranchId: state.currentBranchId }
  return { outcome: { kind: 'deleteBranch', ...done }, change: { payload: done } }
}
