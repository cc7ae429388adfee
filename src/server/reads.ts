import type { TimedItem } from '../session/turns.js'
import { addUsage, NO_USAGE, type UsageTotals } from '../session/usage.js'
import type { SqlClient } from './db.js'
import { NotFoundError } from './errors.js'
import { toUsage } from './mutation.js'
import type { SessionSummary, UsageEntry, UsageReport } from './protocol.js'
import { lastPositions, rangesCondition, type SeqRange } from './ranges.js'
import { currentBranch, loadSession, num, toBranchState, toSummary, type BranchRow, type SessionState } from './rows.js'

// Reads, each inside one read-only REPEATABLE READ transaction (the store opens it), so a
// read of several statements sees one state. Items are read as their stored JSON text and
// joined into JSON text here: the handler sends it on unparsed, PostgresSession parses it
// once.

/** The newest items of a branch: what `getItems(limit)` and `GET …/items` return. */
export interface RawWindow {
  branchId: string
  length: number
  /** A JSON array of `{ seq, createdAt, item }`, oldest first. */
  itemsJson: string
}

export async function requireLoaded(tx: SqlClient, userId: string, sessionId: string): Promise<SessionState> {
  const state = await loadSession(tx, userId, sessionId)
  if (!state) throw new NotFoundError(`There is no session "${sessionId}".`)
  return state
}

export function pickBranch(state: SessionState, branchId: string | undefined): BranchRow {
  const branch = branchId === undefined ? currentBranch(state) : state.branches.get(branchId)
  if (!branch) throw new NotFoundError(`Session "${state.sessionId}" has no branch "${branchId}"; its branches are ${[...state.branches.keys()].join(', ')}.`)
  return branch
}

/** One `StoredItemEntry` as JSON text, with the item's stored text spliced in unparsed. */
export function entryJson(row: Record<string, unknown>): string {
  return `{"seq":${num(row.seq)},"createdAt":${num(row.created_at)},"item":${row.item as string}}`
}

/**
 * Items at `ranges`, oldest first, as a JSON array of entries (`entries`) or of bare items.
 * Rows come back as text and are joined here: cheaper than building the JSON in SQL.
 */
export async function itemsAt(tx: SqlClient, state: SessionState, ranges: readonly SeqRange[], shape: 'entries' | 'items'): Promise<string> {
  if (ranges.length === 0) return '[]'
  const where = rangesCondition('seq', ranges, 3)
  const { rows } = await tx.query(
    `SELECT seq, created_at, item::text AS item FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 AND ${where.sql} ORDER BY seq`,
    [state.userId, state.sessionId, ...where.params],
  )
  return `[${rows.map(shape === 'entries' ? entryJson : (row) => row.item as string).join(',')}]`
}

/** The newest `limit` items of a branch (the current one by default): O(limit) rows read. */
export async function readWindow(tx: SqlClient, state: SessionState, branchId: string | undefined, limit: number, shape: 'entries' | 'items'): Promise<RawWindow> {
  const branch = pickBranch(state, branchId)
  const ranges = lastPositions(branch.ranges, limit)
  return { branchId: branch.id, length: branch.itemCount, itemsJson: await itemsAt(tx, state, ranges, shape) }
}

/** Every item of the current branch with its time and its turn's usage (for turns and search). */
export async function readTimedBranch(tx: SqlClient, state: SessionState): Promise<TimedItem[]> {
  const branch = currentBranch(state)
  if (branch.ranges.length === 0) return []
  const where = rangesCondition('i.seq', branch.ranges, 3)
  const { rows } = await tx.query(
    `SELECT i.created_at, i.item::text AS item, u.requests, u.input_tokens, u.output_tokens, u.total_tokens
     FROM idb_agents_items i LEFT JOIN idb_agents_usage u ON u.user_id = i.user_id AND u.session_id = i.session_id AND u.seq = i.seq
     WHERE i.user_id = $1 AND i.session_id = $2 AND ${where.sql} ORDER BY i.seq`,
    [state.userId, state.sessionId, ...where.params],
  )
  return rows.map((row) => ({
    item: JSON.parse(row.item as string) as unknown,
    createdAt: num(row.created_at),
    usage: row.requests === null || row.requests === undefined ? undefined : toUsage(row),
  }))
}

/** Every usage row of a session. */
export async function readUsage(tx: SqlClient, state: SessionState): Promise<UsageEntry[]> {
  const { rows } = await tx.query(
    `SELECT seq, requests, input_tokens, output_tokens, total_tokens FROM idb_agents_usage WHERE user_id = $1 AND session_id = $2 ORDER BY seq`,
    [state.userId, state.sessionId],
  )
  return rows.map((row) => ({ seq: num(row.seq) < 0 ? null : num(row.seq), usage: toUsage(row) }))
}

/** Usage of the whole session, of one branch, and of each turn that branch shows. */
export async function usageReport(tx: SqlClient, state: SessionState, branchId: string | undefined): Promise<UsageReport> {
  const branch = pickBranch(state, branchId)
  const entries = await readUsage(tx, state)
  const inBranch = (seq: number | null) => seq !== null && branch.ranges.some(([start, end]) => seq >= start && seq < end)
  const shown = entries.filter((entry) => inBranch(entry.seq))
  let turns: UsageReport['turns'] = []
  if (shown.length > 0) {
    const { rows } = await tx.query(`SELECT seq, turn FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 AND seq = ANY($3::bigint[])`, [
      state.userId,
      state.sessionId,
      shown.map((entry) => entry.seq),
    ])
    const turnOf = new Map(rows.map((row) => [num(row.seq), num(row.turn)]))
    turns = shown.map((entry) => ({ turn: turnOf.get(entry.seq!)!, seq: entry.seq!, usage: entry.usage })).sort((a, b) => a.turn - b.turn)
  }
  return {
    branchId: branch.id,
    sessionTotal: sum(entries),
    branchTotal: sum(shown),
    turns,
  }
}

function sum(entries: UsageEntry[]): UsageTotals {
  return entries.reduce<UsageTotals>((total, entry) => addUsage(total, entry.usage), NO_USAGE)
}

/** The session and its branches. */
export function detail(state: SessionState): { session: SessionSummary; branches: ReturnType<typeof toBranchState>[] } {
  return { session: toSummary(state), branches: [...state.branches.values()].map(toBranchState) }
}

/** Every item any branch shows, as a JSON array of entries. */
export async function allItems(tx: SqlClient, state: SessionState): Promise<string> {
  const { rows } = await tx.query(
    `SELECT seq, created_at, item::text AS item FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 ORDER BY seq`,
    [state.userId, state.sessionId],
  )
  return `[${rows.map(entryJson).join(',')}]`
}

/** One page of a user's sessions by id, after `after`. */
export async function listSessionPage(
  tx: SqlClient,
  userId: string,
  after: string | undefined,
  limit: number,
): Promise<{ sessions: SessionSummary[]; cursor: number; next?: string }> {
  const [{ rows: sessions }, { rows: user }] = await Promise.all([
    tx.query(
      `SELECT s.session_id, s.title, s.created_at, s.updated_at, s.current_branch_id, s.last_cursor, b.item_count,
         (SELECT count(*) FROM idb_agents_branches x WHERE x.user_id = s.user_id AND x.session_id = s.session_id) AS branch_count
       FROM idb_agents_sessions s
       JOIN idb_agents_branches b ON b.user_id = s.user_id AND b.session_id = s.session_id AND b.branch_id = s.current_branch_id
       WHERE s.user_id = $1 AND ($2::text IS NULL OR s.session_id > $2::text)
       ORDER BY s.session_id LIMIT $3`,
      [userId, after ?? null, limit + 1],
    ),
    tx.query(`SELECT cursor FROM idb_agents_users WHERE user_id = $1`, [userId]),
  ])
  const page = sessions.slice(0, limit).map(
    (row): SessionSummary => ({
      sessionId: row.session_id as string,
      title: (row.title as string | null) ?? null,
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
      currentBranchId: row.current_branch_id as string,
      itemCount: num(row.item_count),
      branchCount: num(row.branch_count),
      lastCursor: num(row.last_cursor),
    }),
  )
  const result: { sessions: SessionSummary[]; cursor: number; next?: string } = { sessions: page, cursor: num(user[0]?.cursor ?? 0) }
  if (sessions.length > limit) result.next = page[page.length - 1]!.sessionId
  return result
}
