// Two devices (two IndexedDB databases, fake-indexeddb) of one user and the real sync
// handler, with the faults networks and browsers bring: each case checks that nothing is
// lost, nothing duplicated, every turn whole, and both devices equal to the server.
import { openDB } from 'idb'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  listSessions,
  onSessionsChanged,
  RemoteSession,
  SyncedSession,
  syncSessions,
  SyncOfflineError,
  SyncUnauthorizedError,
  type AgentItem,
} from '../../src/index.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { deviceOptions, testServer, type TestServer } from './support/server.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }) as AgentItem
const turn = (label: string): AgentItem[] => [user(`${label}?`), assistant(`${label}!`)]

/** The texts of items, for comparing orders at a glance. */
function texts(items: AgentItem[]): string[] {
  return items.map((item) => {
    const content = (item as { content: unknown }).content
    return typeof content === 'string' ? content : (content as Array<{ text: string }>)[0]!.text
  })
}

/** Branches without their creation times (each device stamps the ones it makes; the server's come with the feed). */
const shape = (branches: Array<{ createdAt: number }>) => branches.map(({ createdAt: _time, ...rest }) => rest)

/** Every turn is its question followed by its answer. */
function turnsWhole(items: AgentItem[]): boolean {
  const list = texts(items)
  for (let i = 0; i < list.length; i += 2) if (list[i]!.replace('?', '') !== list[i + 1]?.replace('!', '')) return false
  return list.length % 2 === 0
}

let counter = 0
const open: SyncedSession[] = []
afterEach(() => {
  for (const session of open.splice(0)) session.close()
})

function device(server: TestServer, userId: string, sessionId: string, extra: { dbName?: string; live?: boolean } = {}): SyncedSession {
  const session = new SyncedSession(sessionId, { ...deviceOptions(server, userId), dbName: extra.dbName ?? `device-${++counter}-${userId}`, live: extra.live ?? false })
  open.push(session)
  return session
}

describeEngines('SyncedSession under faults', (engine) => {
  const server = testServer(engine.store)
  afterEach(() => {
    server.down = false
    server.loseResponses = 0
    delete server.refusesItem
  })

  async function fresh() {
    const userId = uniqueUser('faults')
    const sessionId = `chat-${++counter}`
    const remote = new RemoteSession(sessionId, deviceOptions(server, userId))
    return { userId, sessionId, remote }
  }

  it('server down during a push: the writes stay in the outbox, SyncOfflineError says so, the retry sends them once', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    server.down = true
    const error = await laptop.sync().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SyncOfflineError)
    expect((error as Error).message).toMatch(/kept on this device and will be sent again/)
    expect(await laptop.pendingOps()).toBe(1)
    expect(texts(await laptop.getItems())).toEqual(['one?', 'one!'])
    server.down = false
    expect(await remote.getItems()).toEqual([])
    await laptop.sync()
    expect(await remote.getItems()).toEqual(turn('one'))
    expect(await laptop.getItems()).toEqual(turn('one'))
    expect(await laptop.pendingOps()).toBe(0)
  })

  it('the response is lost after the server committed: the retry stores nothing twice', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    await laptop.addItems(turn('two'))
    server.loseResponses = 1
    await expect(laptop.sync()).rejects.toBeInstanceOf(SyncOfflineError)
    expect(await remote.getItems()).toEqual([...turn('one'), ...turn('two')]) // committed
    await laptop.sync()
    expect(await remote.getItems()).toEqual([...turn('one'), ...turn('two')])
    expect(await laptop.getItems()).toEqual([...turn('one'), ...turn('two')])
    expect(await laptop.pendingOps()).toBe(0)
  })

  it("a batch larger than the server's body limit (1 MiB) goes out in several appends, in order", async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    const big = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? user(`q${i} ${'x'.repeat(500)}`) : assistant(`a${i} ${'y'.repeat(500)}`)))
    await laptop.addItems(big)
    await laptop.sync()
    expect(await remote.getItems()).toEqual(big)
    expect(await laptop.getItems()).toEqual(big)
    expect(await laptop.pendingOps()).toBe(0)
  }, 60_000) // 1.6 MB through fake-indexeddb and PGlite: seconds on a loaded machine

  it('the same push delivered twice: applied once', async () => {
    const { userId, sessionId, remote } = await fresh()
    const twice: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      if (new URL(request.url).pathname.endsWith('/push')) await server.fetch(request.clone())
      return server.fetch(request)
    }
    const laptop = new SyncedSession(sessionId, { ...deviceOptions(server, userId), fetch: twice, dbName: `twice-${userId}`, live: false })
    await laptop.addItems(turn('one'))
    await laptop.popItem()
    await laptop.addItems([assistant('one, again!')])
    await laptop.sync()
    expect(texts(await remote.getItems())).toEqual(['one?', 'one, again!'])
    expect(await laptop.getItems()).toEqual(await remote.getItems())
  })

  it('two devices append offline, then reconnect: both hold every turn whole, in the server order', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    const phone = device(server, userId, sessionId)
    await laptop.addItems(turn('shared'))
    await laptop.sync()
    await phone.sync()
    expect(await phone.getItems()).toEqual(turn('shared'))

    // Offline: neither syncs.
    await laptop.addItems(turn('laptop 1'))
    await phone.addItems(turn('phone 1'))
    await laptop.addItems(turn('laptop 2'))
    await phone.addItems(turn('phone 2'))

    await phone.sync() // the phone reaches the server first
    await laptop.sync() // the laptop's turns go behind the phone's
    await phone.sync()
    const serverOrder = texts(await remote.getItems())
    expect(serverOrder).toEqual(['shared?', 'shared!', 'phone 1?', 'phone 1!', 'phone 2?', 'phone 2!', 'laptop 1?', 'laptop 1!', 'laptop 2?', 'laptop 2!'])
    expect(texts(await laptop.getItems())).toEqual(serverOrder)
    expect(texts(await phone.getItems())).toEqual(serverOrder)
    expect(turnsWhole(await laptop.getItems())).toBe(true)
    expect((await laptop.getTurns()).map((t) => t.userText)).toEqual(['shared?', 'phone 1?', 'phone 2?', 'laptop 1?', 'laptop 2?'])
    expect(await laptop.getTurns()).toEqual(await phone.getTurns())
  })

  it('a pop of an item still on its way waits for its seq, and lands on the server', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    server.loseResponses = 1
    await expect(laptop.sync()).rejects.toBeInstanceOf(SyncOfflineError) // sent, seq unknown here
    expect(await laptop.popItem()).toEqual(assistant('one!'))
    await laptop.sync()
    expect(await remote.getItems()).toEqual([user('one?')])
    expect(await laptop.getItems()).toEqual([user('one?')])
  })

  it('branches, titles, usage, pops, clears and deletes reach the other device', async () => {
    const { userId, sessionId } = await fresh()
    const laptop = device(server, userId, sessionId)
    const phone = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    await laptop.addItemsWithUsage(turn('two'), { requests: 1, inputTokens: 5, outputTokens: 7, totalTokens: 12 })
    await laptop.addItems(turn('three'))
    await laptop.setTitle('Plans')
    const branch = await laptop.createBranchFromTurn(2, 'retry two')
    await laptop.addItems(turn('two again'))
    await laptop.popItem()
    await laptop.sync()
    await phone.sync()
    expect(await phone.getItems()).toEqual(await laptop.getItems())
    expect(await phone.getCurrentBranchId()).toBe(branch)
    expect(shape(await phone.listBranches())).toEqual(shape(await laptop.listBranches()))
    expect((await phone.getInfo())?.title).toBe('Plans')
    expect(await phone.getSessionUsage()).toEqual({ requests: 1, inputTokens: 5, outputTokens: 7, totalTokens: 12 })
    expect(await phone.getSessionUsage({ branchId: 'main' })).toEqual({ requests: 1, inputTokens: 5, outputTokens: 7, totalTokens: 12 })

    await phone.switchToBranch('main')
    await phone.deleteBranch(branch)
    await phone.clearSession()
    await phone.addItems(turn('fresh'))
    await phone.sync()
    await laptop.sync()
    expect(await laptop.getCurrentBranchId()).toBe('main')
    expect((await laptop.listBranches()).map((b) => b.id)).toEqual(['main'])
    expect(await laptop.getItems()).toEqual(turn('fresh'))

    await laptop.deleteSession()
    await laptop.sync()
    await phone.sync()
    expect(await phone.getInfo()).toBeUndefined()
    expect(await phone.getItems()).toEqual([])
  })

  it('replaceItems (compaction) on one device replaces the history on the other, after its offline append', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    const phone = device(server, userId, sessionId)
    await laptop.addItems([...turn('one'), ...turn('two')])
    await laptop.sync()
    await phone.sync()
    await phone.addItems(turn('phone')) // offline, before the compaction reaches it
    await laptop.replaceItems([user('summary of one and two')])
    await laptop.sync()
    await phone.sync()
    await laptop.sync()
    const expected = [user('summary of one and two'), ...turn('phone')]
    expect(await remote.getItems()).toEqual(expected)
    expect(await laptop.getItems()).toEqual(expected)
    expect(await phone.getItems()).toEqual(expected)
  })

  it('RemoteSession: a push whose answer was lost is sent again with the same op ids, stored once', async () => {
    const { remote } = await fresh()
    server.loseResponses = 1
    await remote.addItems(turn('once'))
    expect(await remote.getItems()).toEqual(turn('once'))
    server.down = true
    const error = await remote.addItems(turn('twice?')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SyncOfflineError)
    expect((error as Error).message).toMatch(/may or may not have stored it/)
    server.down = false
    expect(await remote.getItems()).toEqual(turn('once'))
  })

  it('deleting a session drops its writes the server never got: only the deletion goes', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    await laptop.sync()
    await laptop.addItems(turn('unsent'))
    await laptop.setTitle('unsent title')
    await laptop.deleteSession()
    expect(await laptop.pendingOps()).toBe(1)
    await laptop.sync()
    expect(await laptop.pendingOps()).toBe(0)
    expect(await remote.getItems()).toEqual([])
    expect(await remote.getInfo()).toBeUndefined()
  })

  it('an unsent compaction whose only item is popped still empties the branch on the server', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    await laptop.addItems([...turn('one'), ...turn('two')])
    await laptop.sync()
    await laptop.replaceItems([user('summary')]) // offline: not sent yet
    expect(await laptop.popItem()).toEqual(user('summary'))
    await laptop.sync()
    expect(await laptop.getItems()).toEqual([])
    expect(await remote.getItems()).toEqual([])
    const phone = device(server, userId, sessionId)
    await phone.sync()
    expect(await phone.getItems()).toEqual([])
  })

  it('a device whose database was deleted gets everything back', async () => {
    const { userId, sessionId } = await fresh()
    const dbName = `wiped-${userId}`
    const laptop = device(server, userId, sessionId, { dbName })
    await laptop.addItems(turn('one'))
    await laptop.addItemsWithUsage(turn('two'), { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 })
    await laptop.setTitle('Kept')
    await laptop.createBranchFromTurn(2)
    await laptop.addItems(turn('two b'))
    await laptop.sync()
    const before = { items: await laptop.getItems(), branches: await laptop.listBranches(), usage: await laptop.getSessionUsage(), turns: await laptop.getTurns() }
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(dbName)
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
    })
    const again = device(server, userId, sessionId, { dbName })
    expect(await again.getItems()).toEqual([])
    await syncSessions({ ...deviceOptions(server, userId), dbName })
    expect(await again.getItems()).toEqual(before.items)
    expect(shape(await again.listBranches())).toEqual(shape(before.branches))
    expect(await again.getSessionUsage()).toEqual(before.usage)
    expect(await again.getTurns()).toEqual(before.turns)
    expect((await again.getInfo())?.title).toBe('Kept')
  })

  it('a pop on a session another device deleted is done, not an error', async () => {
    const { userId, sessionId } = await fresh()
    const laptop = device(server, userId, sessionId)
    const phone = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    await laptop.sync()
    await phone.sync()
    await phone.deleteSession()
    await phone.sync()
    await laptop.popItem() // offline, before it learns of the deletion
    await laptop.sync()
    expect(await laptop.getInfo()).toBeUndefined()
    expect(await laptop.pendingOps()).toBe(0)
    expect(await laptop.refusedOps()).toEqual([])
  })

  it('an op the server refuses for good is kept, listed by refusedOps, and never blocks the ones after it', async () => {
    const { userId, sessionId, remote } = await fresh()
    const laptop = device(server, userId, sessionId)
    await laptop.addItems(turn('one'))
    // Stored here; this server's rules refuse it (invalid_item), as a stricter server's would.
    server.refusesItem = (item) => (item as { content?: unknown }).content === 'odd'
    await laptop.addItems([user('odd')])
    await laptop.addItems(turn('two'))
    await laptop.sync()
    expect(await laptop.refusedOps()).toEqual([expect.objectContaining({ sessionId, kind: 'append', code: 'invalid_item' })])
    expect(await laptop.pendingOps()).toBe(0)
    expect(await remote.getItems()).toEqual([...turn('one'), ...turn('two')])
    expect((await laptop.getItems()).length).toBe(5) // kept here
  })

  it('cursor_ahead (the server restored from an older backup): the device keeps its data and reads the feed again', async () => {
    const { userId, sessionId } = await fresh()
    const dbName = `ahead-${userId}`
    const laptop = device(server, userId, sessionId, { dbName })
    await laptop.addItems(turn('one'))
    await laptop.sync()
    const db = await openDB(dbName)
    await db.put('syncState', { key: 'cursor', value: 1_000_000 })
    db.close()
    const phone = device(server, userId, sessionId)
    await phone.addItems(turn('two'))
    await phone.sync()
    await laptop.sync()
    expect(await laptop.getItems()).toEqual([...turn('one'), ...turn('two')])
    expect(await laptop.getItems()).toEqual(await phone.getItems())
  })

  it('401: SyncUnauthorizedError, the writes kept for when the credentials work', async () => {
    const { userId, sessionId, remote } = await fresh()
    const dbName = `unauthorized-${userId}`
    const anonymous = new SyncedSession(sessionId, { url: server.url, fetch: server.fetch, dbName, live: false })
    await anonymous.addItems(turn('one'))
    const error = await anonymous.sync().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SyncUnauthorizedError)
    expect((error as Error).message).toMatch(/kept on this device/)
    expect(await anonymous.pendingOps()).toBe(1)
    await device(server, userId, sessionId, { dbName }).sync()
    expect(await remote.getItems()).toEqual(turn('one'))
  })

  it("syncSessions brings every session of the user, and none of another user's", async () => {
    const alice = uniqueUser('alice')
    const bob = uniqueUser('bob')
    const a1 = device(server, alice, 'a-1', { dbName: `alice-src-${alice}` })
    await a1.addItems(turn('alice one'))
    await a1.sync()
    const a2 = device(server, alice, 'a-2', { dbName: `alice-src-${alice}` })
    await a2.addItems(turn('alice two'))
    await a2.sync()
    const b1 = device(server, bob, 'b-1', { dbName: `bob-src-${bob}` })
    await b1.addItems(turn('bob one'))
    await b1.sync()

    await syncSessions({ ...deviceOptions(server, alice), dbName: `alice-new-${alice}` })
    await syncSessions({ ...deviceOptions(server, bob), dbName: `bob-new-${bob}` })
    expect((await listSessions({ dbName: `alice-new-${alice}` })).sessions.map((s) => s.sessionId).sort()).toEqual(['a-1', 'a-2'])
    expect((await listSessions({ dbName: `bob-new-${bob}` })).sessions.map((s) => s.sessionId)).toEqual(['b-1'])
  })

  it('live: a write on one device reaches the other by itself and fires its change event', async () => {
    const { userId, sessionId } = await fresh()
    const phoneDb = `live-phone-${userId}`
    const laptop = device(server, userId, sessionId, { live: true })
    const phone = device(server, userId, sessionId, { dbName: phoneDb, live: true })
    const heard: string[] = []


    const stop = onSessionsChanged((change) => heard.push(`${change.sessionId}:${change.kind}`), { dbName: phoneDb })
    try {
      await laptop.addItems(turn('live'))
      await vi.waitFor(async () => expect(await phone.getItems()).toEqual(turn('live')), { timeout: 15_000, interval: 50 })
      await vi.waitFor(() => expect(heard).toContain(`${sessionId}:add`), { timeout: 5_000 })
    } finally {
      stop()
    }
  }, 30_000)

  it('live: where the stream hangs (a buffering proxy), long-poll takes over', async () => {
    const { userId, sessionId } = await fresh()
    const noStream: typeof fetch = (input, init) => {
      const request = new Request(input, init)
      if (!new URL(request.url).pathname.endsWith('/live')) return server.fetch(request)
      return new Promise((_resolve, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)))
    }
    const failures: string[] = [] // said if the wait below times out
    const failed = (device: string) => (error: Error) => void failures.push(`${device}: ${error.name}: ${error.message}`)
    const laptop = new SyncedSession(sessionId, { ...deviceOptions(server, userId), dbName: `laptop-${userId}`, onSyncError: failed('laptop') })
    const phone = new SyncedSession(sessionId, { ...deviceOptions(server, userId), fetch: noStream, dbName: `no-stream-${userId}`, onSyncError: failed('phone') })
    open.push(laptop, phone)
    await laptop.addItems(turn('polled'))
    await vi.waitFor(async () => expect(await phone.getItems(), failures.join('\n')).toEqual(turn('polled')), { timeout: 20_000, interval: 50 })
  }, 30_000)

  it('live: retried with backoff while the server is down, then sent', async () => {
    const { userId, sessionId, remote } = await fresh()
    const failures: Error[] = []
    server.down = true
    const laptop = new SyncedSession(sessionId, {
      ...deviceOptions(server, userId),
      dbName: `backoff-${userId}`,
      retry: { initialMs: 5, maxMs: 40 },
      onSyncError: (error) => failures.push(error),
    })
    open.push(laptop)
    await laptop.addItems(turn('one'))
    await vi.waitFor(() => expect(failures.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 })
    expect(failures.every((error) => error instanceof SyncOfflineError)).toBe(true)
    server.down = false
    await vi.waitFor(async () => expect(await remote.getItems()).toEqual(turn('one')), { timeout: 10_000, interval: 50 })
  })
})
