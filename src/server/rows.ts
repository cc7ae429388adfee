import { StorageError } from '../errors.js'
import type { SqlClient } from './db.js'
import { NotFoundError } from './errors.js'
import type { BranchState, SessionSummary } from './protocol.js'
import { rangesCondition, subtractRanges, type SeqRange } from './ranges.js'

// Sessions and branches as rows, read and written inside one transaction. `pg` returns
// bigint columns as strings and PGlite as numbers: every number read goes through num().

export const MAIN_BRANCH = 'main'

/** A session row with all of its branches. */
export interface SessionState {
  userId: string
  sessionId: string
  title: string | null
  createdAt: number
  updatedAt: number
  currentBranchId: string
  nextSeq: number
  lastCursor: number
  /** By id, in creation order. */
  branches: Map<string, BranchRow>
}

export interface BranchRow {
  id: string
  name: string
  parentId: string | null
  forkTurn: number | null
  createdAt: number
  createdCursor: number
  ranges: SeqRange[]
  turns: number
  itemCount: number
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value)
}

const SESSION_COLUMNS = 'title, created_at, updated_at, current_branch_id, next_seq, last_cursor'
const BRANCH_COLUMNS = 'branch_id, name, parent_id, fork_turn, created_at, created_cursor, ranges, turns, item_count'

/** Reads a session and its branches, or `undefined` when the user has no such session. */
export async function loadSession(tx: SqlClient, userId: string, sessionId: string): Promise<SessionState | undefined> {
  const [sessions, branches] = await Promise.all([
    tx.query(`SELECT ${SESSION_COLUMNS} FROM idb_agents_sessions WHERE user_id = $1 AND session_id = $2`, [userId, sessionId]),
    tx.query(
      `SELECT ${BRANCH_COLUMNS} FROM idb_agents_branches WHERE user_id = $1 AND session_id = $2 ORDER BY created_cursor, branch_id`,
      [userId, sessionId],
    ),
  ])
  const row = sessions.rows[0]
  if (!row) return undefined
  return {
    userId,
    sessionId,
    title: (row.title as string | null) ?? null,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    currentBranchId: row.current_branch_id as string,
    nextSeq: num(row.next_seq),
    lastCursor: num(row.last_cursor),
    branches: new Map(branches.rows.map((branch) => [branch.branch_id as string, toBranchRow(branch)])),
  }
}

/** Like {@link loadSession}, but a missing session is a {@link NotFoundError}. */
export async function requireSession(tx: SqlClient, userId: string, sessionId: string): Promise<SessionState> {
  const state = await loadSession(tx, userId, sessionId)
  if (!state) throw new NotFoundError(`There is no session "${sessionId}".`)
  return state
}

function toBranchRow(row: Record<string, unknown>): BranchRow {
  return {
    id: row.branch_id as string,
    name: row.name as string,
    parentId: (row.parent_id as string | null) ?? null,
    forkTurn: row.fork_turn === null || row.fork_turn === undefined ? null : num(row.fork_turn),
    createdAt: num(row.created_at),
    createdCursor: num(row.created_cursor),
    ranges: (row.ranges as SeqRange[]).map(([start, end]) => [num(start), num(end)]),
    turns: num(row.turns),
    itemCount: num(row.item_count),
  }
}

/** The session's current branch; a missing one means the rows were edited by hand. */
export function currentBranch(state: SessionState): BranchRow {
  const branch = state.branches.get(state.currentBranchId)
  if (!branch) {
    throw new StorageError(`Session "${state.sessionId}" points at a missing branch "${state.currentBranchId}"; its rows are damaged.`)
  }
  return branch
}

export function toBranchState(branch: BranchRow): BranchState {
  return {
    id: branch.id,
    name: branch.name,
    parentId: branch.parentId,
    forkTurn: branch.forkTurn,
    createdAt: branch.createdAt,
    ranges: branch.ranges.map(([start, end]) => [start, end]),
    itemCount: branch.itemCount,
    turnCount: branch.turns,
  }
}

export function toSummary(state: SessionState): SessionSummary {
  return {
    sessionId: state.sessionId,
    title: state.title,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    currentBranchId: state.currentBranchId,
    itemCount: currentBranch(state).itemCount,
    branchCount: state.branches.size,
    lastCursor: state.lastCursor,
  }
}

/** Inserts a new session with an empty `main`; seqs continue where a deleted namesake stopped. */
export async function createSession(tx: SqlClient, userId: string, sessionId: string, now: number, cursor: number): Promise<SessionState> {
  const tomb = await tx.query(`DELETE FROM idb_agents_tombstones WHERE user_id = $1 AND session_id = $2 RETURNING next_seq`, [userId, sessionId])
  const nextSeq = tomb.rows[0] ? num(tomb.rows[0].next_seq) : 0
  await tx.query(
    `INSERT INTO idb_agents_sessions (user_id, session_id, title, created_at, updated_at, current_branch_id, next_seq, last_cursor)
     VALUES ($1, $2, NULL, $3, $3, $4, $5, $6)`,
    [userId, sessionId, now, MAIN_BRANCH, nextSeq, cursor],
  )
  const main: BranchRow = {
    id: MAIN_BRANCH,
    name: MAIN_BRANCH,
    parentId: null,
    forkTurn: null,
    createdAt: now,
    createdCursor: cursor,
    ranges: [],
    turns: 0,
    itemCount: 0,
  }
  await insertBranch(tx, userId, sessionId, main)
  return {
    userId,
    sessionId,
    title: null,
    createdAt: now,
    updatedAt: now,
    currentBranchId: MAIN_BRANCH,
    nextSeq,
    lastCursor: cursor,
    branches: new Map([[MAIN_BRANCH, main]]),
  }
}

export async function insertBranch(tx: SqlClient, userId: string, sessionId: string, branch: BranchRow): Promise<void> {
  await tx.query(
    `INSERT INTO idb_agents_branches (user_id, session_id, ${BRANCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`,
    [
      userId,
      sessionId,
      branch.id,
      branch.name,
      branch.parentId,
      branch.forkTurn,
      branch.createdAt,
      branch.createdCursor,
      JSON.stringify(branch.ranges),
      branch.turns,
      branch.itemCount,
    ],
  )
}

/** Writes a branch's ranges and counts back. */
export async function saveBranch(tx: SqlClient, state: SessionState, branch: BranchRow): Promise<void> {
  await tx.query(
    `UPDATE idb_agents_branches SET ranges = $4::jsonb, turns = $5, item_count = $6 WHERE user_id = $1 AND session_id = $2 AND branch_id = $3`,
    [state.userId, state.sessionId, branch.id, JSON.stringify(branch.ranges), branch.turns, branch.itemCount],
  )
}

/** Writes the session row back, stamped with the change that touched it. */
export async function saveSession(tx: SqlClient, state: SessionState, now: number, cursor: number): Promise<void> {
  state.updatedAt = now
  state.lastCursor = cursor
  await tx.query(
    `UPDATE idb_agents_sessions SET title = $3, updated_at = $4, current_branch_id = $5, next_seq = $6, last_cursor = $7
     WHERE user_id = $1 AND session_id = $2`,
    [state.userId, state.sessionId, state.title, now, state.currentBranchId, state.nextSeq, cursor],
  )
}

/** Deletes the items (and their usage) in `ranges` that no branch but `branch` shows. */
export async function deleteUnshared(tx: SqlClient, state: SessionState, branch: BranchRow, ranges: readonly SeqRange[]): Promise<void> {
  const others = [...state.branches.values()].filter((other) => other !== branch).flatMap((other) => other.ranges)
  const unshared = subtractRanges(ranges, others)
  if (unshared.length === 0) return
  const where = rangesCondition('seq', unshared, 3)
  const params = [state.userId, state.sessionId, ...where.params]
  await tx.query(`DELETE FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 AND ${where.sql}`, params)
  await tx.query(`DELETE FROM idb_agents_usage WHERE user_id = $1 AND session_id = $2 AND ${where.sql}`, params)
}

/** The seq of the user message starting `turn` on `branch`. */
export async function turnSeq(tx: SqlClient, state: SessionState, branch: BranchRow, turn: number): Promise<number> {
  const { rows } = await tx.query(`SELECT seq FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 AND turn = $3`, [
    state.userId,
    state.sessionId,
    turn,
  ])
  const seq = rows.map((row) => num(row.seq)).find((candidate) => branch.ranges.some(([start, end]) => candidate >= start && candidate < end))
  if (seq === undefined) {
    throw new StorageError(`Turn ${turn} of branch "${branch.id}" in session "${state.sessionId}" has no user message; its rows are damaged.`)
  }
  return seq
}
