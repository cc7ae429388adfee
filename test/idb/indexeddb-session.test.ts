import { describe, expect, it } from 'vitest'
import {
  IndexedDBSession,
  InvalidArgumentError,
  InvalidItemError,
  MemorySession,
  StorageUnavailableError,
  deleteSession,
  listSessions,
  renameSession,
  type AgentItem,
} from '../../src/index.js'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'

// Logic tests on fake-indexeddb; the browser project repeats what needs a real engine.
const dbName = `idb-node-${Math.random().toString(36).slice(2)}`
describeSessionConformance('IndexedDBSession (fake-indexeddb)', (id) => new IndexedDBSession(id, { dbName }), {
  withDefaultLimit: (id, limit) => new IndexedDBSession(id, { dbName, settings: { limit } }),
})

const freshDb = () => `idb-node-${Math.random().toString(36).slice(2)}`
const user = (text: string): AgentItem => ({ role: 'user', content: text })

describe('IndexedDBSession', () => {
  it('keeps history across session objects (a reload)', async () => {
    const name = freshDb()
    await new IndexedDBSession('user_123', { dbName: name }).addItems([user('My favorite color is blue.')])
    const again = new IndexedDBSession('user_123', { dbName: name })
    expect(await again.getItems()).toEqual([user('My favorite color is blue.')])
  })

  it('uses settings.limit as the default window; an explicit limit wins', async () => {
    const session = new IndexedDBSession('limited', { dbName: freshDb(), settings: { limit: 2 } })
    await session.addItems(['1', '2', '3'].map(user))
    expect(await session.getItems()).toEqual([user('2'), user('3')])
    expect(await session.getItems(3)).toHaveLength(3)
  })

  it('rejects NaN and fractional limits with a typed error', async () => {
    const session = new IndexedDBSession('bad-limit', { dbName: freshDb() })
    await expect(session.getItems(Number.NaN)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(session.getItems(1.5)).rejects.toThrow(/limit must be an integer/)
  })

  it('rejects an empty session id', () => {
    expect(() => new IndexedDBSession('')).toThrow(InvalidArgumentError)
  })

  it('records metadata: createdAt, updatedAt, itemCount, title', async () => {
    const name = freshDb()
    const session = new IndexedDBSession('meta', { dbName: name })
    expect(await session.getInfo()).toBeUndefined()
    await session.addItems([user('a'), user('b')])
    const first = await session.getInfo()
    expect(first).toMatchObject({ sessionId: 'meta', itemCount: 2 })
    expect(first!.updatedAt).toBeGreaterThanOrEqual(first!.createdAt)
    await session.setTitle('Billing question')
    await session.popItem()
    expect(await session.getInfo()).toMatchObject({ title: 'Billing question', itemCount: 1, createdAt: first!.createdAt })
  })

  it('lists sessions newest first, page by page, and deletes one without touching others', async () => {
    const name = freshDb()
    for (const id of ['s1', 's2', 's3', 's4', 's5']) {
      await new IndexedDBSession(id, { dbName: name }).addItems([user(id)])
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    await renameSession('s2', 'Renamed', { dbName: name })
    const first = await listSessions({ dbName: name, limit: 2 })
    expect(first.sessions.map((s) => s.sessionId)).toEqual(['s2', 's5'])
    const second = await listSessions({ dbName: name, limit: 2, cursor: first.nextCursor })
    expect(second.sessions.map((s) => s.sessionId)).toEqual(['s4', 's3'])
    const third = await listSessions({ dbName: name, limit: 2, cursor: second.nextCursor })
    expect(third.sessions.map((s) => s.sessionId)).toEqual(['s1'])
    expect(third.nextCursor).toBeUndefined()

    await deleteSession('s3', { dbName: name })
    expect(await new IndexedDBSession('s3', { dbName: name }).getItems()).toEqual([])
    expect(await new IndexedDBSession('s4', { dbName: name }).getItems()).toEqual([user('s4')])
    const all = await listSessions({ dbName: name })
    expect(all.sessions.map((s) => s.sessionId)).toEqual(['s2', 's5', 's4', 's1'])
    expect(all.sessions[0]!.title).toBe('Renamed')
  })

  it('refuses a cursor it did not make and a bad page size', async () => {
    await expect(listSessions({ dbName: freshDb(), cursor: 'nonsense' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(listSessions({ dbName: freshDb(), limit: 0 })).rejects.toThrow(/positive integer/)
  })

  it('names the bad item and path, and writes nothing of the batch', async () => {
    const session = new IndexedDBSession('bad-input', { dbName: freshDb() })
    await session.addItems([user('kept')])
    const cyclic: Record<string, unknown> = { type: 'x' }
    cyclic.self = cyclic
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'x', when: new Date() }, /item 1 at when: a Date instance is not plain JSON/],
      [{ type: 'x', big: 10n }, /item 1 at big: a bigint is not JSON/],
      [{ type: 'x', list: [1, undefined] }, /item 1 at list\[1\]: undefined is not JSON/],
      [{ type: 'x', n: Number.POSITIVE_INFINITY }, /item 1 at n: Infinity is not a JSON number/],
      [{ type: 'x', s: Symbol('s') }, /item 1 at s: a symbol is not JSON/],
      [cyclic, /item 1 at self: the value refers to itself/],
      [{ content: 'no role or type' }, /item 1: an item needs a string "type"/],
      ['a string', /item 1: an item must be an object, got string/],
    ]
    for (const [bad, message] of cases) {
      const error = await session.addItems([user('lost'), bad as AgentItem]).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidItemError)
      expect((error as Error).message).toMatch(message)
    }
    expect(await session.getItems()).toEqual([user('kept')])
    expect((await session.getInfo())!.itemCount).toBe(1)
  })

  it('drops object keys whose value is undefined, as JSON does', async () => {
    const session = new IndexedDBSession('undefined-keys', { dbName: freshDb() })
    await session.addItems([{ role: 'user', content: 'x', id: undefined }])
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'x' }])
    expect(Object.keys((await session.getItems())[0]!)).toEqual(['role', 'content'])
  })

  it('replaceItems swaps the history in one step and keeps sequence numbers compact', async () => {
    const session = new IndexedDBSession('replace', { dbName: freshDb() })
    await session.addItems(['a', 'b', 'c'].map(user))
    await expect(session.replaceItems([user('x'), { type: 'x', f: () => 0 } as never])).rejects.toBeInstanceOf(
      InvalidItemError,
    )
    expect(await session.getItems()).toEqual(['a', 'b', 'c'].map(user))
    await session.replaceItems([user('summary'), user('d')])
    expect(await session.getItems()).toEqual([user('summary'), user('d')])
    expect(await session.getItems(1)).toEqual([user('d')])
    await session.replaceItems([])
    expect(await session.getItems()).toEqual([])
  })

  it('notices a session deleted and recreated by someone else before writing on its old view of it', async () => {
    const name = freshDb()
    const a = new IndexedDBSession('recreated', { dbName: name })
    await a.addItems(['1', '2', '3'].map(user))
    await deleteSession('recreated', { dbName: name })
    await new IndexedDBSession('recreated', { dbName: name }).addItems([user('new life')])
    await a.addItems([user('from the old tab')])
    expect(await a.getItems()).toEqual([user('new life'), user('from the old tab')])
    expect(await new IndexedDBSession('recreated', { dbName: name }).getItems(1)).toEqual([user('from the old tab')])
  })

  it('reads what another instance wrote since this one last looked (a read never trusts a stale record)', async () => {
    const name = freshDb()
    const mine = new IndexedDBSession('shared', { dbName: name })
    const theirs = new IndexedDBSession('shared', { dbName: name })
    await mine.addItems([user('1'), user('2'), user('3')])
    expect(await mine.getItems(2)).toEqual([user('2'), user('3')])
    await theirs.popItem()
    await theirs.popItem()
    await theirs.addItems([user('x'), user('y'), user('z')])
    expect(await mine.getItems(2)).toEqual([user('y'), user('z')])
    await theirs.clearSession()
    expect(await mine.getItems()).toEqual([])
    expect(await mine.getItemCount()).toBe(0)
  })

  it('reads a window after pops and adds interleave', async () => {
    const session = new IndexedDBSession('interleave', { dbName: freshDb() })
    await session.addItems(['1', '2', '3'].map(user))
    await session.popItem()
    await session.addItems(['4', '5'].map(user))
    await session.popItem()
    await session.addItems([user('6')])
    expect(await session.getItems()).toEqual(['1', '2', '4', '6'].map(user))
    expect(await session.getItems(3)).toEqual(['2', '4', '6'].map(user))
  })

  it('says IndexedDB is unavailable, and how to fall back, when the environment has none', async () => {
    const original = globalThis.indexedDB
    // @ts-expect-error simulating a private mode without IndexedDB
    delete globalThis.indexedDB
    try {
      const error = await new IndexedDBSession('x', { dbName: freshDb() }).getItems().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect((error as Error).message).toMatch(/use MemorySession as a fallback/)
    } finally {
      globalThis.indexedDB = original
    }
    expect(new MemorySession('fallback')).toBeInstanceOf(MemorySession)
  })

  it('reports a refused open as StorageUnavailableError with the cause', async () => {
    const refusing = {
      open: () => {
        throw new DOMException('denied', 'SecurityError')
      },
    } as unknown as IDBFactory
    const error = await new IndexedDBSession('x', { indexedDB: refusing }).addItems([user('a')]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as Error).cause).toBeInstanceOf(DOMException)
  })
})

describe('change events', () => {
  it('tells subscribers of a session about its committed changes, and database listeners about all', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('watched', { dbName })
    const other = new IndexedDBSession('other', { dbName })
    const seen: string[] = []
    const all: string[] = []
    const stop = session.subscribe((change) => seen.push(change.kind))
    const stopAll = (await import('../../src/index.js')).onSessionsChanged((change) => all.push(`${change.sessionId}:${change.kind}`), {
      dbName,
    })
    await session.addItems([user('a'), user('b')])
    await other.addItems([user('x')])
    await session.popItem()
    await session.createBranchFromTurn(1)
    await renameSession('watched', 'Title', { dbName })
    await expect(session.addItems([{ bad: true } as never])).rejects.toBeInstanceOf(InvalidItemError)
    await deleteSession('watched', { dbName })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toEqual(['add', 'pop', 'branch', 'rename', 'delete'])
    expect(all).toContain('other:add')
    stop()
    stopAll()
    await session.addItems([user('after unsubscribe')])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toHaveLength(5)
  })
})
