// The demo's copy of an exported chat into a synced one (demo/src/chats/replay.ts), without a
// browser: a sync server on PGlite in-process, devices on fake-indexeddb.
import { afterAll, describe, expect, it } from 'vitest'
import { exportSession, IndexedDBSession, SyncedSession, type AgentItem, type SessionExport } from '../../src/index.js'
import { PostgresStore } from '../../src/server/index.js'
import { replayInto, ReplayError } from '../../demo/src/chats/replay.js'
import { deviceOptions, testServer } from '../remote/support/server.js'

const store = new PostgresStore({})
const server = testServer(() => store)
afterAll(() => store.close())

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }) as AgentItem
let counter = 0
const device = (sessionId: string) => new SyncedSession(sessionId, { ...deviceOptions(server, 'carol'), dbName: `replay-${++counter}`, live: false })

/**
 * A chat with two versions of its second answer, a third turn on the second version and a
 * version of that (a branch of a branch), and an edit of its first question; exported while
 * on the second version, which is neither main nor the branch made last.
 */
async function exportedChat(sessionId: string): Promise<SessionExport> {
  const local = new IndexedDBSession(sessionId, { dbName: `replay-local-${++counter}` })
  await local.addItems([user('q1'), assistant('a1'), user('q2'), assistant('a2')])
  const again = await local.createBranchFromTurn(2, 'again')
  await local.addItems([user('q2'), assistant('a2, again'), user('q3'), assistant('a3')])
  await local.createBranchFromTurn(3, 'again, then')
  await local.addItems([user('q3'), assistant('a3, again')])
  await local.switchToBranch('main')
  await local.createBranchFromTurn(1, 'edited')
  await local.addItems([user('q1, edited'), assistant('a1, edited')])
  await local.switchToBranch(again)
  return (await exportSession(sessionId, { dbName: local.dbName }))!
}

/** Every branch of `session` by name, with its items. */
async function branchesOf(session: SyncedSession): Promise<Record<string, AgentItem[]>> {
  const current = await session.getCurrentBranchId()
  const out: Record<string, AgentItem[]> = {}
  for (const branch of await session.listBranches()) {
    await session.switchToBranch(branch.id)
    out[branch.name] = await session.getItems()
  }
  await session.switchToBranch(current)
  return out
}

describe('replayInto (the demo copying a chat into sync)', () => {
  it('writes every branch through the synced session, sharing starts; another device gets the same chat', async () => {
    const doc = await exportedChat('carol/one')
    const laptop = device('carol/one')
    await replayInto(doc, laptop)
    await laptop.sync()
    const phone = device('carol/one')
    await phone.sync()
    const again = [user('q1'), assistant('a1'), user('q2'), assistant('a2, again'), user('q3'), assistant('a3')]
    const expected = {
      main: [user('q1'), assistant('a1'), user('q2'), assistant('a2')],
      again,
      'again, then': [...again.slice(0, 4), user('q3'), assistant('a3, again')],
      edited: [user('q1, edited'), assistant('a1, edited')],
    }
    expect(await branchesOf(laptop)).toEqual(expected)
    expect(await branchesOf(phone)).toEqual(expected)
    // The current branch is the one the export was on: neither main nor the last one made.
    expect(await laptop.getItems()).toEqual(again)
    expect(await phone.getItems()).toEqual(again)
    // Starts are shared, as in the original: 4 + 4 + 2 + 2 items stored, not 18.
    expect(doc.items).toHaveLength(12)
    expect((await exportSession('carol/one', { dbName: phone.dbName }))!.items).toHaveLength(12)
  })

  it('a branch that does not start as the one it was made from: ReplayError, and nothing is left on the synced side', async () => {
    const doc = await exportedChat('carol/two')
    // Tampered: the "again" branch now claims a start its parent never had.
    const again = doc.session.branches.find((branch) => branch.name === 'again')!
    const first = again.ranges[0]!
    const lone = Math.max(...doc.items.map((row) => row.seq)) + 1
    doc.items.push({ seq: lone, createdAt: 0, item: user('not the start') })
    again.ranges = [[lone, lone + 1], [first[0] + 1, first[1]], ...again.ranges.slice(1)]
    const laptop = device('carol/two')
    await expect(replayInto(doc, laptop)).rejects.toThrow(ReplayError)
    expect(await laptop.getInfo()).toBeUndefined()
    await laptop.sync()
    const phone = device('carol/two')
    await phone.sync()
    expect(await phone.getInfo()).toBeUndefined()
  })
})
