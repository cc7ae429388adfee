// Schema v6 on a SyncedSession's local copy: its own appends are stored packed, then moved to
// the server's seqs when they come back, and other devices' changes arrive through the
// replica. Each step leaves both devices equal to the server, and their rows keep the rules
// of test/idb/support/raw-rows.ts (a user message first in its row, at most 32 items, no
// overlap, every stored item shown by a branch).
import { afterEach, expect, it } from 'vitest'
import { RemoteSession, SyncedSession, type AgentItem } from '../../src/index.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { expectWellFormed, itemsOf, rawRows } from '../idb/support/raw-rows.js'
import { deviceOptions, testServer, type TestServer } from './support/server.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const call = (id: string): AgentItem => ({ type: 'function_call', call_id: id, name: 'lookup', arguments: '{}' })
const output = (id: string): AgentItem => ({ type: 'function_call_output', call_id: id, output: `result ${id}` })
const replies = (label: string, n: number): AgentItem[] => Array.from({ length: n }, (_, i) => [assistant(`${label}${i}`), call(`${label}${i}`), output(`${label}${i}`)][i % 3]!)

let counter = 0
const open: SyncedSession[] = []
afterEach(() => {
  for (const session of open.splice(0)) session.close()
})

describeEngines('schema v6 rows on synced devices', (engine) => {
  const server: TestServer = testServer(engine.store)

  function devices() {
    const userId = uniqueUser('v6-sync')
    const sessionId = `chat-${++counter}`
    const make = (label: string) => {
      const dbName = `v6-${label}-${counter}-${userId}`
      const session = new SyncedSession(sessionId, { ...deviceOptions(server, userId), dbName, live: false })
      open.push(session)
      return { session, dbName }
    }
    return { sessionId, laptop: make('laptop'), phone: make('phone'), remote: new RemoteSession(sessionId, deviceOptions(server, userId)) }
  }
  const wellFormed = (device: { dbName: string }, sessionId: string) => expectWellFormed(device.dbName, sessionId, { checkNextSeq: false })

  it('a packed turn goes up, comes back under the server seqs and reaches the other device; pops inside the row follow', async () => {
    const { sessionId, laptop, phone, remote } = devices()
    const turn = [user('q1'), ...replies('a', 20)]
    await laptop.session.addItems(turn)
    // Stored packed under the device's own seqs (far above the server's) until it comes back.
    expect((await rawRows(laptop.dbName, sessionId)).map((row) => itemsOf(row).length).sort((a, b) => b - a)[0]).toBeGreaterThanOrEqual(20)
    await laptop.session.sync()
    expect((await rawRows(laptop.dbName, sessionId)).some((row) => itemsOf(row).length > 1)).toBe(true)
    expect(await remote.getItems()).toEqual(turn)
    expect(await laptop.session.getItems()).toEqual(turn)
    await wellFormed(laptop, sessionId)
    await phone.session.sync()
    expect(await phone.session.getItems()).toEqual(turn)
    for (let k = 1; k <= turn.length; k++) expect(await phone.session.getItems(k)).toEqual(turn.slice(-k))
    await wellFormed(phone, sessionId)

    // Pops inside the packed row, on each device, then an append: everyone converges.
    expect(await laptop.session.popItem()).toEqual(turn[20])
    expect(await laptop.session.popItem()).toEqual(turn[19])
    await laptop.session.addItems([user('q2'), ...replies('b', 5)])
    await laptop.session.sync()
    await phone.session.sync()
    const expected = [...turn.slice(0, 19), user('q2'), ...replies('b', 5)]
    expect(await remote.getItems()).toEqual(expected)
    expect(await laptop.session.getItems()).toEqual(expected)
    expect(await phone.session.getItems()).toEqual(expected)
    await wellFormed(laptop, sessionId)
    await wellFormed(phone, sessionId)
    expect(await phone.session.popItem()).toEqual(expected.at(-1))
    await phone.session.sync()
    await laptop.session.sync()
    expect(await laptop.session.getItems()).toEqual(expected.slice(0, -1))
    expect((await laptop.session.getTurns()).map((t) => [t.turn, t.itemCount])).toEqual([
      [1, 19],
      [2, 5],
    ])
    await wellFormed(laptop, sessionId)
    await wellFormed(phone, sessionId)
  }, 60_000)

  it('two devices append packed turns offline, then reconnect: both hold every item in the server order', async () => {
    const { sessionId, laptop, phone, remote } = devices()
    await laptop.session.addItems([user('shared'), ...replies('s', 4)])
    await laptop.session.sync()
    await phone.session.sync()
    await laptop.session.addItems([user('laptop'), ...replies('l', 12)])
    await phone.session.addItems([user('phone'), ...replies('p', 9)])
    await laptop.session.popItem()
    await phone.session.addItems(replies('p2-', 3))
    await laptop.session.sync()
    await phone.session.sync()
    await laptop.session.sync()
    const server = await remote.getItems()
    expect(server).toHaveLength(5 + 12 + 10 + 3)
    expect(await laptop.session.getItems()).toEqual(server)
    expect(await phone.session.getItems()).toEqual(server)
    for (const k of [1, 5, 13, 20, server.length]) {
      expect(await laptop.session.getItems(k)).toEqual(server.slice(-k))
      expect(await phone.session.getItems(k)).toEqual(server.slice(-k))
    }
    await wellFormed(laptop, sessionId)
    await wellFormed(phone, sessionId)
  }, 60_000)

  it('a fork and a replace inside packed rows reach the other device', async () => {
    const { sessionId, laptop, phone } = devices()
    await laptop.session.addItems([user('q1'), ...replies('a', 8), user('q2'), ...replies('b', 8)])
    await laptop.session.sync()
    const fork = await laptop.session.createBranchFromTurn(2, 'fork')
    await laptop.session.popItem()
    await laptop.session.addItems([user('q2 fork'), ...replies('f', 4)])
    await laptop.session.sync()
    await phone.session.sync()
    await phone.session.switchToBranch(fork)
    expect(await phone.session.getItems()).toEqual(await laptop.session.getItems())
    await phone.session.replaceItems([user('replaced'), ...replies('r', 6)])
    await phone.session.sync()
    await laptop.session.sync()
    expect(await laptop.session.getItems()).toEqual([user('replaced'), ...replies('r', 6)])
    await laptop.session.switchToBranch('main')
    expect(await laptop.session.getItems()).toEqual([user('q1'), ...replies('a', 8), user('q2'), ...replies('b', 8)])
    await wellFormed(laptop, sessionId)
    await wellFormed(phone, sessionId)
  }, 60_000)
})
