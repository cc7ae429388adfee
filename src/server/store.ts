import type { PGlite } from '@electric-sql/pglite'
import type { Pool, PoolConfig } from 'pg'
import { IdbAgentsError, InvalidArgumentError, messageOf, StorageError } from '../errors.js'
import { connectUrl, fromPGlite, fromPool, startPGlite, type SqlClient, type SqlDatabase } from './db.js'
import { ConflictError } from './errors.js'
import { ChangeHub, CHANGES_CHANNEL, notifyPayload, readChanges, type PageOptions, type RawChangesPage } from './feed.js'
import { fingerprint } from './fingerprint.js'
import { getKeyRecord, putKeyRecord } from './keys.js'
import { mutate, type Mutation, type StoreOp } from './ops.js'
import type { KeyRecord, OpOutcome, OpResult } from './protocol.js'
import { num } from './rows.js'
import { migrate } from './schema.js'

/**
 * Where a {@link PostgresStore} keeps its tables:
 * - a PostgreSQL URL (`postgresql://user:password@host:5432/db`), or `{ url, poolConfig }`;
 * - `{ dataDir }`: embedded PostgreSQL (PGlite) in that directory, created when missing —
 *   `{}` keeps it in memory;
 * - `{ pool }` / `{ pglite }`: a `pg` Pool or PGlite your app already opened (not closed by
 *   {@link PostgresStore.close});
 * - `{ database }`: any {@link SqlDatabase} (its `close()` is called by {@link PostgresStore.close}).
 */
export type PostgresTarget =
  | string
  | { url: string; poolConfig?: PoolConfig }
  | { dataDir?: string }
  | { pool: Pool }
  | { pglite: PGlite }
  | { database: SqlDatabase }

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * Listen for changes committed by other server processes on the same PostgreSQL
   * (`LISTEN`/`NOTIFY`, one extra connection opened by {@link PostgresStore.ready}), so live
   * feeds see them at once rather than at the next heartbeat.
   * @default true for a URL or pool, false otherwise (PGlite lives in one process)
   */
  listen?: boolean
}

/** An applied op: what it did, the change's cursor, and whether this was a replay. */
export interface AppliedOp {
  outcome: OpOutcome
  cursor: number
  replayed: boolean
  /** `pop`: the removed item's JSON text (not kept for replays). */
  popped?: string
}

/**
 * The server's session store on PostgreSQL (through `pg`) or PGlite: every user's
 * sessions, branches, items, usage, titles, deletions, the idempotency record of applied
 * operations and the per-user change feed, in tables it creates and migrates itself.
 * {@link PostgresSession} and {@link createSyncHandler} both run on it.
 *
 * It connects lazily: the first call (or {@link PostgresStore.ready}) opens the database
 * and migrates the schema. Each write is one transaction holding its user's row lock, so
 * a user's writes are serialized and their cursors follow commit order.
 */
export class PostgresStore {
  readonly #target: PostgresTarget
  readonly #listen: boolean
  readonly #hub = new ChangeHub()
  #db: Promise<SqlDatabase> | undefined
  #stopListening: Promise<() => Promise<void>> | undefined
  #closed = false

  /**
   * @param target - where the tables live (see {@link PostgresTarget}); `{}` is an in-memory PGlite
   * @param options - cross-process change notifications
   */
  constructor(target: PostgresTarget, options: PostgresStoreOptions = {}) {
    this.#target = target
    const shared = typeof target === 'string' || 'url' in target || 'pool' in target
    this.#listen = options.listen ?? shared
  }

  /**
   * Opens the database and creates or migrates the tables. Other methods call it
   * themselves; call it at startup to fail fast on a wrong URL.
   * @throws {@link StorageError} when the database cannot be opened or holds a newer schema
   */
  async ready(): Promise<void> {
    await this.#database()
  }

  /** Closes what the store opened (its pool or PGlite, its listener). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const stop = await this.#stopListening?.catch(() => undefined)
    await stop?.()
    const db = await this.#db?.catch(() => undefined)
    await db?.close()
  }

  /**
   * Applies one op in one transaction: all of it, or (on any error) nothing. With an
   * `opId`, the op is applied at most once: the same id with the same op returns the stored
   * result (`replayed: true`); with a different op it is a `ConflictError` `op_id_reused`.
   *
   * @throws {@link ConflictError}, {@link NotFoundError}, {@link InvalidArgumentError} — nothing was written
   */
  async apply(userId: string, op: StoreOp, opId?: string): Promise<AppliedOp> {
    const [applied] = await this.applyAll(userId, [{ op, opId }])
    return applied!
  }

  /**
   * Applies several ops, in order, in one transaction: all of them, or (on any error)
   * none. Each change gets its own cursor, as if applied one by one.
   *
   * @throws {@link ConflictError}, {@link NotFoundError}, {@link InvalidArgumentError} — nothing was written
   */
  async applyAll(userId: string, ops: ReadonlyArray<{ op: StoreOp; opId?: string | undefined }>): Promise<AppliedOp[]> {
    assertUserId(userId)
    const db = await this.#database()
    const prepared = ops.map(({ op, opId }) => {
      // Items are serialized once: for the fingerprint and for the INSERT.
      const itemsJson = op.kind === 'append' || op.kind === 'replace' ? JSON.stringify(op.items) : undefined
      return { op, opId, itemsJson, print: opId === undefined ? undefined : fingerprint(op, itemsJson) }
    })
    let newest = -1
    const applied = await db.transaction(async (tx) => {
      let cursor = await lockUser(tx, userId)
      const results: AppliedOp[] = []
      for (const { op, opId, itemsJson, print } of prepared) {
        const result = await applyOne(tx, userId, cursor, op, opId, itemsJson, print)
        if (!result.replayed && result.cursor > cursor) newest = cursor = result.cursor
        results.push(result)
      }
      return results
    })
    if (newest >= 0) this.#hub.publish(userId, newest)
    return applied
  }

  /** {@link PostgresStore.apply} for a wire op, shaped as the push response reports it. */
  async applyOp(userId: string, opId: string, sessionId: string, op: StoreOp): Promise<OpResult> {
    const applied = await this.apply(userId, op, opId)
    return { ...applied.outcome, opId, sessionId, cursor: applied.cursor, replayed: applied.replayed }
  }

  /** Runs `read` in one read-only, repeatable-read transaction. */
  async read<T>(read: (tx: SqlClient) => Promise<T>): Promise<T> {
    const db = await this.#database()
    return db.transaction(read, { readOnly: true })
  }

  /** One page of `userId`'s changes after `after` (see `GET /v1/changes`). */
  async changes(userId: string, after: number, options: PageOptions): Promise<RawChangesPage> {
    return this.read((tx) => readChanges(tx, userId, after, options))
  }

  /** The user's current cursor: 0 before their first change. */
  async cursor(userId: string): Promise<number> {
    const db = await this.#database()
    const { rows } = await db.query(`SELECT cursor FROM idb_agents_users WHERE user_id = $1`, [userId])
    return num(rows[0]?.cursor ?? 0)
  }

  /**
   * Calls `listener` with the cursor of each change of `userId` committed from now on, in
   * this process and (with `listen`) in others sharing the database. Wake-ups may repeat or
   * coalesce: read the feed after your last cursor when woken.
   * @returns the unsubscribe function
   */
  subscribe(userId: string, listener: (cursor: number) => void): () => void {
    return this.#hub.subscribe(userId, listener)
  }

  /** The key record `name` of `userId`, or `undefined`. */
  async getKeyRecord(userId: string, name: string): Promise<KeyRecord | undefined> {
    return getKeyRecord(await this.#database(), userId, name)
  }

  /**
   * Writes a key record when its version is `expectedVersion` (`null`: create it).
   * @throws {@link ConflictError} `version_mismatch` otherwise
   */
  async putKeyRecord(userId: string, name: string, value: unknown, expectedVersion: number | null): Promise<{ name: string; version: number; updatedAt: number }> {
    return putKeyRecord(await this.#database(), userId, name, value, expectedVersion, Date.now())
  }

  #database(): Promise<SqlDatabase> {
    if (this.#closed) return Promise.reject(new InvalidArgumentError('This PostgresStore was closed.'))
    this.#db ??= open(this.#target).then(async (db) => {
      try {
        await migrate(db)
      } catch (error) {
        await db.close().catch(() => {})
        throw error
      }
      if (this.#listen && db.listen) {
        this.#stopListening = db.listen(CHANGES_CHANNEL, (payload) => this.#hub.publishNotification(payload))
        // Without the listener, live readers still see other processes' changes at each heartbeat.
        await this.#stopListening.catch(() => {})
      }
      return db
    })
    const opening = this.#db
    // A database that could not be opened (not up yet, a wrong password) is tried again by the
    // next call, and the failure is the StorageError `ready()` documents, with the driver's error as `cause`.
    return opening.catch((error: unknown) => {
      if (this.#db === opening) this.#db = undefined
      if (error instanceof IdbAgentsError) throw error
      throw new StorageError(`The database could not be opened: ${messageOf(error)}. Nothing was changed; the next call tries again.`, error)
    })
  }
}

async function open(target: PostgresTarget): Promise<SqlDatabase> {
  if (typeof target === 'string') return connectUrl(target)
  if ('url' in target) return connectUrl(target.url, target.poolConfig)
  if ('pool' in target) return fromPool(target.pool)
  if ('pglite' in target) return fromPGlite(target.pglite)
  if ('database' in target) return target.database
  return startPGlite(target.dataDir)
}

function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new InvalidArgumentError(`userId must be a non-empty string, got ${JSON.stringify(userId) ?? String(userId)}`)
  }
}

/** Locks the user's row for this transaction and returns their cursor. */
/** One op inside the user's locked transaction; `cursor` is the user's newest cursor so far. */
async function applyOne(
  tx: SqlClient,
  userId: string,
  cursor: number,
  op: StoreOp,
  opId: string | undefined,
  itemsJson: string | undefined,
  print: string | undefined,
): Promise<AppliedOp> {
  if (opId !== undefined) {
    const prior = await findOperation(tx, userId, opId)
    if (prior) {
      if (prior.fingerprint !== print) {
        throw new ConflictError('op_id_reused', `Operation id "${opId}" was already used for a different operation.`)
      }
      return { outcome: prior.outcome, cursor: prior.cursor, replayed: true }
    }
  }
  const now = Date.now()
  const mutation = await mutate({ tx, userId, now, cursor: cursor + 1, itemsJson }, op)
  const at = mutation.change ? cursor + 1 : cursor
  if (mutation.change) await recordChange(tx, userId, at, op, opId, now, mutation)
  if (opId !== undefined) {
    await tx.query(
      `INSERT INTO idb_agents_operations (user_id, op_id, session_id, kind, fingerprint, result, cursor, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
      [userId, opId, op.sessionId, op.kind, print, JSON.stringify(mutation.outcome), at, now],
    )
  }
  const result: AppliedOp = { outcome: mutation.outcome, cursor: at, replayed: false }
  if (mutation.popped !== undefined) result.popped = mutation.popped
  return result
}

async function lockUser(tx: SqlClient, userId: string): Promise<number> {
  const locked = await tx.query(`SELECT cursor FROM idb_agents_users WHERE user_id = $1 FOR UPDATE`, [userId])
  if (locked.rows[0]) return num(locked.rows[0].cursor)
  await tx.query(`INSERT INTO idb_agents_users (user_id, cursor) VALUES ($1, 0) ON CONFLICT (user_id) DO NOTHING`, [userId])
  const created = await tx.query(`SELECT cursor FROM idb_agents_users WHERE user_id = $1 FOR UPDATE`, [userId])
  return num(created.rows[0]!.cursor)
}

async function findOperation(
  tx: SqlClient,
  userId: string,
  opId: string,
): Promise<{ fingerprint: string; outcome: OpOutcome; cursor: number } | undefined> {
  const { rows } = await tx.query(`SELECT fingerprint, result, cursor FROM idb_agents_operations WHERE user_id = $1 AND op_id = $2`, [userId, opId])
  const row = rows[0]
  return row && { fingerprint: row.fingerprint as string, outcome: row.result as OpOutcome, cursor: num(row.cursor) }
}

async function recordChange(
  tx: SqlClient,
  userId: string,
  cursor: number,
  op: StoreOp,
  opId: string | undefined,
  now: number,
  mutation: Mutation,
): Promise<void> {
  const change = mutation.change!
  await tx.query(
    `INSERT INTO idb_agents_changes (user_id, cursor, session_id, kind, op_id, at, first_seq, item_count, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
    [userId, cursor, op.sessionId, op.kind, opId ?? null, now, change.firstSeq ?? null, change.count ?? 0, JSON.stringify(change.payload)],
  )
  await tx.query(`UPDATE idb_agents_users SET cursor = $2 WHERE user_id = $1`, [userId, cursor])
  await tx.query(`SELECT pg_notify($1, $2)`, [CHANGES_CHANNEL, notifyPayload(userId, cursor)])
}
