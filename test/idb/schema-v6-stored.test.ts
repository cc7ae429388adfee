// Schema v6 (see schema-v6.test.ts): what is stored by others or under pressure: hostile
// rows (a damaged `more`), EncryptedSession's envelopes packed in rows, a session stored one
// row per item as v5 wrote it, and a completely full quota (support/quota-factory.ts).
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { deleteSession, EncryptedSession, IndexedDBSession, StorageError, StorageQuotaError } from '../../src/index.js'
import { disconnect, toLocation } from '../../src/idb/database.js'
import { type SessionRecord } from '../../src/idb/schema.js'
import { newDataKey } from '../crypto/support.js'
import { quotaStores } from './support/quota-store.js'
import { expectPacked, expectWellFormed, layout, putRows, rawRows, readStored, ROW_LIMIT, type RawRow } from './support/raw-rows.js'
import { assistant, call, expectWindows, freshDb, output, replies, tick, times, user, useStillClock } from './support/v6-session.js'

useStillClock()

describe('8. hostile rows', () => {
  const damaged = (row: RawRow) => row.more !== undefined && (!Array.isArray(row.more) || row.more.length === 0 || row.more.length > ROW_LIMIT - 1)
  /** A session of 6 items whose rows `spoil` damaged; `window` reads from the damaged row's first item on. */
  async function hostile(sessionId: string, spoil: (rows: RawRow[]) => RawRow[]) {
    const dbName = freshDb()
    const session = new IndexedDBSession(sessionId, { dbName })
    await session.addItems([user('q'), ...replies('a', 5)])
    const rows = spoil(await rawRows(dbName, sessionId))
    await putRows(dbName, rows, { deleteSession: sessionId })
    await disconnect(toLocation({ dbName })) // no read may be answered from what this tab wrote
    const before = JSON.stringify(await readStored(dbName, sessionId))
    const window = 6 - rows.find(damaged)!.seq
    return { dbName, session: new IndexedDBSession(sessionId, { dbName }), before, window }
  }
  const packedRow = (rows: RawRow[]) => rows.find((row) => Array.isArray(row.more))!

  const cases: Array<[string, (rows: RawRow[]) => RawRow[]]> = [
    ['more is a string', (rows) => (packedRow(rows).more = 'a, b, c', rows)],
    ['more is an object', (rows) => (packedRow(rows).more = { 0: assistant('x'), length: 4 }, rows)],
    ['more holds 40 items', (rows) => (packedRow(rows).more = replies('h', 40), rows)],
    ['more is an empty array', (rows) => (packedRow(rows).more = [], rows)],
  ]
  for (const [what, spoil] of cases) {
    it(`${what}: reads fail with StorageError and nothing changes`, async () => {
      const { dbName, session, before, window } = await hostile(`hostile-${what}`, spoil)
      for (const read of [() => session.getItems(), () => session.getItems(window), () => session.getTimedItems(), () => session.getTurns()]) {
        const error = await read().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(StorageError)
      }
      expect(JSON.stringify(await readStored(dbName, session.sessionId))).toBe(before)
    })
  }

  it('a row holding 33 items whose record agrees (33 items shown) is refused too', async () => {
    const dbName = freshDb()
    const sessionId = 'hostile-33'
    const session = new IndexedDBSession(sessionId, { dbName })
    const items = [user('q'), ...replies('a', 33)]
    await session.addItems(items)
    await putRows(
      dbName,
      [
        { sessionId, seq: 0, createdAt: 5, item: items[0], turn: 1 },
        { sessionId, seq: 1, createdAt: 5, item: items[1], more: items.slice(2) },
      ],
      { deleteSession: sessionId },
    )
    await disconnect(toLocation({ dbName }))
    const before = JSON.stringify(await readStored(dbName, sessionId))
    const reopened = new IndexedDBSession(sessionId, { dbName })
    expect(await reopened.getItems().catch((e: unknown) => e)).toBeInstanceOf(StorageError)
    expect(await reopened.getItems(3).catch((e: unknown) => e)).toBeInstanceOf(StorageError)
    expect(JSON.stringify(await readStored(dbName, sessionId))).toBe(before)
  })

  it('two well-formed rows holding the same item (overlapping) are refused, whichever window reaches them, and nothing changes', async () => {
    const dbName = freshDb()
    const sessionId = 'hostile-overlap'
    const session = new IndexedDBSession(sessionId, { dbName })
    const items = [user('q'), ...replies('a', 4)]
    await session.addItems(items) // rows: [q, a1, a2, a3], [a4]
    await putRows(
      dbName,
      [
        { sessionId, seq: 0, createdAt: 5, item: items[0], turn: 1, more: items.slice(1, 4) },
        { sessionId, seq: 2, createdAt: 5, item: assistant('not a2') }, // claims seq 2, which row 0 holds too
        { sessionId, seq: 4, createdAt: 5, item: items[4] },
      ],
      { deleteSession: sessionId },
    )
    await disconnect(toLocation({ dbName }))
    const before = JSON.stringify(await readStored(dbName, sessionId))
    const reopened = new IndexedDBSession(sessionId, { dbName })
    for (const limit of [undefined, 4]) {
      const error = await reopened.getItems(limit).catch((e: unknown) => e)
      expect(error, `getItems(${limit})`).toBeInstanceOf(StorageError)
      expect((error as Error).message).toMatch(/Two rows of session "hostile-overlap" hold item 2/)
    }
    // Windows that start at the intruding row or after it miss item 3 (held only by the row
    // they do not reach): a gap, refused as one. A window clear of the damage reads right.
    for (const limit of [3, 2]) expect(await reopened.getItems(limit).catch((e: unknown) => e), `getItems(${limit})`).toBeInstanceOf(StorageError)
    expect(await reopened.getItems(1)).toEqual([items[4]])
    expect(JSON.stringify(await readStored(dbName, sessionId))).toBe(before)
  })

  it('clearSession and deleteSession still remove a damaged row', async () => {
    for (const remove of ['clearSession', 'deleteSession'] as const) {
      const { dbName, session } = await hostile(`hostile-${remove}`, (rows) => (packedRow(rows).more = 'x', rows))
      if (remove === 'clearSession') await session.clearSession()
      else await deleteSession(session.sessionId, { dbName })
      expect(await rawRows(dbName, session.sessionId)).toEqual([])
      expect(await session.getItems()).toEqual([])
      await session.addItems([user('fresh start')])
      expect(await session.getItems()).toEqual([user('fresh start')])
    }
  })

  it('a hostile newest row: popItem is refused as well, and nothing changes', async () => {
    const { dbName, session, before } = await hostile('hostile-pop', (rows) => (rows.at(-1)!.more = 'x', rows))
    expect(await session.popItem().catch((e: unknown) => e)).toBeInstanceOf(StorageError)
    expect(JSON.stringify(await readStored(dbName, session.sessionId))).toBe(before)
  })
})

describe('9. EncryptedSession over packed rows', () => {
  it('stores a multi-item append as packed envelopes, reads it back through every window, pops', async () => {
    const dbName = freshDb()
    const key = await newDataKey()
    const inner = new IndexedDBSession('sealed', { dbName })
    const session = EncryptedSession.wrap(inner, { key })
    const added = [user('secret question'), ...replies('s', 12), user('second secret'), assistant('second answer')]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'sealed')
    expect(JSON.stringify(rows)).not.toMatch(/secret|output_text|function_call/)
    expect(rows.some((row) => Array.isArray(row.more))).toBe(true)
    expect(rows.filter((row) => row.turn !== undefined).map((row) => [row.seq, row.turn])).toEqual([
      [0, 1],
      [13, 2],
    ])
    await expectWellFormed(dbName, 'sealed')
    expect(await session.getItems()).toEqual(added)
    for (let k = 1; k <= added.length; k++) expect(await session.getItems(k), `getItems(${k})`).toEqual(added.slice(-k))
    expect((await session.getTurns!()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'secret question', 13],
      [2, 'second secret', 2],
    ])
    const model = [...added]
    for (let i = 0; i < 4; i++) expect(await session.popItem()).toEqual(model.pop())
    expect(await session.getItems()).toEqual(model)
    await expectWellFormed(dbName, 'sealed')
    tick()
    await session.addItems([assistant('more'), user('third')])
    model.push(assistant('more'), user('third'))
    expect(await session.getItems()).toEqual(model)
    expect(await session.getItems(3)).toEqual(model.slice(-3))
    await expectWellFormed(dbName, 'sealed')
  })
})

describe('10. a session stored one row per item (as v5 wrote it)', () => {
  it('is read, appended in v6, windowed across both layouts, and popped to empty', async () => {
    const dbName = freshDb()
    const sessionId = 'v5-layout'
    // The database itself, then the session written raw as schema v5 stored it.
    await new IndexedDBSession('other', { dbName }).addItems([user('other session')])
    const old = [user('q1'), assistant('a1'), call('c1'), output('c1'), assistant('a2'), user('q2'), assistant('b1')]
    const record: SessionRecord = {
      id: sessionId,
      createdAt: 100,
      updatedAt: 200,
      nextSeq: old.length,
      etag: 'v5-etag',
      currentBranchId: 'main',
      branches: { main: { id: 'main', name: 'main', parentId: null, forkAt: 0, createdAt: 100, ranges: [[0, old.length]], turns: 2 } },
    }
    const db = await openDB(dbName)
    await db.put('sessions', record)
    for (const [seq, item] of old.entries()) {
      const row: RawRow = { sessionId, seq, createdAt: 100 + seq, item }
      if (seq === 0) row.turn = 1
      if (seq === 5) row.turn = 2
      await db.put('items', row)
    }
    db.close()

    const session = new IndexedDBSession(sessionId, { dbName })
    await expectWindows(session, old)
    expect(await times(session)).toEqual(old.map((item, seq) => [item, 100 + seq]))
    tick()
    const added = [assistant('b2'), user('q3'), ...replies('c', 6)]
    await session.addItems(added)
    await expectPacked(dbName, sessionId, 12)
    const all = [...old, ...added]
    await expectWindows(session, all)
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'q1', 5],
      [2, 'q2', 3],
      [3, 'q3', 7],
    ])
    expect(layout(await rawRows(dbName, sessionId)).slice(0, old.length)).toEqual(old.map((_, seq) => [seq, 1]))
    await expectWellFormed(dbName, sessionId)
    const fork = await session.createBranchFromTurn(2)
    expect(await session.getItems()).toEqual(old.slice(0, 5))
    await session.switchToBranch('main')
    await session.deleteBranch(fork)
    while (all.length > 0) {
      expect(await session.popItem()).toEqual(all.pop())
      expect(await session.getItems()).toEqual(all)
    }
    expect(await rawRows(dbName, sessionId)).toEqual([])
    expect(await new IndexedDBSession('other', { dbName }).getItems()).toEqual([user('other session')])
  })
})

describe('11. a completely full quota', () => {
  const full = quotaStores('schema-v6-full')

  it('popItem frees the newest item when it is alone in its row, and refuses (changing nothing) inside a packed row', async () => {
    const { quota, where } = full()
    const session = new IndexedDBSession('full', where)
    const first = [user('q'), ...replies('a', 6)]
    await session.addItems(first)
    // Whatever the layout, after a pop the newest item shares its row with older ones.
    expect(await session.popItem()).toEqual(first.pop())
    await expectPacked(where.dbName, 'full', first.length - 1)
    tick()
    await session.addItems([assistant('alone')])
    expect(layout(await rawRows(where.dbName, 'full')).at(-1)).toEqual([first.length, 1])
    quota.full = true
    expect(await session.popItem()).toEqual(assistant('alone'))
    expect(await session.getItems()).toEqual(first)
    const before = JSON.stringify((await readStored(where.dbName, 'full')).rows)
    const error = await session.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect(JSON.stringify((await readStored(where.dbName, 'full')).rows)).toBe(before)
    expect(await session.getItems()).toEqual(first)
    expect(await session.getItemCount()).toBe(first.length)
    // Once there is room again, the same pop rewrites the row.
    quota.full = false
    expect(await session.popItem()).toEqual(first.at(-1))
    await expectWindows(session, first.slice(0, -1))
    await expectWellFormed(where.dbName, 'full')
  })

  it('clearSession deletes whole rows and empties the session', async () => {
    const { quota, where } = full()
    const session = new IndexedDBSession('full-clear', where)
    await session.addItems([user('q1'), ...replies('a', 10), user('q2'), ...replies('b', 3)])
    const other = new IndexedDBSession('neighbour', where)
    await other.addItems([user('kept'), ...replies('k', 3)])
    quota.full = true
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
    expect((await readStored(where.dbName, 'full-clear')).rows).toEqual([])
    expect(await other.getItems()).toEqual([user('kept'), ...replies('k', 3)])
  })

  it('clearSession and deleteBranch of a branch whose own items begin inside a shared row: nothing another branch shows is lost, and calling again with room finishes', async () => {
    const { quota, where } = full()
    const session = new IndexedDBSession('full-shared', where)
    const turn1 = [user('q1'), ...replies('a', 6)]
    await session.addItems(turn1)
    tick()
    await session.addItems([user('q2'), ...replies('b', 4)])
    const main = await session.getItems()
    const fork = await session.createBranchFromTurn(2, 'fork')
    for (let i = 0; i < 3; i++) await session.popItem() // the fork ends inside main's first row
    tick()
    await session.addItems([user('q2 fork'), ...replies('f', 3)])
    const forkItems = [...turn1.slice(0, 4), user('q2 fork'), ...replies('f', 3)]
    await session.switchToBranch('main')
    await expectPacked(where.dbName, 'full-shared', 5)

    // Clearing main must keep 0..3 (the fork's) in a row that also holds main's 4..6: only a
    // rewrite could split it, and a full quota refuses writes. So the clear cannot finish.
    quota.full = true
    const error = await session.clearSession().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    // Whatever it freed: main shows a prefix of what it showed; nothing of the fork is lost.
    const left = await session.getItems()
    expect(main.slice(0, left.length)).toEqual(left)
    expect(left.length).toBeGreaterThanOrEqual(7)

    quota.full = false
    await session.switchToBranch('main')
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
    await session.switchToBranch(fork)
    await expectWindows(session, forkItems)
    await expectWellFormed(where.dbName, 'full-shared')

    // deleteBranch at full quota: the fork's items are whole rows now (main no longer shares
    // any); deleting them makes room, so the record update after it commits too.
    await session.switchToBranch('main')
    await session.addItems([user('main again'), ...replies('m', 2)])
    quota.full = true
    quota.roomAfterDelete = true
    await session.deleteBranch(fork)
    expect(quota.deleteOnlyCommits).toBeGreaterThan(0)
    expect((await session.listBranches()).map((branch) => branch.id)).toEqual(['main'])
    expect(await session.getItems()).toEqual([user('main again'), ...replies('m', 2)])
    await expectWellFormed(where.dbName, 'full-shared')
  })
})
