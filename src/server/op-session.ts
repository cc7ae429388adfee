import { ConflictError } from './errors.js'
import { toUsage, type Mutation, type StoreOp, type WriteContext } from './mutation.js'
import type { TurnRef } from './protocol.js'
import { createSession, currentBranch, loadSession, num, requireSession, saveSession, turnSeq, type SessionState } from './rows.js'

// The ops on a whole session: its title, usage per turn, its deletion.

export async function setTitle(ctx: WriteContext, op: Extract<StoreOp, { kind: 'setTitle' }>): Promise<Mutation> {
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

export async function usage(ctx: WriteContext, op: Extract<StoreOp, { kind: 'usage' }>): Promise<Mutation> {
  // Usage is never dropped: usage outside any turn of a session with nothing stored yet
  // creates the session, as an append would (the user's own, whoever else uses that id).
  const existing = await loadSession(ctx.tx, ctx.userId, op.sessionId)
  const outsideTurns = op.turn === null || op.turn === 'newest'
  const state =
    existing ??
    (outsideTurns ? await createSession(ctx.tx, ctx.userId, op.sessionId, ctx.now, ctx.cursor) : await requireSession(ctx.tx, ctx.userId, op.sessionId))
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

export async function deleteSession(ctx: WriteContext, op: Extract<StoreOp, { kind: 'deleteSession' }>): Promise<Mutation> {
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
