// The store itself: schema creation and migration on both engines, persistence of the
// embedded engine's data directory, PostgresSession beyond the Session contract, and what
// the tables hold (items exactly as sent).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { StorageError, type AgentItem } from '../../src/index.js'
import { PostgresSession, PostgresStore, SCHEMA_VERSION, type PostgresTarget } from '../../src/server/index.js'
import { describeEngines, postgresUrl, uniqueUser } from './support/engines.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const dirs: string[] = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

/** A database nothing has touched: a new PostgreSQL database, or a new PGlite data directory. */
async function freshTarget(engine: 'PGlite' | 'PostgreSQL'): Promise<PostgresTarget> {
  if (engine === 'PGlite') {
    const dir = await mkdtemp(join(tmpdir(), 'idb-agents-pglite-'))
    dirs.push(dir)
    return { dataDir: join(dir, 'not', 'there', 'yet') }
  }
  const name = `fresh_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: postgresUrl() })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(postgresUrl())
  url.pathname = `/${name}`
  return url.toString()
}

async function versions(store: PostgresStore): Promise<number[]> {
  return store.read(async (tx) => (await tx.query<{ version: number }>('SELECT version FROM idb_agents_schema_version ORDER BY version')).rows.map((row) => Number(row.version)))
}

describeEngines('PostgresStore schema', (engine) => {
  it(
    'creates its tables in an empty database, migrates once, keeps data on reopen, and refuses a newer schema untouched',
    async () => {
      const target = await freshTarget(engine.name)
      const first = PostgresSession.fromUrl('kept', target, { userId: 'u' })
      await first.addItems([user('before the restart')])
      expect(await versions(first.store)).toEqual([SCHEMA_VERSION])
      await first.close()

      const reopened = new PostgresStore(target)
      await reopened.ready()
      expect(await versions(reopened)).toEqual([SCHEMA_VERSION])
      expect(await new PostgresSession('kept', { store: reopened, userId: 'u' }).getItems()).toEqual([user('before the restart')])
      await reopened.close()

      // A database a newer idb-agents wrote: refused, and left as it was.
      await rawExec(target, `INSERT INTO idb_agents_schema_version (version, description) VALUES (99, 'from the future')`)
      const newer = new PostgresStore(target)
      const error = await newer.ready().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageError)
      expect((error as Error).message).toMatch(/schema version 99, newer than this idb-agents understands .*Nothing was changed/)
      await newer.close()
      await rawExec(target, `DELETE FROM idb_agents_schema_version WHERE version = 99`)
      const after = PostgresSession.fromUrl('kept', target, { userId: 'u' })
      expect(await after.getItems()).toEqual([user('before the restart')])
      await after.close()
    },
    180_000,
  )

  it('isolates users: one session id is a different session for each user', async () => {
    const [a, b] = [uniqueUser(), uniqueUser()]
    const alice = new PostgresSession('same-id', { store: engine.store(), userId: a })
    const bob = new PostgresSession('same-id', { store: engine.store(), userId: b })
    await alice.addItems([user('alice')])
    await bob.addItems([user('bob')])
    await bob.clearSession()
    expect(await alice.getItems()).toEqual([user('alice')])
    expect(await bob.getItems()).toEqual([])
  })

  it('PostgresSession: settings window, replaceItems, titles, info, usage outside turns, deletion; its writes feed the user’s devices', async () => {
    const userId = uniqueUser()
    const store = engine.store()
    const session = new PostgresSession('p', { store, userId, settings: { limit: 2 } })
    await session.storeRunUsage({ usage: { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 } })
    expect(await session.getInfo()).toMatchObject({ sessionId: 'p', itemCount: 0 }) // usage is never dropped: it made the session
    await session.addItems([{ role: 'system', content: 'no user yet' }])
    await session.storeRunUsage({ usage: { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 } })
    await session.addItems([user('1'), user('2'), user('3')])
    expect(await session.getItems()).toEqual([user('2'), user('3')])
    expect(await session.getItems(Infinity)).toHaveLength(4)
    await expect(session.replaceItems([user('x'), { type: 'bad', f: () => 1 } as never])).rejects.toThrow(/item 1 at f/)
    expect(await session.getItems(10)).toHaveLength(4)
    await session.replaceItems([user('summary')])
    expect(await session.getItems()).toEqual([user('summary')])
    await session.setTitle('Numbers')
    expect(await session.getInfo()).toMatchObject({ sessionId: 'p', title: 'Numbers', itemCount: 1, branchCount: 1, currentBranchId: 'main' })
    expect(await session.getSessionUsage()).toEqual({ requests: 2, inputTokens: 2, outputTokens: 2, totalTokens: 4 })
    const feed = JSON.parse(`[${(await store.changes(userId, 0, { limit: 100, maxItems: 100 })).changes.join(',')}]`) as Array<{ kind: string; opId: null }>
    expect(feed.map((change) => change.kind)).toEqual(['usage', 'append', 'usage', 'append', 'replace', 'setTitle'])
    expect(feed.every((change) => change.opId === null)).toBe(true)
    await session.deleteSession()
    expect(await session.getInfo()).toBeUndefined()
    expect(await session.getItems()).toEqual([])
    await expect(session.getSessionUsage({ branchId: 'nope' })).resolves.toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 })
  })

  it('stores each item as the JSON text it was given and keeps nothing but role in clear for an envelope', async () => {
    const userId = uniqueUser()
    const envelope = { type: 'encrypted', role: 'user', kid: 'k1', iv: 'AAEC', ct: 'c2VjcmV0' }
    await new PostgresSession('raw', { store: engine.store(), userId }).addItems([envelope])
    const rows = await engine.store().read(async (tx) => (await tx.query(`SELECT item::text AS item, turn FROM idb_agents_items WHERE user_id = $1`, [userId])).rows)
    expect(rows).toEqual([{ item: JSON.stringify(envelope), turn: 1 }])
  })
})

/** Runs a statement on a target directly (what no API writes, such as a future schema row). */
async function rawExec(target: PostgresTarget, sql: string): Promise<void> {
  if (typeof target === 'string') {
    const client = new pg.Client({ connectionString: target })
    await client.connect()
    await client.query(sql)
    await client.end()
    return
  }
  const db = await PGlite.create((target as { dataDir: string }).dataDir)
  await db.query(sql)
  await db.close()
}

describe('PostgresStore and PostgresSession arguments', () => {
  it('refuses a session without a store or user, and a closed store', async () => {
    const store = new PostgresStore({ database: { query: async () => ({ rows: [] }), transaction: async (fn) => fn({ query: async () => ({ rows: [] }) }), close: async () => {} } })
    expect(() => new PostgresSession('s', {} as never)).toThrow(/needs \{ store: PostgresStore \}/)
    expect(() => new PostgresSession('s', { store, userId: '' })).toThrow(/userId must be a non-empty string, got ""/)
    expect(() => new PostgresSession('', { store })).toThrow(/sessionId must be a non-empty string/)
    await store.close()
    await expect(store.ready()).rejects.toThrow(/was closed/)
  })

  it('refuses a missing user id', async () => {
    const store = new PostgresStore({ database: { query: async () => ({ rows: [] }), transaction: async (fn) => fn({ query: async () => ({ rows: [] }) }), close: async () => {} } })
    await expect(store.apply('', { kind: 'deleteSession', sessionId: 'x' })).rejects.toThrow(/userId must be a non-empty string/)
  })
})
