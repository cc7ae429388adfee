import { InvalidArgumentError } from '../errors.js'
import { isTurnStart, type UsageTotals } from '../session/turns.js'
import type { SqlClient } from './db.js'
import { ConflictError, NotFoundError } from './errors.js'
import type { OpOutcome, TurnRef } from './protocol.js'
import { appendRange, dropLast, firstPositions, lastSeq, positionOf, rangesLength } from './ranges.js'
import {
  createSession,
  currentBranch,
  deleteUnshared,
  insertBranch,
  loadSession,
  MAIN_BRANCH,
  num,
  requireSession,
  saveBranch,
  saveSession,
  toBranchState,
  turnSeq,
  type BranchRow,
  type SessionState,
} from './rows.js'

// The mutations, one per op kind, each inside the transaction the store opened with the
// user's row locked. A refused op (a conflict, a missing branch) throws, and the store
// rolls the whole transaction back: nothing of it is stored.

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

export async function mutate(ctx: WriteContext, op: StoreOp): Promise<Mutation> {
  switch (op.kind) {
    case 'append':
    case 'replace':
      return append(ctx, op)
    case 'pop':
      return pop(ctx, op)
    case 'clear':
      return clear(ctx, op)
    case 'createBranch':
      return createBranch(ctx, op)
    case 'switchBranch':
      return switchBranch(ctx, op)
    case 'deleteBranch':
      return deleteBranch(ctx, op)
    case 'setTitle':
      return setTitle(ctx, op)
    case 'usage':
      return usage(ctx, op)
    case 'deleteSession':
      return deleteSession(ctx, op)
  }
}

function branchOf(state: SessionState, branchId: string | undefined): BranchRow {
  const branch = branchId === undefined ? currentBranch(state) : state.branches.get(branchId)
  if (!branch) {
    throw new ConflictError(
      'branch_not_found',
      `Session "${state.sessionId}" has no branch "${branchId}"; its branches are ${[...state.branches.keys()].join(', ')}.`,
    )
  }
  return branch
}

async function append(ctx: WriteContext, op: Extract<StoreOp, { kind: 'append' | 'replace' }>): Promise<Mutation> {
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
  const turns = op.items.map((item) => (isTurnStart(item) ? ++branch.turns : null))
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

async function pop(ctx: WriteContext, op: Extract<StoreOp, { kind: 'pop' }>): Promise<Mutation> {
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

async function clear(ctx: WriteContext, op: Extract<StoreOp, { kind: 'clear' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const branch = branchOf(state, op.branchId)
  const outcome: OpOutcome = { kind: 'clear', branchId: branch.id }
  if (branch.itemCount === 0) return { outcome }
  await deleteUnshared(ctx.tx, state, branch, branch.ranges)
  branch.ranges = []
  branch.turns = 0
  branch.itemCount = 0
  await saveBranch(ctx.tx, state, branch)
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  return { outcome, change: { payload: { branchId: branch.id } } }
}

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

async function createBranch(ctx: WriteContext, op: Extract<StoreOp, { kind: 'createBranch' }>): Promise<Mutation> {
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

async function switchBranch(ctx: WriteContext, op: Extract<StoreOp, { kind: 'switchBranch' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const branch = branchOf(state, op.branchId)
  const outcome: OpOutcome = { kind: 'switchBranch', branchId: branch.id }
  if (state.currentBranchId === branch.id) return { outcome }
  state.currentBranchId = branch.id
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  return { outcome, change: { payload: { branchId: branch.id } } }
}

async function deleteBranch(ctx: WriteContext, op: Extract<StoreOp, { kind: 'deleteBranch' }>): Promise<Mutation> {
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

async function setTitle(ctx: WriteContext, op: Extract<StoreOp, { kind: 'setTitle' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  state.title = op.title
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  return { outcome: { kind: 'setTitle' }, change: { payload: { title: op.title } } }
}

/** The seq usage is recorded on: a turn's user message, or -1 outside any turn. */
async function usageSeq(ctx: WriteContext, state: SessionState, turn: TurnRef | null | 'newest'): Promise<number> {
  if (turn === null) return -1
  if (turn === 'newest') {
    const branch = currentBranch(state)
    return branch.turns > 0 ? turnSeq(ctx.tx, state, branch, branch.turns) : -1
  }
  let seq: number
  if ('seq' in turn) {
    seq = turn.seq
  } else {
    const { rows } = await ctx.tx.query(`SELECT session_id, kind, result FROM idb_agents_operations WHERE user_id = $1 AND op_id = $2`, [
      ctx.userId,
      turn.opId,
    ])
    const op = rows[0]
    const result = op?.result as { firstSeq?: unknown; count?: unknown } | undefined
    if (!op || op.session_id !== state.sessionId || (op.kind !== 'append' && op.kind !== 'replace') || !result) {
      throw new ConflictError('turn_not_found', `No append "${turn.opId}" to session "${state.sessionId}" was applied, so its turn is unknown.`)
    }
    if (turn.index >= num(result.count)) {
      throw new ConflictError('turn_not_found', `Append "${turn.opId}" has ${num(result.count)} items; there is no item ${turn.index}.`)
    }
    seq = num(result.firstSeq) + turn.index
  }
  const { rows } = await ctx.tx.query(`SELECT turn FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 AND seq = $3`, [
    ctx.userId,
    state.sessionId,
    seq,
  ])
  const item = rows[0]
  if (!item || item.turn === null || item.turn === undefined) {
    throw new ConflictError(
      'turn_not_found',
      item ? `Item ${seq} of session "${state.sessionId}" is not a user message, so no turn starts there.` : `Item ${seq} of session "${state.sessionId}" is gone.`,
    )
  }
  return seq
}

async function usage(ctx: WriteContext, op: Extract<StoreOp, { kind: 'usage' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const seq = await usageSeq(ctx, state, op.turn)
  const { requests, inputTokens, outputTokens, totalTokens } = op.usage
  const { rows } = await ctx.tx.query(
    `INSERT INTO idb_agents_usage AS u (user_id, session_id, seq, requests, input_tokens, output_tokens, total_tokens)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (user_id, session_id, seq) DO UPDATE SET
       requests = u.requests + EXCLUDED.requests, input_tokens = u.input_tokens + EXCLUDED.input_tokens,
       output_tokens = u.output_tokens + EXCLUDED.output_tokens, total_tokens = u.total_tokens + EXCLUDED.total_tokens
     RETURNING requests, input_tokens, output_tokens, total_tokens`,
    [ctx.userId, op.sessionId, seq, requests, inputTokens, outputTokens, totalTokens],
  )
  await saveSession(ctx.tx, state, ctx.now, ctx.cursor)
  const total = toUsage(rows[0]!)
  const at = seq < 0 ? null : seq
  return {
    outcome: { kind: 'usage', seq: at, total },
    change: { payload: { seq: at, usage: { requests, inputTokens, outputTokens, totalTokens }, total } },
  }
}

export function toUsage(row: Record<string, unknown>): UsageTotals {
  return {
    requests: num(row.requests),
    inputTokens: num(row.input_tokens),
    outputTokens: num(row.output_tokens),
    totalTokens: num(row.total_tokens),
  }
}

async function deleteSession(ctx: WriteContext, op: Extract<StoreOp, { kind: 'deleteSession' }>): Promise<Mutation> {
  const state = await requireSession(ctx.tx, ctx.userId, op.sessionId)
  const key = [ctx.userId, op.sessionId]
  // Items, branches and usage go with the session row (ON DELETE CASCADE). Earlier changes
  // of the session leave the feed too: the deletion below is all another device needs.
  await ctx.tx.query(`DELETE FROM idb_agents_sessions WHERE user_id = $1 AND session_id = $2`, key)
  await ctx.tx.query(`DELETE FROM idb_agents_changes WHERE user_id = $1 AND session_id = $2`, key)
  await ctx.tx.query(
    `INSERT INTO idb_agents_tombstones (user_id, session_id, deleted_at, cursor, next_seq) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id, session_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at, cursor = EXCLUDED.cursor, next_seq = EXCLUDED.next_seq`,
    [...key, ctx.now, ctx.cursor, state.nextSeq],
  )
  return { outcome: { kind: 'deleteSession' }, change: { payload: {} } }
}
