// Schema v6 in real engines: a database v5 wrote (support/v5-database.ts) opens, upgrades
// without touching a row, and reads, appends, pops, forks and exports as before; a database
// at a newer version than this code is refused with advice to reload; and packed rows read
// right through every window on a real IndexedDB. The logic is in schema-v6.test.ts.
import { openDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'
import { exportSession, importSession, IndexedDBSession, StorageError, StorageQuotaError, type AgentItem } from '../../src/index.js'
import { disconnect } from '../../src/idb/database.js'
import { SCHEMA_VERSION } from '../../src/idb/schema.js'
import { expectPacked, expectWellFormed, itemsBySeq, itemsOf, rawRows, readStored, type RawRow } from './support/raw-rows.js'
import { writeV5Database } from './support/v5-database.js'
import { fillToTheBrim } from './support/fill-quota.js'
import { smallStorage as sizedStorage } from './support/small-storage.js'
import { capabilities, lacks } from '../support/capabilities.js'
import { deleteDatabase } from '../crypto/support.js'

const created: string[] = []
const freshDb = (label: string) => {
  const name = `schema-v6-${label}-${Math.random().toString(36).slice(2)}`
  created.push(name)
  return name
}
afterEach(async () => {
  for (const name of created.splice(0)) {
    await disconnect({ dbName: name })
    await deleteDatabase(name)
  }
})

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const replies = (label: string, n: number): AgentItem[] => Array.from({ length: n }, (_, i) => assistant(`${label}${i}`))

/** Every window of the current branch is the tail of `expected`. */
async function expectWindows(session: IndexedDBSession, expected: readonly AgentItem[]): Promise<void> {
  expect(await session.getItems()).toEqual(expected)
  for (let k = 1; k <= expected.length; k++) expect(await session.getItems(k), `getItems(${k})`).toEqual(expected.slice(-k))
}

const timed = async (session: IndexedDBSession) => (await session.getTimedItems()).map(({ item, createdAt }) => ({ item, createdAt }))

/** The database's version, stores and indexes, on a connection of the test's own. */
async function shape(dbName: string): Promise<{ version: number; stores: Record<string, string[]> }> {
  const db = await openDB(dbName)
  try {
    const stores: Record<string, string[]> = {}
    const names = [...db.objectStoreNames]
    const tx = db.transaction(names, 'readonly')
    for (const name of names) stores[name] = [...tx.objectStore(name).indexNames].sort()
    await tx.done
    return { version: db.version, stores }
  } finally {
    db.close()
  }
}

describe('a database written by schema v5', () => {
  it('opens and upgrades to v6 without changing a row, and reads every branch, turn and usage as v5 stored them', async () => {
    const dbName = freshDb('v5')
    const v5 = await writeV5Database(dbName, 'chat')
    const before = await shape(dbName)
    expect(before.version).toBe(5)
    const rowsBefore = await rawRows(dbName, 'chat')
    const allUsage = async () => {
      const db = await openDB(dbName)
      const tx = db.transaction('usage', 'readonly')
      const all = await tx.store.getAll()
      await tx.done
      db.close()
      return all
    }
    const usageBefore = await allUsage()

    const session = new IndexedDBSession('chat', { dbName })
    expect(await timed(session)).toEqual(v5.branches.main)
    expect(SCHEMA_VERSION).toBe(6)
    expect(await shape(dbName)).toEqual({ version: SCHEMA_VERSION, stores: before.stores })
    // No data migration: every row is stored exactly as v5 wrote it.
    expect(await rawRows(dbName, 'chat')).toEqual(rowsBefore)
    await expectWindows(session, v5.branches.main.map((entry) => entry.item))
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'q1', 2],
      [2, 'q2', 4],
      [3, 'q3', 2],
    ])
    expect((await session.getTurnUsage()).map((entry) => entry.usage)).toEqual(v5.turnUsage.main)
    expect(await session.getHistoryOperation('op-v5')).toBe('{"v":5}')
    expect((await session.listBranches()).map((branch) => [branch.id, branch.itemCount, branch.turnCount, branch.forkTurn])).toEqual([
      ['main', 8, 3, null],
      [v5.editId, 8, 3, 2],
    ])
    await session.switchToBranch(v5.editId)
    expect(await timed(session)).toEqual(v5.branches.edit)
    await expectWindows(session, v5.branches.edit.map((entry) => entry.item))
    expect((await session.getTurnUsage()).map((entry) => entry.usage)).toEqual(v5.turnUsage.edit)
    expect(await allUsage()).toEqual(usageBefore)
    await expectWellFormed(dbName, 'chat')
  })

  it('appends packed rows after its v5 rows, pops across both, forks and exports', async () => {
    const dbName = freshDb('v5-write')
    const v5 = await writeV5Database(dbName, 'chat')
    const session = new IndexedDBSession('chat', { dbName })
    const main = v5.branches.main.map((entry) => entry.item)
    const added = [assistant('a3 more'), user('q4'), ...replies('r', 6)]
    await session.addItems(added)
    main.push(...added)
    await expectPacked(dbName, 'chat', 18)
    await expectWindows(session, main)
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.itemCount])).toEqual([
      [1, 2],
      [2, 4],
      [3, 3],
      [4, 7],
    ])
    await expectWellFormed(dbName, 'chat')

    // Pops through the packed rows and on into the rows v5 wrote.
    for (let i = 0; i < 10; i++) expect(await session.popItem()).toEqual(main.pop())
    await expectWindows(session, main)
    expect(await timed(session)).toEqual(v5.branches.main.slice(0, main.length))
    await expectWellFormed(dbName, 'chat')

    // The v5 branch: pop into its own v5 rows, then append.
    await session.switchToBranch(v5.editId)
    const edit = v5.branches.edit.map((entry) => entry.item)
    expect(await session.popItem()).toEqual(edit.pop())
    const editAdded = [assistant('a3 edited again'), user('q4 edited'), ...replies('e', 4)]
    await session.addItems(editAdded)
    edit.push(...editAdded)
    await expectWindows(session, edit)

    // A fork at a turn v5 numbered, with an append of its own.
    const fork = await session.createBranchFromTurn(3, 'fork')
    expect(await session.getItems()).toEqual(edit.slice(0, 6))
    await session.addItems([user('q3 fork'), ...replies('f', 3)])
    const forkItems = [...edit.slice(0, 6), user('q3 fork'), ...replies('f', 3)]
    await expectWindows(session, forkItems)
    await session.switchToBranch('main')
    await expectWindows(session, main)
    await expectWellFormed(dbName, 'chat')

    // Export: one entry per item, whatever the rows; the import reads the same on every branch.
    const doc = (await exportSession('chat', { dbName }))!
    const stored = itemsBySeq(await rawRows(dbName, 'chat'))
    expect(doc.items.map((entry) => [entry.seq, entry.createdAt, entry.item])).toEqual(
      [...stored.entries()].map(([seq, { item, createdAt }]) => [seq, createdAt, item]),
    )
    const copyDb = freshDb('v5-copy')
    await importSession(JSON.parse(JSON.stringify(doc)), { dbName: copyDb })
    const copy = new IndexedDBSession('chat', { dbName: copyDb })
    for (const branchId of ['main', v5.editId, fork]) {
      await session.switchToBranch(branchId)
      await copy.switchToBranch(branchId)
      expect(await copy.getTimedItems()).toEqual(await session.getTimedItems())
      expect(await copy.getTurns()).toEqual(await session.getTurns())
    }
    await expectWellFormed(copyDb, 'chat')

    // Everything popped: no row is left behind.
    await session.deleteBranch(fork)
    await session.deleteBranch(v5.editId)
    await session.switchToBranch('main')
    while ((await session.popItem()) !== undefined);
    expect(await rawRows(dbName, 'chat')).toEqual([])
  })
})

describe('a database at a newer schema version than this code', () => {
  it('is refused with a StorageError saying to reload the page, and is left as it is', async () => {
    const dbName = freshDb('newer')
    const newer = await openDB(dbName, SCHEMA_VERSION + 1, {
      upgrade(db) {
        db.createObjectStore('sessions', { keyPath: 'id' }).createIndex('byUpdatedAt', ['updatedAt', 'id'])
        db.createObjectStore('items', { keyPath: ['sessionId', 'seq'] }).createIndex('byTurn', ['sessionId', 'turn'])
        db.createObjectStore('fromTheFuture')
      },
    })
    await newer.put('items', { sessionId: 'chat', seq: 0, createdAt: 1, item: user('from a newer version'), turn: 1, more: [assistant('x')] })
    newer.close()
    const before = await readStored(dbName, 'chat')

    const session = new IndexedDBSession('chat', { dbName })
    for (const call of [() => session.getItems(), () => session.addItems([user('lost?')]), () => session.popItem()]) {
      const error = await call().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageError)
      expect((error as Error).message).toMatch(new RegExp(`Database "${dbName}" was written by a newer version of idb-agents than this page runs\\. Reload the page`))
    }
    const after = await shape(dbName)
    expect(after.version).toBe(SCHEMA_VERSION + 1)
    expect(Object.keys(after.stores).sort()).toEqual(['fromTheFuture', 'items', 'sessions'])
    expect(await readStored(dbName, 'chat')).toEqual(before)
  })
})

describe('packed rows in a real engine', () => {
  it('reads every window of several packed appends, pops inside a row, and forks inside a shared row', async () => {
    const dbName = freshDb('packed')
    const session = new IndexedDBSession('packed', { dbName, durability: 'strict' })
    const items = [user('q1'), ...replies('a', 20)]
    await session.addItems(items)
    await session.addItems(replies('b', 3))
    await session.addItems([user('q2'), ...replies('c', 40)])
    items.push(...replies('b', 3), user('q2'), ...replies('c', 40))
    await expectPacked(dbName, 'packed', 10)
    await expectPacked(dbName, 'packed', 60)
    await disconnect({ dbName }) // read back from disk, on a new connection
    await expectWindows(session, items)
    await expectWellFormed(dbName, 'packed')
    for (let i = 0; i < 5; i++) expect(await session.popItem()).toEqual(items.pop())
    await session.addItems([assistant('after pops')])
    items.push(assistant('after pops'))
    await expectWindows(session, items)
    await session.createBranchFromTurn(2, 'fork')
    for (let i = 0; i < 4; i++) await session.popItem()
    await session.addItems([user('q2 fork')])
    const forkItems = [...items.slice(0, 20), user('q2 fork')]
    await expectWindows(session, forkItems)
    await session.switchToBranch('main')
    await expectWindows(session, items)
    await session.clearSession()
    await session.switchToBranch((await session.listBranches())[1]!.id)
    await expectWindows(session, forkItems)
    await expectWellFormed(dbName, 'packed')
  })
})

const smallStorage = () => sizedStorage('schema-v6-full', cleanups)

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** The `items` rows of one session, read through `factory` on a connection of the test's own. */
async function rowsIn(factory: IDBFactory, dbName: string, sessionId: string): Promise<unknown[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(dbName)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  try {
    const tx = db.transaction('items', 'readonly')
    const request = tx.objectStore('items').getAll(IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]))
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve
      tx.onabort = tx.onerror = () => reject(tx.error)
    })
    return request.result
  } finally {
    db.close()
  }
}

/**
 * Three sessions in a small storage, filled to the brim by the third: `packed`, whose newest
 * item shares its row with older ones, and `alone`, whose newest item has a row of its own.
 */
async function fullStorage(where: { dbName: string; indexedDB: IDBFactory; maxTurns: number }) {
  const packedSession = new IndexedDBSession('packed', where)
  const aloneSession = new IndexedDBSession('alone', where)
  const filler = new IndexedDBSession('filler', where)
  const packed = [user('q'), ...replies('r', 9)]
  await packedSession.addItems(packed)
  // Whatever the layout, after a pop the newest item shares its row with older ones.
  expect(await packedSession.popItem()).toEqual(packed.pop())
  const newestRow = ((await rowsIn(where.indexedDB, where.dbName, 'packed')) as RawRow[]).at(-1)!
  expect([newestRow.seq + itemsOf(newestRow).length, itemsOf(newestRow).length > 1]).toEqual([packed.length, true])
  const alone = [user('q'), ...replies('s', 8)]
  await aloneSession.addItems(alone)
  await aloneSession.addItems([assistant('alone')])
  const aloneRow = ((await rowsIn(where.indexedDB, where.dbName, 'alone')) as RawRow[]).at(-1)!
  expect([aloneRow.seq, itemsOf(aloneRow).length]).toEqual([alone.length, 1])
  await filler.addItems([user('first turn')])
  const filled = await fillToTheBrim(filler, where.maxTurns)
  await expect(packedSession.addItems([assistant('x')])).rejects.toBeInstanceOf(StorageQuotaError)
  return { packedSession, aloneSession, filler, packed, alone, filled }
}

describe('packed rows at a completely full quota', () => {
  // Chromium refuses every transaction that writes at a full quota (free-space.browser.test.ts
  // measures it). Firefox accepted the shorter row once (2026-12-07, the whole file run, other
  // tests' databases just deleted), so the pop happened there: a refusal cannot be forced in
  // Firefox, only in Chromium.
  it('popItem of an item sharing its row is refused with nothing changed (Chromium)', async ({ skip }) => {
    skip(!capabilities.storageBuckets, lacks('storageBuckets'))
    const where = (await smallStorage())!
    const { packedSession, packed } = await fullStorage(where)
    const before = JSON.stringify(await rowsIn(where.indexedDB, where.dbName, 'packed'))
    const error = await packedSession.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect(JSON.stringify(await rowsIn(where.indexedDB, where.dbName, 'packed'))).toBe(before)
    expect(await packedSession.getItems()).toEqual(packed)
    expect(await packedSession.getItemCount()).toBe(packed.length)
  }, 120_000)

  it('popItem of an item alone in its row works, and clearSession of packed rows frees them whole', async ({ skip }) => {
    const where = await smallStorage()
    if (!where) return skip(lacks('smallOriginQuota'))
    const { packedSession, aloneSession, filler, alone, filled } = await fullStorage(where)
    expect(await aloneSession.popItem()).toEqual(assistant('alone'))
    expect(await aloneSession.getItems()).toEqual(alone)
    await packedSession.clearSession()
    expect(await packedSession.getItems()).toEqual([])
    expect(await rowsIn(where.indexedDB, where.dbName, 'packed')).toEqual([])
    expect(await aloneSession.getItems()).toEqual(alone)
    expect(await filler.getItems()).toEqual(filled)
  }, 120_000)
})
