import type { SqlClient } from './db.js'
import { ConflictError } from './errors.js'
import { entryJson } from './reads.js'
import { num } from './rows.js'

// The change feed: pages of a user's changes after a cursor, and the wake-up calls that
// tell live readers a new change was committed.

/** The channel of `NOTIFY` between server processes sharing one PostgreSQL. */
export const CHANGES_CHANNEL = 'idb_agents_changes'

/** A page of changes as JSON texts, ready to be sent or parsed. */
export interface RawChangesPage {
  /** Each change as a JSON object text (see `SyncChange`). */
  changes: string[]
  cursor: number
  hasMore: boolean
}

/** Options of a feed page. */
export interface PageOptions {
  /** Most changes in one page. */
  limit: number
  /** Most items (of appends) in one page; a page always holds at least one change. */
  maxItems: number
}

/**
 * The user's changes after `after`, oldest first: each append with the items it added that
 * are still stored. Run it in one read-only repeatable-read transaction (its two
 * statements must see one state).
 *
 * @throws {@link ConflictError} `cursor_ahead` when `after` is beyond the user's cursor
 *   (a device that synced with a server whose database was since restored from a backup)
 */
export async function readChanges(tx: SqlClient, userId: string, after: number, options: PageOptions): Promise<RawChangesPage> {
  const { rows } = await tx.query(
    `WITH window_ AS (
       SELECT c.*, row_number() OVER (ORDER BY c.cursor) AS n, sum(c.item_count) OVER (ORDER BY c.cursor) AS running
       FROM idb_agents_changes c WHERE c.user_id = $1 AND c.cursor > $2 ORDER BY c.cursor LIMIT $3
     )
     SELECT coalesce((SELECT cursor FROM idb_agents_users WHERE user_id = $1), 0) AS head,
       p.cursor, p.session_id, p.kind, p.op_id, p.at, p.first_seq, p.item_count, p.payload::text AS payload
     FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM window_ WHERE n = 1 OR running <= $4) p ON TRUE
     ORDER BY p.cursor`,
    [userId, after, options.limit, options.maxItems],
  )
  const head = num(rows[0]?.head ?? 0)
  if (after > head) {
    throw new ConflictError(
      'cursor_ahead',
      `Cursor ${after} is ahead of this server's history (${head}); the server's database is older than this device's copy. ` +
        'Keep the local data, push it again, and pull from a snapshot.',
    )
  }
  const page = rows.filter((row) => row.cursor !== null && row.cursor !== undefined)
  const items = await appendedItems(tx, userId, page)
  const changes = page.map((row) => {
    const cursor = num(row.cursor)
    const base = JSON.stringify({ cursor, sessionId: row.session_id, opId: row.op_id ?? null, at: num(row.at), kind: row.kind })
    const payload = row.payload as string
    const text = payload === '{}' ? base : `${base.slice(0, -1)},${payload.slice(1)}`
    const entries = items.get(cursor)
    return row.first_seq === null || row.first_seq === undefined ? text : `${text.slice(0, -1)},"items":[${(entries ?? []).join(',')}]}`
  })
  // No change after `after` means none up to `head` either (read in the same snapshot).
  const cursor = page.length > 0 ? num(page[page.length - 1]!.cursor) : head
  return { changes, cursor, hasMore: cursor < head }
}

/** The entries (JSON texts) still stored of each append in `page`, by change cursor. */
async function appendedItems(tx: SqlClient, userId: string, page: Record<string, unknown>[]): Promise<Map<number, string[]>> {
  const ranges = page
    .filter((row) => row.first_seq !== null && row.first_seq !== undefined && num(row.item_count) > 0)
    .map((row) => ({ c: num(row.cursor), s: row.session_id, a: num(row.first_seq), b: num(row.first_seq) + num(row.item_count) }))
  const byCursor = new Map<number, string[]>()
  if (ranges.length === 0) return byCursor
  // Sorted here, not by SQL: a sort of megabytes of item text can spill to disk there.
  const { rows } = await tx.query(
    `SELECT r.c AS cursor, i.seq, i.created_at, i.item::text AS item
     FROM json_to_recordset($2::json) AS r(c bigint, s text, a bigint, b bigint)
     JOIN idb_agents_items i ON i.user_id = $1 AND i.session_id = r.s AND i.seq >= r.a AND i.seq < r.b`,
    [userId, JSON.stringify(ranges)],
  )
  const rowsByCursor = new Map<number, Record<string, unknown>[]>()
  for (const row of rows) {
    const cursor = num(row.cursor)
    let list = rowsByCursor.get(cursor)
    if (!list) rowsByCursor.set(cursor, (list = []))
    list.push(row)
  }
  for (const [cursor, list] of rowsByCursor) {
    list.sort((a, b) => num(a.seq) - num(b.seq))
    byCursor.set(cursor, list.map(entryJson))
  }
  return byCursor
}

/** Listeners per user, woken with the cursor of each committed change. */
export class ChangeHub {
  readonly #listeners = new Map<string, Set<(cursor: number) => void>>()

  /** Calls `listener` after each change of `userId` is committed. Returns the unsubscribe function. */
  subscribe(userId: string, listener: (cursor: number) => void): () => void {
    let set = this.#listeners.get(userId)
    if (!set) this.#listeners.set(userId, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.#listeners.get(userId) === set) this.#listeners.delete(userId)
    }
  }

  publish(userId: string, cursor: number): void {
    for (const listener of this.#listeners.get(userId) ?? []) listener(cursor)
  }

  /** Wakes listeners from a `NOTIFY` payload sent by {@link notifyPayload}. */
  publishNotification(payload: string): void {
    try {
      const { u, c } = JSON.parse(payload) as { u: unknown; c: unknown }
      if (typeof u === 'string' && typeof c === 'number') this.publish(u, c)
    } catch {
      // Not ours: another program may use the channel.
    }
  }
}

export function notifyPayload(userId: string, cursor: number): string {
  return JSON.stringify({ u: userId, c: cursor })
}
