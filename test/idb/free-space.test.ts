// Freeing space at a full quota (issue 12, item 6): the fallback logic of
// src/idb/free-space.ts and the rule of src/idb/settle.ts, on fake-indexeddb with quota
// refusals injected (support/quota-factory.ts). The real engines are in
// free-space.browser.test.ts.
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import {
  exportSession,
  importSession,
  listSessions,
  StorageError,
  StorageQuotaError,
  type AgentItem,
} from '../../src/index.js'
import { quotaStores } from './support/quota-store.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ role: 'assistant', content: text })
const turn = (n: number): AgentItem[] => [user(`q${n}`), assistant(`a${n}`)]

const store = quotaStores('free-space')

/** The session record as stored, read on a connection of the test's own. */
async function storedRecord(dbName: string, sessionId: string): Promise<{ branches: Record<string, { ranges: [number, number][]; turns: number }> }> {
  const db = await openDB(dbName)
  try {
    return await db.get('sessions', sessionId)
  } finally {
    db.close()
  }
}

describe('popItem, clearSession and deleteBranch at a full quota', () => {
  it('keep the normal path one transaction', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    const before = quota.writeTransactions
    await chat.popItem()
    await chat.clearSession()
    expect(quota.writeTransactions - before).toBe(2)
  })

  it('pop: freed space is counted at once, so both transactions commit and the record is exact', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    const other = session('other')
    await chat.addItems([...turn(1), ...turn(2)])
    await other.addItems(turn(9))
    quota.full = true
    quota.roomAfterDelete = true
    expect(await chat.popItem()).toEqual(assistant('a2'))
    expect(quota.deleteOnlyCommits).toBe(1)
    expect(await chat.getItems()).toEqual([...turn(1), user('q2')])
    expect((await storedRecord(where.dbName, 'chat')).branches.main).toMatchObject({ ranges: [[0, 3]], turns: 2 })
    expect(await other.getItems()).toEqual(turn(9))
  })

  it('pop: when the record update is refused too, the pop still holds for every reader, and the next write mends the record', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    const other = session('other')
    await chat.addItems([...turn(1), ...turn(2)])
    await chat.storeRunUsage({ usage: { requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 } })
    await other.addItems(turn(9))
    quota.full = true
    expect(await chat.popItem()).toEqual(assistant('a2'))
    expect(await chat.popItem()).toEqual(user('q2')) // the newest *stored* item, not the freed one again
    expect(quota.deleteOnlyCommits).toBe(2)
    // The stored record still lists both rows; readers end the branch at its last stored row.
    expect((await storedRecord(where.dbName, 'chat')).branches.main).toMatchObject({ ranges: [[0, 4]], turns: 2 })
    expect(await chat.getItems()).toEqual(turn(1))
    expect(await chat.getItems(1)).toEqual([assistant('a1')])
    expect(await chat.getItemCount()).toBe(2)
    expect(await chat.getInfo()).toMatchObject({ itemCount: 2 })
    expect((await listSessions(where)).sessions.find((s) => s.sessionId === 'chat')).toMatchObject({ itemCount: 2 })
    expect(await chat.listBranches()).toMatchObject([{ id: 'main', itemCount: 2, turnCount: 1 }])
    expect((await chat.getTurns()).map((t) => t.turn)).toEqual([1])
    // The usage of turn 2 went with its user message.
    expect(await chat.getSessionUsage()).toMatchObject({ totalTokens: 0 })
    expect(await other.getItems()).toEqual(turn(9))

    quota.full = false // room again (the user deleted something elsewhere)
    await chat.addItems(turn(3))
    expect(await chat.getItems()).toEqual([...turn(1), ...turn(3)])
    expect((await chat.getTurns()).map((t) => [t.turn, t.userText])).toEqual([
      [1, 'q1'],
      [2, 'q3'],
    ])
    const record = await storedRecord(where.dbName, 'chat')
    expect(record.branches.main!.turns).toBe(2)
    expect(record.branches.main!.ranges.reduce((n, [start, end]) => n + end - start, 0)).toBe(4)
  })

  it('pop: another session object with a cached record appends after what is really stored', async () => {
    const { quota, session } = store()
    const tab1 = session('chat')
    const tab2 = session('chat')
    await tab1.addItems([...turn(1), ...turn(2)])
    expect(await tab2.getItems()).toHaveLength(4) // tab2 now caches the record
    quota.full = true
    await tab1.popItem()
    quota.full = false
    await tab2.addItems([assistant('a2, again')])
    expect(await tab1.getItems()).toEqual([...turn(1), user('q2'), assistant('a2, again')])
  })

  it('pop: another session object that read before sees the pop on its next read', async () => {
    const { quota, session } = store()
    const tab1 = session('chat')
    const tab2 = session('chat')
    await tab1.addItems([...turn(1), ...turn(2)])
    expect(await tab2.getItems()).toHaveLength(4) // tab2 caches the record, unchanged by the pop below
    quota.full = true
    await tab1.popItem()
    expect(await tab2.getItems()).toEqual([...turn(1), user('q2')])
    expect(await tab2.getItemCount()).toBe(3)
  })

  it('clear: a branch that shares nothing is empty for every reader even when the record update is refused', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    const other = session('other')
    await chat.addItems([...turn(1), ...turn(2)])
    await chat.storeRunUsage({ usage: { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 } })
    await other.addItems(turn(9))
    quota.full = true
    await chat.clearSession()
    expect(quota.deleteOnlyCommits).toBe(1)
    expect(await chat.getItems()).toEqual([])
    expect(await chat.getInfo()).toMatchObject({ itemCount: 0 })
    expect(await chat.getSessionUsage()).toMatchObject({ totalTokens: 0 })
    expect(await other.getItems()).toEqual(turn(9))
    quota.full = false
    await chat.addItems(turn(3))
    expect(await chat.getItems()).toEqual(turn(3))
    expect((await chat.getTurns()).map((t) => t.turn)).toEqual([1])
    expect((await storedRecord(where.dbName, 'chat')).branches.main!.turns).toBe(1)
  })

  it('clear: a branch sharing its start with another keeps the shared part and says so until called again', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    const edit = await chat.createBranchFromTurn(2, 'edit')
    await chat.addItems(turn(3))
    quota.full = true
    const error = await chat.clearSession().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect((error as StorageQuotaError).freed).toBe(2)
    expect((error as Error).message).toMatch(/2 items only branch ".+" of session "chat" showed were deleted.*now shows the 2 earlier items.*call clearSession\(\) again/)
    expect(await chat.getCurrentBranchId()).toBe(edit)
    expect(await chat.getItems()).toEqual(turn(1))
    await chat.switchToBranch('main').catch(() => undefined) // refused at full quota: a write
    quota.full = false
    await chat.clearSession()
    expect(await chat.getItems()).toEqual([])
    await chat.switchToBranch('main')
    expect(await chat.getItems()).toEqual([...turn(1), ...turn(2)])
  })

  it('clear: with room after the delete, a shared branch is cleared completely', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    await chat.createBranchFromTurn(2, 'edit')
    await chat.addItems(turn(3))
    quota.full = true
    quota.roomAfterDelete = true
    await chat.clearSession()
    expect(await chat.getItems()).toEqual([])
    await chat.switchToBranch('main')
    expect(await chat.getItems()).toEqual([...turn(1), ...turn(2)])
  })

  it('deleteBranch: with room after the delete, the branch is gone and the others are untouched', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    const edit = await chat.createBranchFromTurn(2, 'edit')
    await chat.addItems(turn(3))
    quota.full = true
    quota.roomAfterDelete = true
    await chat.deleteBranch(edit)
    expect((await chat.listBranches()).map((b) => b.id)).toEqual(['main'])
    expect(await chat.getItems()).toEqual([...turn(1), ...turn(2)])
  })

  it('deleteBranch: when the record update is refused, the items are freed, the branch stays listed, and calling again finishes', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    const edit = await chat.createBranchFromTurn(2, 'edit')
    await chat.addItems([...turn(3), ...turn(4)])
    await chat.switchToBranch('main')
    quota.full = true
    const error = await chat.deleteBranch(edit).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect((error as StorageQuotaError).freed).toBe(4)
    expect((error as Error).message).toMatch(/still listed.*call deleteBranch\("branch-\w+"\) again to finish/)
    expect(await chat.listBranches()).toMatchObject([
      { id: 'main', itemCount: 4, turnCount: 2, current: true },
      { id: edit, itemCount: 2, turnCount: 1 },
    ])
    expect(await chat.getItems()).toEqual([...turn(1), ...turn(2)])
    quota.full = false
    await chat.deleteBranch(edit)
    expect((await chat.listBranches()).map((b) => b.id)).toEqual(['main'])
    expect(await chat.getItems()).toEqual([...turn(1), ...turn(2)])
  })

  it('deleteBranch: a record changed by another writer between the two transactions is not changed further', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    const edit = await chat.createBranchFromTurn(2, 'edit')
    await chat.addItems(turn(3))
    await chat.switchToBranch('main')
    quota.full = true
    quota.roomAfterDelete = true
    quota.afterDelete = (db) => {
      quota.afterDelete = undefined
      const sessions = db.transaction('sessions', 'readwrite').objectStore('sessions')
      const reading = sessions.get('chat')
      reading.onsuccess = () => sessions.put({ ...reading.result, title: 'renamed in another tab', etag: 'another-tab' })
    }
    await expect(chat.deleteBranch(edit)).rejects.toThrow(/call deleteBranch\("branch-\w+"\) again/)
    expect((await chat.getInfo())?.title).toBe('renamed in another tab')
    await chat.deleteBranch(edit)
    expect((await chat.listBranches()).map((b) => b.id)).toEqual(['main'])
    expect((await storedRecord(where.dbName, 'chat')).branches.main!.ranges).toEqual([[0, 4]])
  })

  it('an item another branch still shows frees nothing: StorageQuotaError, nothing changed', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    await chat.createBranchFromTurn(2, 'edit') // shows turn 1, shared with main
    quota.full = true
    const error = await chat.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect((error as StorageQuotaError).freed).toBe(0)
    expect((error as Error).message).toMatch(/nothing was written/)
    expect(quota.deleteOnlyCommits).toBe(0)
    quota.full = false
    expect(await chat.getItems()).toEqual(turn(1))
  })

  it('an item sharing its row with older ones (schema v6) cannot be freed alone: StorageQuotaError, nothing changed; with room, the pop works', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    const tools: AgentItem[] = [assistant('t1'), assistant('t2'), assistant('t3')]
    await chat.addItems([user('q1'), ...tools]) // rows: [q1, t1, t2], [t3]
    const db = await openDB(where.dbName)
    const rowsBefore = await db.getAll('items')
    db.close()
    expect(rowsBefore.map((row) => [row.seq, row.more?.length ?? 0])).toEqual([[0, 2], [3, 0]])
    quota.full = true
    expect(await chat.popItem()).toEqual(assistant('t3')) // alone in its row: deleted whole
    expect(quota.deleteOnlyCommits).toBe(1)
    const error = await chat.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect((error as StorageQuotaError).freed).toBe(0)
    expect(quota.deleteOnlyCommits).toBe(1) // the delete-only transaction issued nothing
    quota.full = false
    expect(await chat.getItems()).toEqual([user('q1'), assistant('t1'), assistant('t2')])
    expect(await chat.popItem()).toEqual(assistant('t2'))
    expect(await chat.getItems()).toEqual([user('q1'), assistant('t1')])
    const reopened = await openDB(where.dbName)
    expect((await reopened.getAll('items')).map((row) => [row.seq, row.item, row.more])).toEqual([[0, user('q1'), [assistant('t1')]]])
    reopened.close()
  })

  it('clear: a branch whose own items begin inside a row it shares (schema v6) frees nothing at a full quota, and clears once there is room', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([user('q1'), assistant('a1'), assistant('b1'), assistant('c1'), user('q2'), assistant('a2')])
    const fork = await chat.createBranchFromTurn(2, 'edit') // shows [q1, a1, b1] + c1 (one row), shared with main
    await chat.popItem() // the fork now ends inside the shared row
    await chat.popItem()
    await chat.switchToBranch('main')
    await chat.popItem()
    await chat.popItem() // main: [q1, a1, b1, c1]; the fork: [q1, a1]
    await chat.switchToBranch(fork)
    await chat.addItems([user('q2, again')])
    await chat.switchToBranch('main')
    quota.full = true
    // Main's own items (b1, c1) share the row of q1 and a1, which the fork shows.
    const error = await chat.clearSession().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect(await chat.getItems()).toEqual([user('q1'), assistant('a1'), assistant('b1'), assistant('c1')])
    quota.full = false
    await chat.clearSession()
    expect(await chat.getItems()).toEqual([])
    await chat.switchToBranch(fork)
    expect(await chat.getItems()).toEqual([user('q1'), assistant('a1'), user('q2, again')])
  })

  it('runs a refused delete-only transaction once more, on the same connection (Firefox refuses the first)', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    quota.full = true
    quota.refuseDeletes = 1
    expect(await chat.popItem()).toEqual(assistant('a2'))
    expect(await chat.getItems()).toEqual([...turn(1), user('q2')])

    quota.refuseDeletes = 2
    const error = await chat.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect((error as StorageQuotaError).freed).toBe(0)
    expect(await chat.getItems()).toEqual([...turn(1), user('q2')])
  })

  it('adding at a full quota is still refused with nothing written', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    await chat.addItems(turn(1))
    quota.full = true
    await expect(chat.addItems(turn(2))).rejects.toBeInstanceOf(StorageQuotaError)
    expect(quota.deleteOnlyCommits).toBe(0)
    expect(await chat.getItems()).toEqual(turn(1))
  })

  it('exports what readers see, and the export imports', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    quota.full = true
    await chat.popItem()
    quota.full = false
    const doc = await exportSession('chat', where)
    expect(doc?.items).toHaveLength(3)
    await importSession(doc, { ...where, sessionId: 'copy' })
    expect(await session('copy').getItems()).toEqual([...turn(1), user('q2')])
  })

  it('a row missing before a stored one is still damage: StorageError, never a silent gap', async () => {
    const { where, session } = store()
    const chat = session('chat')
    await chat.addItems([...turn(1), ...turn(2)])
    const db = await openDB(where.dbName)
    await db.delete('items', ['chat', 2]) // the row of turn 2's user message (rows: [u1, a1], [u2], [a2])
    expect(await db.getAllKeys('items')).toEqual([['chat', 0], ['chat', 3]])
    db.close()
    await expect(chat.getItems()).rejects.toBeInstanceOf(StorageError)
    await expect(chat.getItems()).rejects.toThrow(/should hold 4 items here but 3 were found/)
  })
})
