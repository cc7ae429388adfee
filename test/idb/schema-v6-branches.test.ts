// Schema v6 (see schema-v6.test.ts): branches over shared packed rows (forks, pops into
// shared rows, deleteBranch, clearSession of a branch others share) and rewriteItems that
// turns items inside a row into user messages and back. Every branch reads right after
// every step, and the stored rows keep the rules of support/raw-rows.ts.
import { describe, expect, it } from 'vitest'
import { IndexedDBSession } from '../../src/index.js'
import { expectPacked, expectWellFormed, itemsBySeq, layout, rawRows } from './support/raw-rows.js'
import { assistant, call, expectWindows, freshDb, output, replies, tick, times, usage, user, useStillClock } from './support/v6-session.js'

useStillClock()

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
    await expectPacked(dbName, 'branches', 2)

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
    await expectPacked(dbName, 'all-users', 20)
    await session.rewriteItems(async (items) => items.map((_, i) => user(`u${i}`)))
    const expected = Array.from({ length: 40 }, (_, i) => user(`u${i}`))
    await expectWindows(session, expected)
    expect(layout(await rawRows(dbName, 'all-users'))).toEqual(expected.map((_, seq) => [seq, 1]))
    await expectWellFormed(dbName, 'all-users')
    expect((await session.getTurns()).length).toBe(40)
  })
})
