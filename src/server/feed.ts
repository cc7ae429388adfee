import type { SqlClient } from './db.js'
import { ConflictError } from './errors.js'
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
 * are still stored. One statement, so one consistent snapshot, with items built into JSON
 * by PostgreSQL (their stored text is spliced in as is).
 *
 * @throws {@link ConflictError} `cursor_ahead` when `after` is beyond the user's cursor
 *   (a device that synced with a server whose database was since restored from a backup)
 */
export async function readChanges(db: SqlClient, userId: string, after: number, options: PageOptions): Promise<RawChangesPage> {
  const { rows } = await db.query(
    `WITH head AS (SELECT coalesce((SELECT cursor FROM idb_agents_users WHERE user_id = $1), 0) AS cursor),
     window_ AS (
       SELECT c.*, row_number() OVER (ORDER BY c.cursor) AS n, sum(c.item_count) OVER (ORDER BY c.cursor) AS running
       FROM idb_agents_changes c WHERE c.user_id = $1 AND c.cursor > $2 ORDER BY c.cursor LIMIT $3
     ),
     page AS (SELECT * FROM window_ WHERE n = 1 OR running <= $4)
     SELECT (SELECT cursor FROM head) AS head, p.cursor, p.session_id, p.kind, p.op_id, p.at, p.payload::text AS payload,
       CASE WHEN p.first_seq IS NULL THEN NULL ELSE (
         SELECT coalesce(json_agg(json_build_object('seq', i.seq, 'createdAt', i.created_at, 'item', i.item) ORDER BY i.seq), '[]'::json)::text
         FROM idb_agents_items i
         WHERE i.user_id = $1 AND i.session_id = p.session_id AND i.seq >= p.first_seq AND i.seq < p.first_seq + p.item_count
       ) END AS items
     FROM (SELECT 1) AS one LEFT JOIN page p ON TRUE ORDER BY p.cursor`,
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
  const changes: string[] = []
  let cursor = after
  for (const row of rows) {
    if (row.cursor === null || row.cursor === undefined) continue
    cursor = num(row.cursor)
    const base = JSON.stringify({ cursor, sessionId: row.session_id, opId: row.op_id ?? null, at: num(row.at), kind: row.kind })
    const payload = row.payload as string
    let text = payload === '{}' ? base : `${base.slice(0, -1)},${payload.slice(1)}`
    if (typeof row.items === 'string') text = `${text.slice(0, -1)},"items":${row.items}}`
    changes.push(text)
  }
  return { changes, cursor, hasMore: cursor < head }
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
