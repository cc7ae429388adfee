// Schema v6 (see schema-v6.test.ts): replacing over packed rows (replaceItems,
// replaceSuffix, history transactions and mutations, compaction), including the
// replacements whose new items take seqs the replaced rows held; export and import of
// packed sessions.
import { describe, expect, it } from 'vitest'
import { exportSession, HistorySuffixMismatchError, importSession, IndexedDBSession, type AgentItem, type SessionExport } from '../../src/index.js'
import { expectPacked, expectWellFormed, itemsBySeq, rawRows, readStored } from './support/raw-rows.js'
import { assistant, call, expectWindows, freshDb, now, output, replies, tick, times, usage, user, userMessage, useStillClock } from './support/v6-session.js'

useStillClock()

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
    expect((await times(session)).slice(6).map(([, at]) => at)).toEqual([now(), now(), now()])
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
    expect((await times(session)).map(([, at]) => at)).toEqual(replaced.map(() => now()))
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
