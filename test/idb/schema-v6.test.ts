// Schema v6 (docs/schema-v6.md): an append stores one row per turn-piece, `more` holding the
// items after the row's first; a user message always starts its row. Logic on
// fake-indexeddb: the logical history (items, order, times, turns, usage) stays what it was
// with one row per item, and the rows keep the rules of support/raw-rows.ts after every step.
// Here: the version, packing and windows, user messages inside an append, pops. Branches,
// replacements and stored data are in schema-v6-{branches,replace,stored}.test.ts, seeded
// random steps against MemorySession in schema-v6-model.test.ts, the real engines (the
// upgrade from v5, a newer database, a full quota) in schema-v6.browser.test.ts.
import { describe, expect, it } from 'vitest'
import { IndexedDBSession, type AgentItem } from '../../src/index.js'
import { MAX_ROW_ITEMS } from '../../src/idb/item-rows.js'
import { SCHEMA_VERSION, type SessionRecord } from '../../src/idb/schema.js'
import { expectPacked, expectWellFormed, itemsBySeq, itemsOf, layout, problemsOf, rawRows, readStored, ROW_LIMIT, type RawRow } from './support/raw-rows.js'
import { assistant, call, expectWindows, freshDb, now, output, replies, tick, times, usage, user, userMessage, useStillClock } from './support/v6-session.js'

useStillClock()

describe('schema version', () => {
  it('is 6, and a row holds at most 32 items', () => {
    expect(SCHEMA_VERSION).toBe(6)
    expect(MAX_ROW_ITEMS).toBe(ROW_LIMIT)
  })
})

describe('the row checker of these tests (support/raw-rows.ts)', () => {
  const record = (ranges: Array<[number, number]>, turns: number, nextSeq: number): SessionRecord => ({
    id: 's',
    createdAt: 1,
    updatedAt: 1,
    nextSeq,
    currentBranchId: 'main',
    branches: { main: { id: 'main', name: 'main', parentId: null, forkAt: 0, createdAt: 1, ranges, turns } },
  })
  const row = (seq: number, items: AgentItem[], turn?: number): RawRow => ({
    sessionId: 's',
    seq,
    createdAt: 1,
    item: items[0],
    ...(turn === undefined ? {} : { turn }),
    ...(items.length > 1 ? { more: items.slice(1) } : {}),
  })
  it('accepts a well-formed session and names every kind of damage', () => {
    const good = [row(0, [user('q')], 1), row(1, replies('a', 3)), row(4, [user('q2'), assistant('b')], 2)]
    expect(problemsOf(good, record([[0, 6]], 2, 6))).toEqual([])
    const cases: Array<[RawRow[], SessionRecord, RegExp]> = [
      [[row(0, [user('q'), user('q2')], 1)], record([[0, 2]], 2, 2), /a user message inside row 0/],
      [[row(0, [user('q')], 1), row(1, replies('a', 3)), row(3, [assistant('x')])], record([[0, 4]], 1, 4), /overlaps/],
      [[row(0, [user('q')], 1), row(1, replies('a', 3))], record([[0, 3]], 1, 3), /item 3: at or past nextSeq 3/],
      [[row(0, [user('q')], 1), row(1, replies('a', 3))], record([[0, 3]], 1, 5), /item 3: past the end of every branch/],
      [[row(0, [user('q')], 1), row(1, replies('a', 3))], record([[0, 1], [2, 4]], 1, 4), /item 1: stored but no branch shows it/],
      [[row(0, [user('q')], 1)], record([[0, 2]], 1, 2), /item 1 is not stored/],
      [[row(0, [user('q')], 2)], record([[0, 1]], 1, 1), /starts turn 1 but carries 2/],
      [[row(0, [user('q')])], record([[0, 1]], 1, 1), /turn undefined on/],
      [[row(0, [user('q')], 1)], record([[0, 1]], 3, 1), /counts 3 turns, shows 1/],
      [[{ ...row(0, [assistant('a')]), more: 'x' }], record([[0, 1]], 0, 1), /more is not an array/],
      [[row(0, replies('a', ROW_LIMIT + 1))], record([[0, ROW_LIMIT + 1]], 0, ROW_LIMIT + 1), /more holds 32 items/],
    ]
    for (const [rows, stored, message] of cases) expect(problemsOf(rows, stored).join('; ')).toMatch(message)
  })
})

describe('1. an append packs a turn into rows', () => {
  // The layout of docs/schema-v6.md: a user message starts its row, a row holds at most 32
  // items, and the newest item of an append gets a row of its own (so that popItem can free
  // it at a full quota, where only whole rows can be deleted).
  it('lays [user, 20 replies] out as one row of the user message and 19 replies, then the newest reply alone', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('layout', { dbName })
    const added = [user('question'), ...replies('r', 20)]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'layout')
    expect(layout(rows)).toEqual([
      [0, 20],
      [20, 1],
    ])
    expect(rows[0]).toEqual({ sessionId: 'layout', seq: 0, createdAt: now(), item: user('question'), turn: 1, more: added.slice(1, 20) })
    expect(rows[1]).toEqual({ sessionId: 'layout', seq: 20, createdAt: now(), item: added[20] })
  })

  it('lays out a tool turn, ten alternating messages and a lone item as the rules say', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('layouts', { dbName })
    // The user message, four calls and their outputs, the answer: one row up to the last call's output, the answer alone.
    const toolTurn = [user('q'), call('k1'), output('k1'), call('k2'), output('k2'), call('k3'), output('k3'), call('k4'), output('k4'), assistant('answer')]
    await session.addItems(toolTurn)
    expect(layout(await rawRows(dbName, 'layouts'))).toEqual([
      [0, 9],
      [9, 1],
    ])
    // Ten messages alternating user and assistant: six rows (docs/schema-v6.md).
    const chat = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? user(`u${i}`) : assistant(`a${i}`)))
    await session.addItems(chat)
    expect(layout(await rawRows(dbName, 'layouts')).slice(2)).toEqual([
      [10, 2],
      [12, 2],
      [14, 2],
      [16, 2],
      [18, 1],
      [19, 1],
    ])
    await session.addItems([assistant('one more')])
    expect(layout(await rawRows(dbName, 'layouts')).at(-1)).toEqual([20, 1])
    await expectWindows(session, [...toolTurn, ...chat, assistant('one more')])
    await expectWellFormed(dbName, 'layouts')
  })

  it('stores [user, 20 replies] in at most two rows, read back through every window', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('packed', { dbName })
    const added = [user('question'), ...replies('r', 20)]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'packed')
    expect(rows.length).toBeLessThanOrEqual(2)
    expect(rows[0]).toMatchObject({ sessionId: 'packed', seq: 0, createdAt: now(), item: user('question'), turn: 1 })
    expect(rows.every((row) => row.createdAt === now())).toBe(true)
    expect([...itemsBySeq(rows).values()].map((entry) => entry.item)).toEqual(added)
    await expectWindows(session, added)
    expect(await session.getItems(0)).toEqual([])
    expect(await session.getItemCount()).toBe(21)
    await expectWellFormed(dbName, 'packed')
  })

  it('reads windows that cross several appends, each append starting rows of its own', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('several', { dbName })
    const appends: AgentItem[][] = [
      [user('q1'), ...replies('a', 5)],
      replies('b', 3), // no user message: the rest of turn 1
      [userMessage('q2'), ...replies('c', 10)],
      [user('q3')],
      replies('d', 2),
    ]
    const all: AgentItem[] = []
    const starts: number[] = []
    for (const batch of appends) {
      tick()
      starts.push(all.length)
      await session.addItems(batch)
      all.push(...batch)
      await expectWindows(session, all)
    }
    await expectPacked(dbName, 'several', 3)
    await expectPacked(dbName, 'several', 7)
    const rows = await rawRows(dbName, 'several')
    const rowStarts = rows.map((row) => row.seq)
    for (const start of starts) expect(rowStarts).toContain(start)
    // Each row holds items of one append only: they share its time.
    const timesBySeq = itemsBySeq(rows)
    expect((await session.getTimedItems()).map((entry) => entry.createdAt)).toEqual(all.map((_, seq) => timesBySeq.get(seq)!.createdAt))
    expect(new Set((await session.getTimedItems()).map((entry) => entry.createdAt)).size).toBe(appends.length)
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.itemCount])).toEqual([
      [1, 9],
      [2, 11],
      [3, 3],
    ])
    await expectWellFormed(dbName, 'several')
  })

  it('splits a 70-item append into rows of at most 32 items', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('long', { dbName })
    const added = [user('long task'), ...replies('x', 69)]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'long')
    for (const [, count] of layout(rows)) expect(count).toBeLessThanOrEqual(ROW_LIMIT)
    expect(layout(rows).reduce((sum, [, count]) => sum + count, 0)).toBe(70)
    // Packed (not one row per item), split where a row is full; the user message may have a
    // row of its own, and so may the newest item.
    expect(rows.length).toBeGreaterThanOrEqual(Math.ceil(70 / ROW_LIMIT))
    expect(rows.length).toBeLessThanOrEqual(2 + Math.ceil(68 / ROW_LIMIT))
    expect(rows.some((row) => itemsOf(row).length === ROW_LIMIT)).toBe(true)
    await expectWindows(session, added)
    await expectWellFormed(dbName, 'long')
  })

  it('splits a 70-item append of replies only (no user message) into rows of at most 32', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('replies-only', { dbName })
    const added = replies('y', 70)
    await session.addItems(added)
    const rows = await rawRows(dbName, 'replies-only')
    // Packed, split where a row is full (a layout may keep the newest item in a row of its own).
    expect(rows.length).toBeGreaterThanOrEqual(Math.ceil(70 / ROW_LIMIT))
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(70 / ROW_LIMIT) + 1)
    expect(rows.some((row) => itemsOf(row).length === ROW_LIMIT)).toBe(true)
    for (const [, count] of layout(rows)) expect(count).toBeLessThanOrEqual(ROW_LIMIT)
    await expectWindows(session, added)
    await expectWellFormed(dbName, 'replies-only')
  })
})

describe('2. a user message inside an append', () => {
  it('starts a new row with its turn; turns, usage and a branch at it work', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('mid', { dbName })
    const added = [user('q1'), assistant('a1'), call('c1'), output('c1'), userMessage('q2'), call('c2'), output('c2'), assistant('a2')]
    await session.addItems(added)
    await session.storeRunUsage({ usage: usage(7) })
    await expectPacked(dbName, 'mid', 2)
    await expectPacked(dbName, 'mid', 6)
    const rows = await rawRows(dbName, 'mid')
    const second = rows.find((row) => row.seq === 4)
    expect(second).toMatchObject({ seq: 4, item: userMessage('q2'), turn: 2 })
    for (const row of rows.filter((row) => row.seq < 4)) expect(row.seq + itemsOf(row).length).toBeLessThanOrEqual(4)
    await expectWellFormed(dbName, 'mid')
    await expectWindows(session, added)

    const turns = await session.getTurns()
    expect(turns.map((turn) => [turn.turn, turn.userText, turn.itemCount, turn.usage])).toEqual([
      [1, 'q1', 4, undefined],
      [2, 'q2', 4, usage(7)],
    ])
    expect(await session.getTurnUsage(2)).toEqual(usage(7))

    const branchId = await session.createBranchFromTurn(2, 'retry')
    expect(await session.getItems()).toEqual(added.slice(0, 4))
    tick()
    await session.addItems([user('q2 again'), assistant('a2 again')])
    expect(await session.getItems()).toEqual([...added.slice(0, 4), user('q2 again'), assistant('a2 again')])
    expect((await session.getTurns()).map((turn) => turn.userText)).toEqual(['q1', 'q2 again'])
    await expectWellFormed(dbName, 'mid')
    await session.switchToBranch('main')
    await expectWindows(session, added)
    expect((await session.listBranches()).map((branch) => [branch.id, branch.itemCount, branch.turnCount])).toEqual([
      ['main', 8, 2],
      [branchId, 6, 2],
    ])
  })

  it('starts a row at every user message of a batch of short turns', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('short-turns', { dbName })
    const added = [user('1'), assistant('1'), user('2'), user('3'), assistant('3'), assistant('3b'), user('4')]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'short-turns')
    const userRows = rows.filter((row) => row.turn !== undefined).map((row) => [row.seq, row.turn])
    expect(userRows).toEqual([
      [0, 1],
      [2, 2],
      [3, 3],
      [6, 4],
    ])
    await expectWellFormed(dbName, 'short-turns')
    await expectWindows(session, added)
  })
})

describe('3. pops inside a packed row', () => {
  it('pops the newest items one by one between appends, keeping the survivors and their times', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('pops', { dbName })
    const model: AgentItem[] = []
    let timed: Array<[unknown, number]> = []
    const add = async (items: AgentItem[]) => {
      tick()
      await session.addItems(items)
      model.push(...items)
      timed = await times(session)
      expect(timed.map(([item]) => item)).toEqual(model)
      await expectWellFormed(dbName, 'pops')
    }
    const pop = async () => {
      const expected = model.pop()
      expect(await session.popItem()).toEqual(expected)
      await expectWindows(session, model)
      expect(await times(session)).toEqual(timed.slice(0, model.length))
      await expectWellFormed(dbName, 'pops')
    }
    await add([user('q1'), ...replies('a', 10)])
    await expectPacked(dbName, 'pops', 5)
    for (let i = 0; i < 3; i++) await pop()
    await add(replies('b', 2))
    for (let i = 0; i < 3; i++) await pop() // b1, b0, then into the first packed row again
    await add([user('q2'), ...replies('c', 4)])
    await pop()
    await add(replies('d', 3))
    while (model.length > 0) await pop()
    expect(await session.popItem()).toBeUndefined()
    const { rows, record } = await readStored(dbName, 'pops')
    expect(rows).toEqual([])
    expect(record!.nextSeq).toBe(0)
  })

  it('an append after a pop inside a row is stored beside, never over, the row', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('no-overlap', { dbName })
    await session.addItems([user('q'), ...replies('a', 6)])
    await expectPacked(dbName, 'no-overlap', 3)
    await session.popItem()
    await session.popItem()
    tick()
    await session.addItems(replies('z', 2))
    const expected = [user('q'), ...replies('a', 4), ...replies('z', 2)]
    await expectWindows(session, expected)
    const { rows, record } = await readStored(dbName, 'no-overlap')
    expect(record!.nextSeq).toBe(7)
    expect([...itemsBySeq(rows).entries()].map(([seq, { item }]) => [seq, item])).toEqual(expected.map((item, seq) => [seq, item]))
    await expectWellFormed(dbName, 'no-overlap')
  })
})
