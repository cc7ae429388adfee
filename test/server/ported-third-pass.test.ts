// The generic storage cases of the Python Agents SDK's Redis, MongoDB and Dapr sessions, on
// the server's sessions (PostgresSession, and RemoteSession through the sync handler; PGlite
// and PostgreSQL): exact strings through jsonb, isolation by user (Redis
// isolates by key prefix), clearing one session only, concurrent calls on one object, and
// closing the store (Python's close() tests).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, expect, it, vi } from 'vitest'
import { InvalidArgumentError, RemoteSession, StorageError, type AgentItem } from '../../src/index.js'
import { PostgresSession, PostgresStore, type PostgresTarget, type SqlDatabase } from '../../src/server/index.js'
import { fromPGlite, fromPool } from '../../src/server/db.js'
import { describeEngines, postgresUrl, uniqueUser, type Engine } from './support/engines.js'
import { deviceOptions, testServer } from '../remote/support/server.js'
import { assistant, hostileStrings, textOf, texts, user } from '../ported/support/items.js'

let counter = 0
type ServerSession = PostgresSession | RemoteSession
/** The server's sessions: PostgresSession in the server process, RemoteSession through the sync handler. */
const serverKinds: Array<[string, (engine: Engine) => (id: string, userId: string) => ServerSession]> = [
  ['PostgresSession', (engine) => (id, userId) => new PostgresSession(id, { store: engine.store(), userId })],
  [
    'RemoteSession',
    (engine) => {
      const server = testServer(engine.store)
      return (id, userId) => new RemoteSession(id, deviceOptions(server, userId))
    },
  ],
]

for (const [kindName, factory] of serverKinds) describeEngines(`${kindName}: other backends' storage cases (ported)`, (engine) => {
  const userId = uniqueUser('third-pass')
  const open = factory(engine)
  const make = (id = `s-${++counter}`, owner = userId) => open(id, owner)

  // python tests/extensions/memory/test_redis_session.py::test_special_characters_and_json_safety
  // python tests/extensions/memory/test_redis_session.py::test_data_integrity_with_problematic_strings
  // python tests/extensions/memory/test_dapr_session.py::test_data_integrity_with_problematic_strings
  // python tests/extensions/memory/test_mongodb_session.py::test_json_special_characters
  it('gives back strings that break parsers and encodings exactly as stored (NUL, lone surrogates, escapes)', async () => {
    const session = make()
    await session.addItems(hostileStrings.map((text, i) => (i % 2 ? assistant(text) : user(text))))
    expect(texts(await session.getItems())).toEqual(hostileStrings)
    const structured: AgentItem = { role: 'user', content: [{ type: 'input_text', text: hostileStrings.join('|') }], ['key \u0000 with nul']: 'x' }
    await session.addItems([structured])
    expect((await session.getItems(1))[0]).toEqual(structured)
    expect(texts(await make(session.sessionId).getItems())).toEqual([...hostileStrings, textOf(structured)])
  })

  // python tests/extensions/memory/test_redis_session.py::test_add_items_preserves_created_at_metadata
  // python tests/extensions/memory/test_dapr_session.py::test_add_items_preserves_created_at_metadata
  // python tests/extensions/memory/test_mongodb_session.py::test_session_metadata_timestamps_are_written
  it('sets createdAt at the first write and keeps it; updatedAt follows each write', async () => {
    const now = vi.spyOn(Date, 'now')
    try {
      const [created, updated] = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2)]
      now.mockReturnValue(created)
      const session = make()
      await session.addItems([user('first')])
      expect(await session.getInfo()).toMatchObject({ createdAt: created, updatedAt: created })
      now.mockReturnValue(updated)
      await session.addItems([user('second')])
      expect(await session.getInfo()).toMatchObject({ createdAt: created, updatedAt: updated })
    } finally {
      now.mockRestore()
    }
  })

  // python tests/extensions/memory/test_redis_session.py::test_key_prefix_isolation
  it('keeps the same session id of two users apart', async () => {
    const [one, two] = [make('same_id', uniqueUser('app1')), make('same_id', uniqueUser('app2'))]
    await one.addItems([user('app1 message')])
    await two.addItems([user('app2 message')])
    expect(texts(await one.getItems())).toEqual(['app1 message'])
    expect(texts(await two.getItems())).toEqual(['app2 message'])
    await two.clearSession()
    expect(texts(await one.getItems())).toEqual(['app1 message'])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_does_not_affect_other_sessions
  it('clearing one session leaves another untouched', async () => {
    const [keep, cleared] = [make(), make()]
    await keep.addItems([user('keep')])
    await cleared.addItems([user('delete')])
    await cleared.clearSession()
    expect(texts(await keep.getItems())).toEqual(['keep'])
    expect(await cleared.getItems()).toEqual([])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_add_items_is_invisible_until_single_document_commit
  it('a read made while an add is in flight sees the whole batch', async () => {
    const session = make()
    await session.addItems([user('before')])
    const batch = ['b1', 'b2', 'b3', 'b4']
    const [, during] = await Promise.all([session.addItems(batch.map(user)), session.getItems().then(texts)])
    expect(during).toEqual(['before', ...batch])
    expect(texts(await session.getItems())).toEqual(['before', ...batch])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_atomically_selects_newest_concurrent_batch
  it('a pop made while an add is in flight takes the newest item of that batch', async () => {
    const session = make()
    await session.addItems([user('older')])
    const [, popped] = await Promise.all([session.addItems(['n1', 'n2', 'n3'].map(user)), session.popItem()])
    expect(textOf(popped)).toBe('n3')
    expect(texts(await session.getItems())).toEqual(['older', 'n1', 'n2'])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_session_hides_add_reserved_before_generation_advance
  // python tests/extensions/memory/test_mongodb_session.py::test_pop_rechecks_generation_after_concurrent_clear
  // (Python's pop returns None there; calls on one object here take effect in the order they
  // were made: the pop returns the item added before it, the clear removes the rest.)
  it('an add and a pop already started when a clear starts are cleared with the rest, the item popped once', async () => {
    const session = make()
    await session.addItems([user('old')])
    const adding = session.addItems([user('added before the clear')])
    const popping = session.popItem()
    await session.clearSession()
    await adding
    expect(texts([await popping])).toEqual(['added before the clear'])
    expect(await session.getItems()).toEqual([])
    await session.addItems([user('after clear')])
    expect(texts(await session.getItems())).toEqual(['after clear'])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_concurrent_pop_item_claims_distinct_items_from_batch
  it('concurrent pops on one object each take a different item, newest first', async () => {
    const session = make()
    await session.addItems(['first', 'second', 'third'].map(user))
    const popped = await Promise.all([session.popItem(), session.popItem(), session.popItem(), session.popItem()])
    expect(texts(popped.slice(0, 3))).toEqual(['third', 'second', 'first'])
    expect(popped[3]).toBeUndefined()
    expect(await session.getItems()).toEqual([])
  })
})

/** A store of the test's own on `engine`, and one on a database handle the app made and keeps. */
async function ownStores(engine: 'PGlite' | 'PostgreSQL') {
  if (engine === 'PGlite') {
    const pglite = new PGlite()
    return { owned: new PostgresStore({}), injected: new PostgresStore({ pglite }), handleOpen: () => !pglite.closed, closeHandle: () => pglite.close(), again: () => new PostgresStore({ pglite }) }
  }
  const pool = new pg.Pool({ connectionString: postgresUrl() })
  let ended = false
  return {
    owned: new PostgresStore(postgresUrl()),
    injected: new PostgresStore({ pool }),
    handleOpen: () => !ended && !pool.ended,
    closeHandle: async () => ((ended = true), await pool.end()),
    again: () => new PostgresStore({ pool }),
  }
}

describeEngines('PostgresStore close (ported)', (engine) => {
  // python tests/extensions/memory/test_redis_session.py::test_redis_session_closed_operations_raise_runtime_error
  // python tests/extensions/memory/test_redis_session.py::test_redis_session_close_is_idempotent
  // python tests/extensions/memory/test_mongodb_session.py::test_closed_operations_raise_runtime_error
  // python tests/extensions/memory/test_mongodb_session.py::test_repeated_close_remains_safe
  // python tests/extensions/memory/test_dapr_session.py::test_dapr_session_closed_operations_raise_runtime_error
  // python tests/extensions/memory/test_dapr_session.py::test_dapr_session_close_is_idempotent
  // (Python's add_items([]) on a closed session raises too; here an empty batch is a no-op
  // that touches no store, as for every session kind: DESIGN.md "addItems … all-or-nothing".)
  it('refuses every operation of a session once its own store is closed, with a typed error; closing twice at once is safe', async () => {
    const { owned, injected, closeHandle } = await ownStores(engine.name)
    await injected.close()
    await closeHandle()
    const userId = uniqueUser('closed')
    const session = new PostgresSession('closed_state_test', { store: owned, userId })
    await session.addItems([user('before close')])
    await Promise.all([owned.close(), owned.close()])
    await owned.close()
    for (const operation of [() => session.getItems(), () => session.addItems([user('after close')]), () => session.popItem(), () => session.clearSession()]) {
      const error = await operation().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as Error).message).toMatch(/PostgresStore was closed/)
    }
    await expect(session.addItems([])).resolves.toBeUndefined()
  }, 120_000)

  // python tests/extensions/memory/test_redis_session.py::test_redis_session_close_is_noop_for_injected_client
  // python tests/extensions/memory/test_redis_session.py::test_external_client_not_closed
  // python tests/extensions/memory/test_mongodb_session.py::test_close_external_client_not_closed
  // python tests/extensions/memory/test_mongodb_session.py::test_external_client_session_stays_usable_after_close
  // python tests/extensions/memory/test_dapr_session.py::test_dapr_session_close_is_noop_for_injected_client
  it("closing a store on the app's own database handle leaves the handle open and its history readable by another store", async () => {
    const { owned, injected, handleOpen, closeHandle, again } = await ownStores(engine.name)
    await owned.close()
    const userId = uniqueUser('injected')
    await new PostgresSession('injected_client_noop_test', { store: injected, userId }).addItems([user('before close')])
    await injected.close()
    expect(handleOpen()).toBe(true)
    const other = again()
    const session = new PostgresSession('injected_client_noop_test', { store: other, userId })
    await session.addItems([user('after close')])
    expect(texts(await session.getItems())).toEqual(['before close', 'after close'])
    await other.close()
    await closeHandle()
  }, 120_000)

  // python tests/extensions/memory/test_redis_session.py::test_redis_session_operation_waiting_behind_close_raises
  // python tests/extensions/memory/test_mongodb_session.py::test_mutation_cancellation_waits_for_authoritative_outcome
  // (close() takes effect at once: calls made just before it, still queued on the session,
  // have not reached the database, so each is refused, in every run; the earlier either-way
  // checks never saw a call finish.)
  it('operations made just before close() and not yet at the database are refused with the typed error, and the database holds none of them', async () => {
    const { owned, injected, closeHandle, again } = await ownStores(engine.name)
    await owned.close()
    const userId = uniqueUser('closing')
    const session = new PostgresSession('close_interleave_test', { store: injected, userId })
    await session.addItems([user('first')])
    const settled = Promise.allSettled([session.addItems([user('second')]), session.getItems(), session.popItem()])
    await injected.close()
    const outcomes = await settled
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected'])
    for (const outcome of outcomes) {
      const reason = (outcome as PromiseRejectedResult).reason as Error
      expect(reason).toBeInstanceOf(InvalidArgumentError)
      expect(reason.message).toMatch(/PostgresStore was closed/)
    }
    const other = again()
    expect(texts(await new PostgresSession('close_interleave_test', { store: other, userId }).getItems())).toEqual(['first'])
    await other.close()
    await closeHandle()
  }, 120_000)
})

/**
 * `inner`, with a gate: once armed, the next transaction waits before it reaches the database
 * (before it takes the user's row lock), until released. `calls` counts transactions begun.
 */
function gated(inner: SqlDatabase) {
  const gate = { armed: false, reached: deferred(), release: deferred(), calls: 0, arrived: deferred() }
  const database: SqlDatabase = {
    query: (text, params) => inner.query(text, params),
    transaction: async (fn, options) => {
      gate.calls += 1
      if (gate.calls > 1) gate.arrived.resolve()
      if (gate.armed) {
        gate.armed = false
        gate.reached.resolve()
        await gate.release.promise
      }
      return inner.transaction(fn, options)
    },
    close: () => inner.close(),
  }
  return { database, gate }
}

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Every task the event loop has queued so far has run (microtasks drain before it). */
const idle = () => new Promise<void>((resolve) => setImmediate(resolve))

describeEngines('PostgresSession: calls on one object take effect in the order they were made (ported)', (engine) => {
  async function held() {
    const inner = engine.name === 'PGlite' ? fromPGlite(await PGlite.create(), true) : fromPool(new pg.Pool({ connectionString: postgresUrl(), max: 4 }), true)
    const { database, gate } = gated(inner)
    const store = new PostgresStore({ database })
    const session = new PostgresSession('ordered', { store, userId: uniqueUser('ordered') })
    await session.addItems([user('stored')])
    gate.calls = 0
    gate.armed = true
    /**
     * Starts `first` (held before the database), then `second`; lets `second` reach the
     * database and finish if it does not wait for `first`, then lets `first` go.
     */
    async function race<A, B>(first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
      const one = first()
      await gate.reached.promise
      const two = second()
      await Promise.race([gate.arrived.promise.then(() => two.catch(() => undefined)), idle()])
      gate.release.resolve()
      return Promise.all([one, two])
    }
    return { session, store, race }
  }

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_session_hides_add_reserved_before_generation_advance
  it('an add made before a clear is cleared, even when it reaches the database after the clear was called', async () => {
    const { session, store, race } = await held()
    await race(() => session.addItems([user('old')]), () => session.clearSession())
    expect(await session.getItems()).toEqual([])
    await store.close()
  }, 120_000)

  // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_atomically_selects_newest_concurrent_batch
  it('a pop made after an add removes the added item, not an older one', async () => {
    const { session, store, race } = await held()
    const [, popped] = await race(() => session.addItems([user('new')]), () => session.popItem())
    expect(textOf(popped)).toBe('new')
    expect(texts(await session.getItems())).toEqual(['stored'])
    await store.close()
  }, 120_000)

  // python tests/extensions/memory/test_mongodb_session.py::test_add_items_is_invisible_until_single_document_commit
  it('a read made after an add sees it', async () => {
    const { session, store, race } = await held()
    const [, read] = await race(() => session.addItems([user('new')]), () => session.getItems())
    expect(texts(read)).toEqual(['stored', 'new'])
    await store.close()
  }, 120_000)
})

describeEngines('RemoteSession: calls on one object take effect in the order they were made (ported)', (engine) => {
  const server = testServer(engine.store)
  async function held() {
    const gate = { armed: false, reached: deferred(), release: deferred(), calls: 0, arrived: deferred() }
    const options = deviceOptions(server, uniqueUser('remote-ordered'))
    // The device's requests, the first one after arming held before it is sent.
    const gatedFetch: typeof fetch = async (input, init) => {
      gate.calls += 1
      if (gate.calls > 1) gate.arrived.resolve()
      if (gate.armed) {
        gate.armed = false
        gate.reached.resolve()
        await gate.release.promise
      }
      return options.fetch(input, init)
    }
    const session = new RemoteSession('ordered', { ...options, fetch: gatedFetch })
    await session.addItems([user('stored')])
    gate.calls = 0
    gate.armed = true
    async function race<A, B>(first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
      const one = first()
      await gate.reached.promise
      const two = second()
      await Promise.race([gate.arrived.promise.then(() => two.catch(() => undefined)), idle()])
      gate.release.resolve()
      return Promise.all([one, two])
    }
    return { session, race }
  }

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_session_hides_add_reserved_before_generation_advance
  it('an add made before a clear is cleared, even when its request is sent after the clear was called', async () => {
    const { session, race } = await held()
    await race(() => session.addItems([user('old')]), () => session.clearSession())
    expect(await session.getItems()).toEqual([])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_atomically_selects_newest_concurrent_batch
  it('a pop made after an add removes the added item, not an older one', async () => {
    const { session, race } = await held()
    const [, popped] = await race(() => session.addItems([user('new')]), () => session.popItem())
    expect(textOf(popped)).toBe('new')
    expect(texts(await session.getItems())).toEqual(['stored'])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_add_items_is_invisible_until_single_document_commit
  it('a read made after an add sees it', async () => {
    const { session, race } = await held()
    const [, read] = await race(() => session.addItems([user('new')]), () => session.getItems())
    expect(texts(read)).toEqual(['stored', 'new'])
  })
})

describeEngines('PostgresSession ownership and failures (ported)', (engine) => {
  const target = () => (engine.name === 'PGlite' ? {} : postgresUrl())

  // python tests/extensions/memory/test_redis_session.py::test_internal_client_ownership
  // python tests/extensions/memory/test_redis_session.py::test_from_url_constructor
  // python tests/extensions/memory/test_mongodb_session.py::test_close_owned_client_is_closed
  // python tests/extensions/memory/test_mongodb_session.py::test_external_client_session_stays_usable_after_close
  // python tests/extensions/memory/test_dapr_session.py::test_internal_client_ownership
  it('a session from fromUrl closes its own store; a session on a shared store leaves it open', async () => {
    const owned = PostgresSession.fromUrl('url_test', target(), { userId: uniqueUser('from-url') })
    expect(owned.sessionId).toBe('url_test')
    await owned.addItems([user('hello')])
    expect(texts(await owned.getItems())).toEqual(['hello'])
    await owned.close()
    await expect(owned.getItems()).rejects.toThrow(/PostgresStore was closed/)
    const shared = new PostgresSession('shared', { store: engine.store(), userId: uniqueUser('shared') })
    await shared.addItems([user('before close')])
    await shared.close()
    await shared.addItems([user('after close')])
    expect(texts(await shared.getItems())).toEqual(['before close', 'after close'])
  }, 120_000)

  // python tests/extensions/memory/test_mongodb_session.py::test_close_before_use_is_terminal
  // python tests/extensions/memory/test_redis_session.py::test_redis_session_ping_raises_after_close
  it('a store closed before its first use never opens, and refuses with the typed error', async () => {
    const store = new PostgresStore(target())
    await store.close()
    await expect(store.ready()).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(new PostgresSession('never', { store, userId: uniqueUser('never') }).addItems([user('x')])).rejects.toThrow(/PostgresStore was closed/)
    // "Never opens": on a database handle that records what reaches it, nothing does (no
    // migration, no statement, no close), before or after the refused calls.
    const reached: string[] = []
    const client = { query: async <Row,>(text: string) => (reached.push(text), { rows: [] as Row[] }) }
    const handle: SqlDatabase = { ...client, transaction: async (fn) => (reached.push('transaction'), fn(client)), close: async () => void reached.push('close') }
    const onHandle = new PostgresStore({ database: handle })
    await onHandle.close()
    await expect(onHandle.ready()).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(new PostgresSession('never', { store: onHandle, userId: uniqueUser('never') }).getItems()).rejects.toThrow(/PostgresStore was closed/)
    await onHandle.close()
    expect(reached).toEqual([])
  }, 120_000)

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_session_partial_cleanup_failure_is_logically_atomic
  it('a clear that fails partway through keeps every item; the clear succeeds once retried', async () => {
    const inner = engine.name === 'PGlite' ? fromPGlite(await PGlite.create(), true) : fromPool(new pg.Pool({ connectionString: postgresUrl(), max: 2 }), true)
    const state = { armed: false, failures: 0 }
    // The items are deleted first; the change-feed row is written after them in the same transaction.
    const check = (text: string) => {
      if (state.armed && /INSERT INTO idb_agents_changes/.test(text)) {
        state.failures += 1
        throw new Error('connection reset by peer (simulated)')
      }
    }
    const database: SqlDatabase = {
      query: (text, params) => (check(text), inner.query(text, params)),
      transaction: (fn, options) => inner.transaction((tx) => fn({ query: async (text, params) => (check(text), tx.query(text, params)) }), options),
      close: () => inner.close(),
    }
    const store = new PostgresStore({ database })
    const session = new PostgresSession('partial-clear', { store, userId: uniqueUser('partial-clear') })
    await session.addItems(['first', 'second', 'third'].map(user))
    state.armed = true
    await expect(session.clearSession()).rejects.toThrow(/simulated/)
    expect(state.failures).toBe(1)
    state.armed = false
    expect(texts(await session.getItems())).toEqual(['first', 'second', 'third'])
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
    await store.close()
  }, 120_000)
})

// python tests/extensions/memory/test_redis_session.py::test_ping_connection_failure
// python tests/extensions/memory/test_mongodb_session.py::test_ping_failure
// python tests/extensions/memory/test_dapr_session.py::test_ping_connection_failure
it('ready() on a PostgreSQL that does not answer is a StorageError, as its TSDoc says', async () => {
  const store = new PostgresStore('postgresql://idb_agents@127.0.0.1:1/nowhere')
  const error = await store.ready().catch((e: unknown) => e)
  expect(error).toBeInstanceOf(StorageError)
  expect((error as Error).message).toMatch(/^The database could not be opened: .*ECONNREFUSED.*\. Nothing was changed; the next call tries again\.$/)
  expect((error as StorageError).cause).toBeInstanceOf(Error)
  await store.close()
}, 60_000)

const tempDirs: string[] = []
afterAll(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))))

describeEngines('a database that is not there at first use (ported)', (engine) => {
  // python tests/extensions/memory/test_redis_session.py::test_ping_connection_failure (then the database comes up)
  it('fails the first call with a StorageError, and the next call opens it once it is there', async () => {
    let target: PostgresTarget
    let makeItThere: () => Promise<void>
    if (engine.name === 'PGlite') {
      // The data directory's parent is a file for now.
      const dir = await mkdtemp(join(tmpdir(), 'idb-agents-later-'))
      tempDirs.push(dir)
      const blocker = join(dir, 'data')
      await writeFile(blocker, 'not a directory')
      target = { dataDir: join(blocker, 'pglite') }
      makeItThere = async () => {
        await rm(blocker)
      }
    } else {
      const name = `later_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
      const url = new URL(postgresUrl())
      url.pathname = `/${name}`
      target = url.toString()
      makeItThere = async () => {
        const admin = new pg.Client({ connectionString: postgresUrl() })
        await admin.connect()
        await admin.query(`CREATE DATABASE ${name}`)
        await admin.end()
      }
    }
    const store = new PostgresStore(target)
    const session = new PostgresSession('later', { store, userId: uniqueUser('later') })
    const error = await session.addItems([user('while missing')]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as Error).message).toMatch(/^The database could not be opened: .*\. Nothing was changed; the next call tries again\.$/)
    await makeItThere()
    await session.addItems([user('once there')])
    expect(texts(await session.getItems())).toEqual(['once there'])
    await store.close()
  }, 120_000)
})
