// A database that fails in the middle of an op: the op's transaction rolls back whole, the
// client gets a typed 500 that reveals nothing, and a retry under the same op id applies once.
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { createSyncHandler, insecureDevAuthorize, PostgresSession, PostgresStore, type SqlDatabase } from '../../src/server/index.js'
import { fromPGlite, fromPool } from '../../src/server/db.js'
import { device, op, texts, user } from './support/client.js'
import { describeEngines, postgresUrl, uniqueUser } from './support/engines.js'

/** `inner`, except that statements matching `failing` throw while `armed` is true. */
function faulty(inner: SqlDatabase, failing: RegExp) {
  const state = { armed: false, failures: 0 }
  const check = (text: string) => {
    if (state.armed && failing.test(text)) {
      state.failures += 1
      throw new Error('connection reset by peer (simulated) password=hunter2')
    }
  }
  const database: SqlDatabase = {
    query: (text, params) => (check(text), inner.query(text, params)),
    transaction: (fn, options) => inner.transaction((tx) => fn({ query: async (text, params) => (check(text), tx.query(text, params)) }), options),
    close: () => inner.close(),
  }
  return { database, state }
}

const closers: Array<() => Promise<void>> = []
afterAll(() => Promise.all(closers.map((close) => close())))

describeEngines('a database failing mid-op', (engine) => {
  it('rolls the op back whole, answers a typed 500 without details, and applies the retry once', async () => {
    let inner: SqlDatabase
    if (engine.name === 'PGlite') {
      inner = fromPGlite(await PGlite.create(), true)
    } else {
      inner = fromPool(new pg.Pool({ connectionString: postgresUrl(), max: 2 }), true)
    }
    // The items are inserted first; the feed row comes after them in the same transaction.
    const { database, state } = faulty(inner, /INSERT INTO idb_agents_changes/)
    const store = new PostgresStore({ database })
    closers.push(() => store.close()) // closes `database`, which closes `inner`
    const errors: unknown[] = []
    const me = device(createSyncHandler({ store, authorize: insecureDevAuthorize, onError: (error) => errors.push(error) }), uniqueUser())
    await me.push(op.append('s', [user('kept')]))

    state.armed = true
    const append = op.append('s', [user('lost?'), user('lost too?')])
    const failed = await me.push(append)
    expect(failed.status).toBe(500)
    expect(failed.body.error).toMatchObject({ code: 'internal', opIndex: 0, opId: append.opId })
    expect(JSON.stringify(failed.body)).not.toMatch(/hunter2|connection reset/)
    expect(errors).toHaveLength(1)
    expect(state.failures).toBe(1)

    state.armed = false
    expect(texts((await me.items('s')).body.items)).toEqual(['kept'])
    expect((await me.changes()).body.changes).toHaveLength(1)
    const retried = await me.push(append)
    expect(retried.body.results[0]).toMatchObject({ replayed: false, firstSeq: 1, count: 2 })
    expect((await me.push(append)).body.results[0].replayed).toBe(true)
    expect(texts((await me.items('s')).body.items)).toEqual(['kept', 'lost?', 'lost too?'])
  }, 120_000)

  it('PostgresSession.addItemsWithUsage is one transaction: a failure recording the usage keeps none of the items', async () => {
    const inner = engine.name === 'PGlite' ? fromPGlite(await PGlite.create(), true) : fromPool(new pg.Pool({ connectionString: postgresUrl(), max: 2 }), true)
    const { database, state } = faulty(inner, /INSERT INTO idb_agents_usage/)
    const store = new PostgresStore({ database })
    closers.push(() => store.close())
    const session = new PostgresSession('s', { store, userId: uniqueUser() })
    await session.addItems([user('kept')])
    const usage = { requests: 1, inputTokens: 2, outputTokens: 3, totalTokens: 5 }
    state.armed = true
    await expect(session.addItemsWithUsage([user('lost?')], usage)).rejects.toThrow(/simulated/)
    state.armed = false
    expect(await session.getItems()).toEqual([user('kept')])
    expect(await session.getSessionUsage()).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 })
    await session.addItemsWithUsage([user('again')], usage)
    expect(await session.getTurnUsage(2)).toEqual(usage)
  }, 120_000)
})
