import { isUserMessage } from '../items/predicates.js'
import { ConflictError, NotFoundError } from './errors.js'
import { branchOf, type Mutation, type StoreOp, type WriteContext } from './mutation.js'
import type { OpOutcome } from './protocol.js'
import { appendRange, dropLast, lastSeq, rangesLength } from './ranges.js'
import { createSession, deleteUnshared, loadSession, MAIN_BRANCH, num, requireSession, saveBranch, saveSession } from './rows.js'

// The ops on a branch's items: append (and replace), pop, clear.

export async function append(ctx: WriteContext, op: Extract<StoreOp, { kind: 'append' | 'replace' }>): Promise<Mutation> {
  const existing = await loadSession(ctx.tx, ctx.userId, op.sessionId)
  if (!existing && op.items.length === 0) throw new NotFoundError(`There is no session "${op.sessionId}".`)
  if (!existing && op.branchId !== undefined && op.branchId !== MAIN_BRANCH) {
    throw new ConflictError('branch_not_found', `Session "${op.sessionId}" does not exist yet, so it has no branch "${op.branchId}".`)
  }
  const state = existing ?? (await createSession(ctx.tx, ctx.userId, op.sessionId, ctx.now, ctx.cursor))
  const branch = branchOf(state, op.branchId)
  if (op.expectedLength !== undefined && op.expectedLength !== branch.itemCount) {
    throw new ConflictError(
      'length_mismatch',
      `Branch "${branch.id}" of session "${op.sessionId}" holds ${branch.itemCount} items, not the ${op.expectedLength} this ${op.kind} expected.`,
      { branchLength: branch.itemCount },
    )
  }
  if (op.kind === 'replace') {
    await deleteUnshared(ctx.tx, state, branch, branch.ranges)
    branch.ranges = []
    branch.turns = 0
  }
  const firstSeq = state.nextSeq
  const turns = op.items.map((item) => (isUserMessage(item) ? ++branch.turns : null))
  if (op.items.length > 0) {
    await ctx.tx.query(
      `INSERT INTO idb_agents_items (user_id, session_id, seq, created_at, turn, item)
       SELECT $1, $2, $3 + t.ord - 1, $4, t.turn, t.item
       FROM ROWS FROM (json_array_elements($5::json), unnest($6::int[])) WITH ORDINALITY AS t(item, turn, ord)`,
      [ctx.userId, op.sessionId, firstSeq, ctx.now, ctx.itemsJson ?? JSON.stringify(op.items), turns],
    )
  }
  branch.ranges = appendRange(branch.ranges, firstSeq, op.items.length)
  branch.itemCount = rangesLength(branch.ranges)
  state.nextSeq = firstSeq + op.items.length
  await saveBranch(ctx.tx, state, branch)
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  const count = op.items.length
  return {
    outcome: { kind: op.kind, branchId: branch.id, firstSeq, count, branchLength: branch.itemCount },
    change: { payload: { branchId: branch.id, firstSeq, count }, firstSeq, count },
  }
}

export async function pop(ctx: WriteContext, op: Extract<StoreOp, { kind: 'pop' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const branch = branchOf(state, op.branchId)
  const newest = lastSeq(branch.ranges)
  if (op.seq !== undefined && op.seq !== newest) {
    throw new ConflictError(
      'not_newest',
      newest === undefined
        ? `Branch "${branch.id}" of session "${op.sessionId}" is empty; item ${op.seq} is no longer there.`
        : `Item ${op.seq} is not the newest item of branch "${branch.id}" of session "${op.sessionId}" (${newest} is).`,
      { newestSeq: newest ?? null },
    )
  }
  if (newest === undefined) return { outcome: { kind: 'pop', branchId: branch.id, seq: -1, branchLength: 0 } }
  const { rows } = await ctx.tx.query(`SELECT item::text AS item, turn FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 AND seq = $3`, [
    ctx.userId,
    op.sessionId,
    newest,
  ])
  const removed = rows[0]
  if (!removed) throw new NotFoundError(`Item ${newest} of session "${op.sessionId}" is missing; its rows were changed outside idb-agents.`)
  await deleteUnshared(ctx.tx, state, branch, [[newest, newest + 1]])
  if (removed.turn !== null && removed.turn !== undefined) branch.turns = num(removed.turn) - 1
  branch.ranges = dropLast(branch.ranges)
  branch.itemCount -= 1
  await saveBranch(ctx.tx, state, branch)
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  return {
    outcome: { kind: 'pop', branchId: branch.id, seq: newest, branchLength: branch.itemCount },
    change: { payload: { branchId: branch.id, seq: newest } },
    popped: removed.item as string,
  }
}

export async function clear(ctx: WriteContext, op: Extract<StoreOp, { kind: 'clear' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const branch = branchOf(state, op.branchId)
  const outcome: OpOutcome = { kind: 'clear', branchId: branch.id }
  // Clearing main also clears the usage recorded outside any turn (seq -1), as on every session kind.
  const outside =
    branch.id === MAIN_BRANCH
      ? await ctx.tx.query(`DELETE FROM idb_agents_usage WHERE user_id = $1 AND session_id = $2 AND seq = -1 RETURNING seq`, [ctx.userId, op.sessionId])
      : undefined
  if (branch.itemCount === 0 && !outside?.rows.length) return { outcome }
  await deleteUnshared(ctx.tx, state, branch, branch.ranges)
  branch.ranges = []
  branch.turns = 0
  branch.itemCount = 0
  await saveBranch(ctx.tx, state, branch)
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  return { outcome, change: { payload: { branchId: branch.id } } }
}
