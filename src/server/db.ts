import { mkdir } from 'node:fs/promises'
import type { PGlite, PGliteOptions } from '@electric-sql/pglite'
import type { Pool, PoolConfig } from 'pg'
import { StorageError } from '../errors.js'

// One small query interface over both engines: PostgreSQL through `pg`, and PGlite (the
// same PostgreSQL, compiled to WASM, in this process). Everything above it is engine-blind.

/** Runs one SQL statement with `$1`-style parameters. */
export interface SqlClient {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: Row[] }>
}

/** Options of {@link SqlDatabase.transaction}. */
export interface TransactionOptions {
  /**
   * A read-only transaction at REPEATABLE READ: every statement sees one snapshot, so a
   * read made of several statements is consistent.
   * @default false (a read-write transaction at READ COMMITTED)
   */
  readOnly?: boolean
}

/** A database the store runs on: statements, transactions, and a way to let go of it. */
export interface SqlDatabase extends SqlClient {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>, options?: TransactionOptions): Promise<T>
  /** Calls `listener` with the payload of every `NOTIFY` on `channel` from any connection. */
  listen?(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>>
  /** Closes what this object opened (a pool it created, a PGlite it started). */
  close(): Promise<void>
}

const READ_ONLY = 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY'

/** A {@link SqlDatabase} over a `pg` pool. `close()` ends the pool only when `owned`. */
export function fromPool(pool: Pool, owned = false, listenConfig?: PoolConfig): SqlDatabase {
  return {
    query: async (text, params) => (await pool.query(text, params as unknown[])) as { rows: never[] },
    async transaction(fn, options = {}) {
      const client = await pool.connect()
      let broken: unknown
      try {
        await client.query(options.readOnly ? `BEGIN; ${READ_ONLY}` : 'BEGIN')
        const result = await fn({ query: async (text, params) => (await client.query(text, params as unknown[])) as { rows: never[] } })
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError // the connection is unusable: drop it instead of reusing it
        })
        throw error
      } finally {
        client.release(broken instanceof Error ? broken : undefined)
      }
    },
    async listen(channel, listener) {
      const { Client } = await importPg()
      const client = new Client(listenConfig ?? pool.options)
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) listener(message.payload)
      })
      client.on('error', () => {}) // a lost listener only delays live delivery to the next poll
      await client.connect()
      await client.query(`LISTEN ${quoteIdent(channel)}`)
      return async () => {
        await client.end().catch(() => {})
      }
    },
    close: async () => {
      if (owned) await pool.end()
    },
  }
}

/** A {@link SqlDatabase} over a PGlite instance. `close()` closes it only when `owned`. */
export function fromPGlite(db: PGlite, owned = false): SqlDatabase {
  return {
    query: async (text, params) => db.query(text, params as unknown[]),
    transaction: (fn, options = {}) =>
      db.transaction(async (tx) => {
        if (options.readOnly) await tx.query(READ_ONLY)
        return fn({ query: async (text, params) => tx.query(text, params as unknown[]) })
      }),
    async listen(channel, listener) {
      const stop = await db.listen(channel, listener)
      return async () => {
        if (!db.closed) await stop()
      }
    },
    close: async () => {
      if (owned && !db.closed) await db.close()
    },
  }
}

/** Opens a pool on a PostgreSQL URL (`postgresql://user:password@host:5432/db`). */
export async function connectUrl(url: string, config: PoolConfig = {}): Promise<SqlDatabase> {
  const { Pool } = await importPg()
  const options: PoolConfig = { connectionString: url, ...config }
  return fromPool(new Pool(options), true, options)
}

/** Starts PGlite on a data directory (created, parents included, when missing), or in memory when `dataDir` is omitted. */
export async function startPGlite(dataDir?: string, options: PGliteOptions = {}): Promise<SqlDatabase> {
  const module = await importOptional<typeof import('@electric-sql/pglite')>('@electric-sql/pglite')
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })
  return fromPGlite(await module.PGlite.create(dataDir, options), true)
}

async function importPg(): Promise<typeof import('pg')> {
  const module = await importOptional<typeof import('pg') & { default?: typeof import('pg') }>('pg')
  // `pg` is CommonJS: its classes sit on the default export under Node's ESM loader.
  return module.default ?? module
}

async function importOptional<T>(name: 'pg' | '@electric-sql/pglite'): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T
  } catch (error) {
    throw new StorageError(
      `The optional package "${name}" is not installed; idb-agents/server needs it for this database. Run: npm install ${name}`,
      error,
    )
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
