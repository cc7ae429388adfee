// Schema v6 (docs/schema-v6.md): an append stores one row per turn-piece, `more` holding the
// items after the row's first; a user message always starts its row. Logic on
// fake-indexeddb: the logical history (items, order, times, turns, usage) of every branch
// stays what it was with one row per item, and the rows themselves keep the rules of
// support/raw-rows.ts after every step. The real engines (the upgrade from v5, a newer
// database) are in schema-v6.browser.test.ts.
import { openDB } from 'idb'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  EncryptedSession,
  exportSession,
  HistorySuffixMismatchError,
  importSession,
  IndexedDBSession,
  StorageError,
  StorageQuotaError,
  type AgentItem,
  type SessionExport,
} from '../../src/index.js'
import { disconnect, toLocation } from '../../src/idb/database.js'
import { MAX_ROW_ITEMS } from '../../src/idb/item-rows.js'
import { SCHEMA_VERSION, type SessionRecord } from '../../src/idb/schema.js'
import { newDataKey } from '../crypto/support.js'
import { quotaFactory } from './support/quota-factory.js'
import { expectPacked, expectWellFormed, itemsBySeq, itemsOf, layout, problemsOf, putRows, rawRows, readStored, ROW_LIMIT, type RawRow } from './support/raw-rows.js'

const freshDb = () => `schema-v6-${Math.random().toString(36).slice(2)}`
const user = (text: string): AgentItem => ({ role: 'user', content: text })
/** A user message in the Responses form: a user message too (it starts a turn). */
const userMessage = (text: string): AgentItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const call = (id: string): AgentItem => ({ type: 'function_call', call_id: id, name: 'lookup', arguments: `{"q":"${id}"}` })
const output = (id: string): AgentItem => ({ type: 'function_call_output', call_id: id, output: `result ${id}` })
const reasoning = (id: string): AgentItem => ({ type: 'reasoning', id, summary: [] })
/** `n` assistant-side items (messages, calls, outputs, reasoning), labelled by `label`. */
const replies = (label: string, n: number): AgentItem[] =>
  Array.from({ length: n }, (_, i) => {
    const id = `${label}${i}`
    return [assistant(id), call(id), output(id), reasoning(id)][i % 4]!
  })
const usage = (n: number) => ({ requests: 1, inputTokens: n, outputTokens: n, totalTokens: 2 * n })

// Each append gets its own clock reading, so a row that takes another append's time shows.
let clock = 1_000_000
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(clock)
})
afterEach(() => {
  vi.useRealTimers()
})
function tick(): void {
  clock += 1000
  vi.setSystemTime(clock)
}

/** Fails unless every window of the current branch is the tail of `expected`. */
async function expectWindows(session: IndexedDBSession, expected: readonly AgentItem[]): Promise<void> {
  expect(await session.getItems()).toEqual(expected)
  expect(await session.getItems(expected.length + 3)).toEqual(expected)
  for (let k = 1; k <= expected.length; k++) expect(await session.getItems(k), `getItems(${k})`).toEqual(expected.slice(-k))
}

/** The current branch's items, each with the time its append stored it. */
async function times(session: IndexedDBSession): Promise<Array<[unknown, number]>> {
  return (await session.getTimedItems()).map((entry) => [entry.item, entry.createdAt])
}

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
  it('lays [user, 20 replies] out as the user row and one row holding the 20 replies', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('layout', { dbName })
    const added = [user('question'), ...replies('r', 20)]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'layout')
    expect(layout(rows)).toEqual([
      [0, 1],
      [1, 20],
    ])
    expect(rows[0]).toEqual({ sessionId: 'layout', seq: 0, createdAt: clock, item: user('question'), turn: 1 })
    expect(rows[1]).toEqual({ sessionId: 'layout', seq: 1, createdAt: clock, item: added[1], more: added.slice(2) })
  })

  it('stores [user, 20 replies] in at most two rows, read back through every window', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('packed', { dbName })
    const added = [user('question'), ...replies('r', 20)]
    await session.addItems(added)
    const rows = await rawRows(dbName, 'packed')
    expect(rows.length).toBeLessThanOrEqual(2)
    expect(rows[0]).toMatchObject({ sessionId: 'packed', seq: 0, createdAt: clock, item: user('question'), turn: 1 })
    expect(rows.every((row) => row.createdAt === clock)).toBe(true)
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
    // Packed (not one row per item), split where a row is full.
    expect(rows.length).toBeGreaterThanOrEqual(Math.ceil(70 / ROW_LIMIT))
    expect(rows.length).toBeLessThanOrEqual(1 + Math.ceil(69 / ROW_LIMIT))
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
    expect(rows.length).toBe(Math.ceil(70 / ROW_LIMIT))
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
    await expectPacked(dbName, 'pops', 10)
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
    await expectPacked(dbName, 'no-overlap', 6)
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

describe('4. branches over shared rows', () => {
  it('fork, pop into shared rows, append, deleteBranch: every branch reads right after each step', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('branches', { dbName })
    const turn1 = [user('q1'), ...replies('a', 3)]
    const turn2 = [user('q2'), ...replies('b', 4)]
    await session.addItems(turn1)
    tick()
    await session.addItems(turn2)
    const main = [...turn1, ...turn2]
    const mainTimes = await times(session)
    await expectPacked(dbName, 'branches', 3)

    const fork = await session.createBranchFromTurn(2, 'fork')
    await expectWindows(session, turn1)
    // Pops on the fork reach into rows main shows too: main must not change.
    expect(await session.popItem()).toEqual(turn1[3])
    expect(await session.popItem()).toEqual(turn1[2])
    const forkItems = turn1.slice(0, 2)
    await expectWindows(session, forkItems)
    await expectWellFormed(dbName, 'branches')
    await session.switchToBranch('main')
    await expectWindows(session, main)
    expect(await times(session)).toEqual(mainTimes)

    await session.switchToBranch(fork)
    tick()
    const own = [user('q2 on fork'), ...replies('f', 5)]
    await session.addItems(own)
    forkItems.push(...own)
    await expectWindows(session, forkItems)
    await expectWellFormed(dbName, 'branches')
    await session.switchToBranch('main')
    await expectWindows(session, main)

    // Main pops down into the rows it shares with the fork: what only main showed goes.
    while (main.length > 2) expect(await session.popItem()).toEqual(main.pop())
    await expectWindows(session, main)
    await expectWellFormed(dbName, 'branches')
    await session.switchToBranch(fork)
    await expectWindows(session, forkItems)

    await session.switchToBranch('main')
    await session.deleteBranch(fork)
    await expectWindows(session, main)
    expect(await times(session)).toEqual(mainTimes.slice(0, 2))
    await expectWellFormed(dbName, 'branches')
    expect(itemsBySeq(await rawRows(dbName, 'branches')).size).toBe(2)
  })

  it('clearSession on main while a fork shares its rows keeps exactly what the fork shows', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('clear-shared', { dbName })
    const turn1 = [user('q1'), ...replies('a', 5)]
    await session.addItems(turn1)
    tick()
    await session.addItems([user('q2'), assistant('b')])
    await session.storeRunUsage({ usage: usage(3) })
    await expectPacked(dbName, 'clear-shared', 3)
    const fork = await session.createBranchFromTurn(2, 'fork')
    for (let i = 0; i < 3; i++) await session.popItem()
    tick()
    await session.addItems([user('q3 on fork'), assistant('f')])
    const forkItems = [...turn1.slice(0, 3), user('q3 on fork'), assistant('f')]
    const forkTimes = await times(session)
    await session.switchToBranch('main')
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
    await expectWellFormed(dbName, 'clear-shared')
    expect(itemsBySeq(await rawRows(dbName, 'clear-shared')).size).toBe(forkItems.length)
    await session.switchToBranch(fork)
    await expectWindows(session, forkItems)
    expect(await times(session)).toEqual(forkTimes)
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'q1', 3],
      [2, 'q3 on fork', 2],
    ])
    await session.clearSession()
    expect(await rawRows(dbName, 'clear-shared')).toEqual([])
  })

  it('a fork of a fork inside one packed row, popped and appended on each', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('nested', { dbName })
    await session.addItems([user('q1'), ...replies('a', 8), user('q2'), ...replies('b', 8), user('q3'), assistant('c')])
    const all = await session.getItems()
    await expectPacked(dbName, 'nested', 4)
    await expectPacked(dbName, 'nested', 13)
    const first = await session.createBranchFromTurn(3, 'first')
    for (let i = 0; i < 4; i++) await session.popItem()
    tick()
    await session.addItems([user('q3 first'), assistant('first')])
    const firstItems = [...all.slice(0, 14), user('q3 first'), assistant('first')]
    const second = await session.createBranchFromTurn(2, 'second')
    for (let i = 0; i < 5; i++) await session.popItem()
    tick()
    await session.addItems([assistant('second'), user('q2 second')])
    const secondItems = [...all.slice(0, 4), assistant('second'), user('q2 second')]
    await expectWellFormed(dbName, 'nested')
    await expectWindows(session, secondItems)
    await session.switchToBranch(first)
    await expectWindows(session, firstItems)
    await session.switchToBranch('main')
    await expectWindows(session, all)
    await session.deleteBranch(first)
    await expectWellFormed(dbName, 'nested')
    await session.switchToBranch(second)
    await expectWindows(session, secondItems)
    await session.switchToBranch('main')
    await session.clearSession()
    await expectWellFormed(dbName, 'nested')
    await session.switchToBranch(second)
    await expectWindows(session, secondItems)
  })
})

describe('5. rewriteItems over packed rows', () => {
  it('turning a non-first item of a row into a user message splits the row; turns are numbered again', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('rewrite', { dbName })
    const added = [user('q1'), assistant('a1'), call('c1'), output('c1'), assistant('a2'), assistant('a3')]
    await session.addItems(added)
    await session.storeRunUsage({ usage: usage(4) })
    tick()
    await session.addItems([user('q2'), assistant('a4')])
    await expectPacked(dbName, 'rewrite', 4)
    const before = await times(session)
    await session.rewriteItems(async (items) => items.map((item, i) => (i === 4 ? user('promoted') : item)))
    const expected = [...added.slice(0, 4), user('promoted'), assistant('a3'), user('q2'), assistant('a4')]
    await expectWindows(session, expected)
    expect(await times(session)).toEqual(before.map(([, at], i) => [expected[i], at]))
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'q1', 4],
      [2, 'promoted', 2],
      [3, 'q2', 2],
    ])
    const rows = await rawRows(dbName, 'rewrite')
    expect(rows.find((row) => row.seq === 4)).toMatchObject({ item: user('promoted'), turn: 2 })
    expect(rows.find((row) => row.seq === 6)).toMatchObject({ item: user('q2'), turn: 3 })
    await expectWellFormed(dbName, 'rewrite')
    expect(await session.getTurnUsage(1)).toEqual(usage(4))
    // A branch at the new turn works.
    await session.createBranchFromTurn(2)
    expect(await session.getItems()).toEqual(expected.slice(0, 4))
  })

  it('turning a user message into a reply keeps every branch right', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('demote', { dbName })
    await session.addItems([user('q1'), assistant('a1'), assistant('a1b'), user('q2'), assistant('a2'), call('c2'), user('q3'), assistant('a3')])
    await expectPacked(dbName, 'demote', 2)
    await expectPacked(dbName, 'demote', 5)
    const fork = await session.createBranchFromTurn(3, 'fork')
    tick()
    await session.addItems([user('q3 fork'), assistant('a3 fork')])
    await session.rewriteItems(async (items) => items.map((item) => (JSON.stringify(item) === JSON.stringify(user('q2')) ? assistant('was q2') : item)))
    const forkItems = [user('q1'), assistant('a1'), assistant('a1b'), assistant('was q2'), assistant('a2'), call('c2'), user('q3 fork'), assistant('a3 fork')]
    await expectWindows(session, forkItems)
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'q1', 6],
      [2, 'q3 fork', 2],
    ])
    await expectWellFormed(dbName, 'demote')
    await session.switchToBranch('main')
    expect((await session.getTurns()).map((turn) => turn.userText)).toEqual(['q1', 'q3'])
    await session.switchToBranch(fork)
    expect(await session.popItem()).toEqual(assistant('a3 fork'))
    await expectWellFormed(dbName, 'demote')
  })

  it('turning every reply of a 40-item turn into user messages leaves one item per row', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('all-users', { dbName })
    await session.addItems([user('q'), ...replies('r', 39)])
    await expectPacked(dbName, 'all-users', 39)
    await session.rewriteItems(async (items) => items.map((_, i) => user(`u${i}`)))
    const expected = Array.from({ length: 40 }, (_, i) => user(`u${i}`))
    await expectWindows(session, expected)
    expect(layout(await rawRows(dbName, 'all-users'))).toEqual(expected.map((_, seq) => [seq, 1]))
    await expectWellFormed(dbName, 'all-users')
    expect((await session.getTurns()).length).toBe(40)
  })
})

describe('6. replacing over packed rows', () => {
  it('replaceItems, on main and on a fork sharing its rows', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('replace', { dbName })
    const main = [user('q1'), ...replies('a', 6), user('q2'), ...replies('b', 6)]
    await session.addItems(main)
    await expectPacked(dbName, 'replace', 3)
    const fork = await session.createBranchFromTurn(2, 'fork')
    tick()
    const replaced = [user('new q'), ...replies('n', 5), userMessage('new q2'), assistant('n')]
    await session.replaceItems(replaced)
    await expectWindows(session, replaced)
    await expectWellFormed(dbName, 'replace')
    await session.switchToBranch('main')
    await expectWindows(session, main)
    tick()
    await session.replaceItems([user('only')])
    await expectWindows(session, [user('only')])
    await expectWellFormed(dbName, 'replace')
    await session.switchToBranch(fork)
    await expectWindows(session, replaced)
    await session.replaceItems([])
    expect(await session.getItems()).toEqual([])
    await expectWellFormed(dbName, 'replace')
  })

  it('replaceSuffix cuts a packed row and appends; a wrong suffix changes nothing', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('suffix', { dbName })
    const added = [user('q'), ...replies('a', 8)]
    await session.addItems(added)
    await expectPacked(dbName, 'suffix', 6)
    const before = await times(session)
    tick()
    expect(await session.replaceSuffix({ expectedSuffix: added.slice(-3), replacement: [assistant('r1'), user('r2'), assistant('r3')] })).toBe(true)
    const expected = [...added.slice(0, -3), assistant('r1'), user('r2'), assistant('r3')]
    await expectWindows(session, expected)
    expect((await times(session)).slice(0, 6)).toEqual(before.slice(0, 6))
    expect((await times(session)).slice(6).map(([, at]) => at)).toEqual([clock, clock, clock])
    await expectWellFormed(dbName, 'suffix')

    const rows = JSON.stringify(await rawRows(dbName, 'suffix'))
    const error = await session.replaceSuffix({ expectedSuffix: [assistant('not stored')], replacement: [] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HistorySuffixMismatchError)
    expect(JSON.stringify(await rawRows(dbName, 'suffix'))).toBe(rows)
  })

  it('applyHistoryTransaction replace_suffix inside a row shared with a fork', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('transaction', { dbName })
    const main = [user('q1'), ...replies('a', 6), user('q2'), assistant('b')]
    await session.addItems(main)
    await expectPacked(dbName, 'transaction', 3)
    await session.createBranchFromTurn(2, 'fork')
    const forkBefore = main.slice(0, 7)
    tick()
    await session.applyHistoryTransaction({
      operationId: 'op-1',
      transaction: { type: 'replace_suffix', expectedSuffix: forkBefore.slice(-4), replacement: [assistant('x'), assistant('y')] },
    })
    const forkItems = [...forkBefore.slice(0, 3), assistant('x'), assistant('y')]
    await expectWindows(session, forkItems)
    // The same operation again is a no-op.
    await session.applyHistoryTransaction({
      operationId: 'op-1',
      transaction: { type: 'replace_suffix', expectedSuffix: forkBefore.slice(-4), replacement: [assistant('x'), assistant('y')] },
    })
    await expectWindows(session, forkItems)
    await session.applyHistoryTransaction({ operationId: 'op-2', transaction: { type: 'append_items', items: [user('q2 fork'), ...replies('f', 3)] } })
    forkItems.push(user('q2 fork'), ...replies('f', 3))
    await expectWindows(session, forkItems)
    await expectWellFormed(dbName, 'transaction')
    await session.switchToBranch('main')
    await expectWindows(session, main)
  })
})

describe('6b. replacing what starts rows (the new items take the freed seqs)', () => {
  it('replaceItems of a session no branch shares: the new rows take seq 0 on', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('replace-all', { dbName })
    await session.addItems([user('q1'), ...replies('a', 5)])
    tick()
    await session.addItems([user('q2'), assistant('b')])
    await expectPacked(dbName, 'replace-all', 3)
    tick()
    const replaced = [user('new'), ...replies('n', 4)]
    await session.replaceItems(replaced)
    await expectWindows(session, replaced)
    expect((await times(session)).map(([, at]) => at)).toEqual(replaced.map(() => clock))
    const { rows, record } = await readStored(dbName, 'replace-all')
    expect(record!.nextSeq).toBe(replaced.length)
    expect([...itemsBySeq(rows).keys()]).toEqual(replaced.map((_, seq) => seq))
    await expectWellFormed(dbName, 'replace-all')
  })

  it('replaceSuffix of a whole newest row', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('suffix-row', { dbName })
    await session.addItems([user('q'), ...replies('a', 4)])
    tick()
    await session.addItems([assistant('alone')])
    tick()
    expect(await session.replaceSuffix({ expectedSuffix: [assistant('alone')], replacement: [assistant('instead'), call('k')] })).toBe(true)
    await expectWindows(session, [user('q'), ...replies('a', 4), assistant('instead'), call('k')])
    await expectWellFormed(dbName, 'suffix-row')
  })

  it('replaceSuffix reaching back over a user message that starts its row', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('suffix-turn', { dbName })
    const added = [user('q1'), ...replies('a', 4), user('q2'), ...replies('b', 3)]
    await session.addItems(added)
    await expectPacked(dbName, 'suffix-turn', 7)
    tick()
    const replacement = [userMessage('q2 again'), assistant('b again')]
    expect(await session.replaceSuffix({ expectedSuffix: added.slice(-5), replacement })).toBe(true)
    const expected = [...added.slice(0, -5), ...replacement]
    await expectWindows(session, expected)
    expect((await session.getTurns()).map((turn) => [turn.turn, turn.userText, turn.itemCount])).toEqual([
      [1, 'q1', 4],
      [2, 'q2 again', 2],
    ])
    await expectWellFormed(dbName, 'suffix-turn')
  })

  it('applyHistoryTransaction replace_suffix of whole rows, with an operation id', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('transaction-rows', { dbName })
    await session.addItems([user('q1'), ...replies('a', 3)])
    tick()
    await session.addItems([user('q2'), ...replies('b', 3)])
    const transaction = { type: 'replace_suffix' as const, expectedSuffix: [user('q2'), ...replies('b', 3)], replacement: [user('q2 edited'), assistant('b edited')] }
    await session.applyHistoryTransaction({ operationId: 'op-rows', transaction })
    const expected = [user('q1'), ...replies('a', 3), user('q2 edited'), assistant('b edited')]
    await expectWindows(session, expected)
    await session.applyHistoryTransaction({ operationId: 'op-rows', transaction })
    await expectWindows(session, expected)
    expect(await session.getHistoryOperation('op-rows')).toBeDefined()
    await expectWellFormed(dbName, 'transaction-rows')
  })

  it('applyHistoryMutations replaces a function call inside a packed row; the items before it keep their times', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('mutation', { dbName })
    const added = [user('q'), assistant('a'), call('k1'), output('k1'), call('k2'), output('k2'), assistant('done')]
    await session.addItems(added)
    await expectPacked(dbName, 'mutation', 4)
    const before = await times(session)
    tick()
    const replacement: AgentItem = { type: 'function_call', call_id: 'k1', name: 'lookup', arguments: '{"q":"rewritten"}' }
    await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'k1', replacement }] })
    const expected = [...added.slice(0, 2), replacement, ...added.slice(3)]
    await expectWindows(session, expected)
    expect((await times(session)).slice(0, 2)).toEqual(before.slice(0, 2))
    await expectWellFormed(dbName, 'mutation')
  })

  it('replaceHistoryWithCompaction over packed rows', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('compaction', { dbName })
    await session.addItems([user('q1'), ...replies('a', 10), user('q2'), ...replies('b', 10)])
    tick()
    const compacted = [{ type: 'compaction', encrypted_content: 'summary' } as AgentItem, user('q3'), assistant('c')]
    await session.replaceHistoryWithCompaction(compacted)
    await expectWindows(session, compacted)
    await expectWellFormed(dbName, 'compaction')
  })
})

describe('7. export and import of packed sessions', () => {
  it('round-trips every branch: items, times, usage, turns', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('export', { dbName })
    await session.addItems([user('q1'), ...replies('a', 40)])
    await session.storeRunUsage({ usage: usage(2) })
    tick()
    await session.addItems([user('q2'), ...replies('b', 5), user('q3'), assistant('c')])
    await session.storeRunUsage({ usage: usage(3) })
    const fork = await session.createBranchFromTurn(2, 'fork')
    await session.popItem()
    await session.popItem()
    tick()
    await session.addItems([user('q2 fork'), ...replies('f', 3)])
    await expectPacked(dbName, 'export', 20)

    const doc = (await exportSession('export', { dbName }))!
    // The file holds one entry per item, whatever the rows.
    const stored = itemsBySeq(await rawRows(dbName, 'export'))
    expect(doc.items.map((entry) => [entry.seq, entry.createdAt, entry.item])).toEqual(
      [...stored.entries()].map(([seq, { item, createdAt }]) => [seq, createdAt, item]),
    )
    const copyDb = freshDb()
    await importSession(JSON.parse(JSON.stringify(doc)) as SessionExport, { dbName: copyDb })
    await expectWellFormed(copyDb, 'export')
    const copy = new IndexedDBSession('export', { dbName: copyDb })
    for (const branchId of ['main', fork]) {
      await session.switchToBranch(branchId)
      await copy.switchToBranch(branchId)
      expect(await copy.getTimedItems()).toEqual(await session.getTimedItems())
      expect(await copy.getTurns()).toEqual(await session.getTurns())
      await expectWindows(copy, await session.getItems())
    }
    const again = (await exportSession('export', { dbName: copyDb }))!
    expect({ ...again, exportedAt: 0 }).toEqual({ ...doc, exportedAt: 0 })
    // The copy keeps working: pop into a row, append.
    await copy.switchToBranch('main')
    await copy.popItem()
    await copy.addItems([assistant('after import')])
    await expectWellFormed(copyDb, 'export')
  })
})

describe('8. hostile rows', () => {
  async function hostile(sessionId: string, spoil: (rows: RawRow[]) => RawRow[]): Promise<{ dbName: string; session: IndexedDBSession; before: string }> {
    const dbName = freshDb()
    const session = new IndexedDBSession(sessionId, { dbName })
    await session.addItems([user('q'), ...replies('a', 5)])
    const rows = spoil(await rawRows(dbName, sessionId))
    await putRows(dbName, rows, { deleteSession: sessionId })
    await disconnect(toLocation({ dbName })) // no read may be answered from what this tab wrote
    const before = JSON.stringify(await readStored(dbName, sessionId))
    return { dbName, session: new IndexedDBSession(sessionId, { dbName }), before }
  }
  const packedRow = (rows: RawRow[]) => rows.find((row) => Array.isArray(row.more))!

  const cases: Array<[string, (rows: RawRow[]) => RawRow[]]> = [
    ['more is a string', (rows) => (packedRow(rows).more = 'a, b, c', rows)],
    ['more is an object', (rows) => (packedRow(rows).more = { 0: assistant('x'), length: 4 }, rows)],
    ['more holds 40 items', (rows) => (packedRow(rows).more = replies('h', 40), rows)],
  ]
  for (const [what, spoil] of cases) {
    it(`${what}: reads fail with StorageError and nothing changes`, async () => {
      const { dbName, session, before } = await hostile(`hostile-${what}`, spoil)
      for (const read of [() => session.getItems(), () => session.getItems(1), () => session.getTimedItems(), () => session.getTurns()]) {
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

  it('a hostile newest row: popItem is refused as well, and nothing changes', async () => {
    const { dbName, session, before } = await hostile('hostile-pop', (rows) => (packedRow(rows).more = 'x', rows))
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
  const opened: Array<{ dbName: string; indexedDB: IDBFactory }> = []
  afterEach(async () => {
    for (const where of opened.splice(0)) await disconnect(toLocation(where))
  })
  function full() {
    const quota = quotaFactory()
    const where = { dbName: freshDb(), indexedDB: quota.factory }
    opened.push(where)
    return { quota, where }
  }

  it('popItem frees the newest item when it is alone in its row, and refuses (changing nothing) inside a packed row', async () => {
    const { quota, where } = full()
    const session = new IndexedDBSession('full', where)
    const first = [user('q'), ...replies('a', 5)]
    await session.addItems(first)
    tick()
    await session.addItems([assistant('alone')])
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
})
