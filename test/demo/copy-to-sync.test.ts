// The demo's copying of chats kept before sync (demo/src/chats/copy-to-sync.ts), without a
// browser: a sync server on PGlite in-process, devices on fake-indexeddb, localStorage as a Map.
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { exportSession, IndexedDBSession, listSessions, SyncedSession, syncSessions, type AgentItem } from '../../src/index.js'
import { PostgresStore } from '../../src/server/index.js'
import { copiedIds, copyChats, type CopyTarget } from '../../demo/src/chats/copy-to-sync.js'
import { deviceOptions, testServer } from '../remote/support/server.js'

const store = new PostgresStore({})
const server = testServer(() => store)
afterAll(() => store.close())

const saved = new Map<string, string>()
beforeEach(() => {
  saved.clear()
  Object.assign(globalThis, {
    localStorage: {
      getItem: (key: string) => saved.get(key) ?? null,
      setItem: (key: string, value: string) => void saved.set(key, value),
    },
  })
})

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }) as AgentItem
let counter = 0

/** A device of `name` with chats kept before sync (one per entry) and its synced database. */
async function deviceWith(name: string, chats: Record<string, AgentItem[]>) {
  const localDb = `copy-local-${++counter}`
  for (const [sessionId, items] of Object.entries(chats)) await new IndexedDBSession(sessionId, { dbName: localDb }).addItems(items)
  const syncedDb = `copy-synced-${counter}`
  let next = 0
  const titles = new Map<string, string>()
  const target: CopyTarget = {
    session: (sessionId) => new SyncedSession(sessionId, { ...deviceOptions(server, name), dbName: syncedDb, live: false }),
    newSessionId: () => `${name}/copy-${counter}-${++next}`,
    exportChat: (sessionId) => exportSession(sessionId, { dbName: localDb }),
    setTitle: async (sessionId, title) => void titles.set(sessionId, title),
  }
  const kept = Object.keys(chats).map((sessionId) => ({ sessionId, title: sessionId }))
  /** Pushes what was copied and returns what a new device of `name` holds. */
  const onServer = async () => {
    for (const { sessions } of [await listSessions({ dbName: syncedDb })]) for (const info of sessions) await target.session(info.sessionId).sync()
    const fresh = `copy-fresh-${++counter}`
    await syncSessions({ ...deviceOptions(server, name), dbName: fresh })
    const out: AgentItem[][] = []
    for (const info of (await listSessions({ dbName: fresh })).sessions) out.push(await new IndexedDBSession(info.sessionId, { dbName: fresh }).getItems())
    return out
  }
  return { target, kept, titles, localDb, onServer }
}

describe('copying chats kept before sync (demo)', () => {
  it('copies each chat once, under a new id, with its title; the originals stay as they were', async () => {
    const one = [user('q1'), assistant('a1')]
    const two = [user('q2'), assistant('a2')]
    const device = await deviceWith('dana', { 'dana/one': one, 'dana/two': two })
    expect(await copyChats('dana', device.kept, device.target)).toEqual({ copied: 2, failed: [] })
    expect(await copyChats('dana', device.kept, device.target)).toEqual({ copied: 0, failed: [] })
    expect(copiedIds('dana')).toEqual(new Set(['dana/one', 'dana/two']))
    // New ids (a synced chat never shares its id with a local one), the titles kept.
    expect([...device.titles.values()].sort()).toEqual(['dana/one', 'dana/two'])
    for (const id of device.titles.keys()) expect(id).toMatch(/^dana\/copy-/)
    expect(await new IndexedDBSession('dana/one', { dbName: device.localDb }).getItems()).toEqual(one)
    expect((await device.onServer()).map((items) => JSON.stringify(items)).sort()).toEqual([JSON.stringify(one), JSON.stringify(two)].sort())
  })

  it('a chat that cannot be copied is named with its reason and does not stop the others', async () => {
    const device = await deviceWith('erin', { 'erin/good': [user('fine'), assistant('ok')], 'erin/bad': [user('x')] })
    const exportChat = device.target.exportChat
    device.target.exportChat = async (sessionId) => {
      const doc = await exportChat(sessionId)
      // A branch whose parent the export does not hold.
      if (doc && sessionId === 'erin/bad') doc.session.branches.push({ ...doc.session.branches[0]!, id: 'orphan', name: 'orphan', parentId: 'gone' })
      return doc
    }
    const outcome = await copyChats('erin', device.kept, device.target)
    expect(outcome.copied).toBe(1)
    expect(outcome.failed).toEqual([{ title: 'erin/bad', reason: 'a branch of it was made from a branch the export does not hold' }])
    expect(copiedIds('erin')).toEqual(new Set(['erin/good']))
    expect(await device.onServer()).toEqual([[user('fine'), assistant('ok')]])
  })

  it('a copy cut short (the page closed) is removed before the chat is copied again', async () => {
    const items = [user('q'), assistant('a')]
    const device = await deviceWith('fay', { 'fay/chat': items })
    // What a closed page leaves: the copy started, half written, not marked done.
    const partial = device.target.session('fay/partial')
    await partial.addItems([user('q')])
    saved.set('idb-agents-demo:fay:copying-to-sync', JSON.stringify({ 'fay/chat': 'fay/partial' }))
    expect(await copyChats('fay', device.kept, device.target)).toEqual({ copied: 1, failed: [] })
    expect(await partial.getInfo()).toBeUndefined()
    expect(await device.onServer()).toEqual([items])
  })
})
