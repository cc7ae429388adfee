// Two devices of one user against the real sync server (PGlite, test/support/
// sync-server-global-setup.ts), in a real browser: real IndexedDB, fetch, streams (the live
// feed) and the `online` event.
//
// FALLBACK, said plainly: the two "devices" are two IndexedDB databases in one page, not
// two browser contexts with separate storage. Each has its own database, outbox and cursor,
// and they share nothing but the server — which is what sync depends on — yet they do share
// the page's network and BroadcastChannel, which separate contexts would not.
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { EncryptedSession, listSessions, onSessionsChanged, SyncedSession, syncSessions, SyncOfflineError, type AgentItem } from '../../src/index.js'

const url = inject('syncServerUrl')
let counter = 0
const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++counter}`
const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }) as AgentItem
const turn = (label: string): AgentItem[] => [user(`${label}?`), assistant(`${label}!`)]

const opened: SyncedSession[] = []
afterEach(() => {
  for (const session of opened.splice(0)) session.close()
})

/** A fetch that fails like a dropped network while `down.value` is true. */
function flakyFetch(down: { value: boolean }): typeof fetch {
  return (input, init) => (down.value ? Promise.reject(new TypeError('Failed to fetch')) : fetch(input, init))
}

function device(userId: string, sessionId: string, dbName: string, extra: Partial<ConstructorParameters<typeof SyncedSession>[1]> = {}): SyncedSession {
  const session = new SyncedSession(sessionId, { url, headers: { authorization: `Bearer ${userId}` }, dbName, live: false, ...extra })
  opened.push(session)
  return session
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  })
}

describe('two devices (two databases in one page) through the sync server', () => {
  it('a write on one device reaches the other live, firing its change event', async () => {
    const userId = unique('live')
    const phoneDb = unique('phone')
    const laptop = device(userId, 'chat', unique('laptop'), { live: true })
    const phone = device(userId, 'chat', phoneDb, { live: true })
    const heard: string[] = []
    const stop = onSessionsChanged((change) => heard.push(change.kind), { dbName: phoneDb })
    try {
      await laptop.addItems(turn('hello'))
      await vi.waitFor(async () => expect(await phone.getItems()).toEqual(turn('hello')), { timeout: 10_000, interval: 20 })
      await vi.waitFor(() => expect(heard).toContain('add'), { timeout: 5_000 })
    } finally {
      stop()
    }
  })

  it('offline appends on both, then reconnect: equal, every turn whole, in the server order', async () => {
    const userId = unique('offline')
    const laptopDown = { value: false }
    const phoneDown = { value: false }
    const laptop = device(userId, 'chat', unique('laptop'), { fetch: flakyFetch(laptopDown) })
    const phone = device(userId, 'chat', unique('phone'), { fetch: flakyFetch(phoneDown) })
    await laptop.addItems(turn('shared'))
    await laptop.sync()
    await phone.sync()
    laptopDown.value = phoneDown.value = true
    await laptop.addItems(turn('laptop'))
    await phone.addItems(turn('phone'))
    await expect(laptop.sync()).rejects.toBeInstanceOf(SyncOfflineError)
    expect(await laptop.pendingOps()).toBe(1)
    laptopDown.value = phoneDown.value = false
    await laptop.sync()
    await phone.sync()
    await laptop.sync()
    expect(await phone.getItems()).toEqual(await laptop.getItems())
    expect((await phone.getTurns()).map((t) => [t.userText, t.itemCount])).toEqual([
      ['shared?', 2],
      ['laptop?', 2],
      ['phone?', 2],
    ])
  })

  it('encrypted, live: offline appends on both, then back online: both read every turn, sealed again where the rebase put them', async () => {
    const userId = unique('encrypted-offline')
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const down = { value: false }
    const options = { fetch: flakyFetch(down), live: true, retry: { initialMs: 20, maxMs: 200 } }
    const laptopStore = device(userId, 'secret', unique('laptop'), options)
    const phoneStore = device(userId, 'secret', unique('phone'), options)
    const laptop = new EncryptedSession(laptopStore, { key })
    const phone = new EncryptedSession(phoneStore, { key })
    await laptop.addItems(turn('shared'))
    await vi.waitFor(async () => expect(await phone.getItems()).toEqual(turn('shared')), { timeout: 10_000, interval: 20 })
    down.value = true
    await laptop.addItems(turn('laptop'))
    await phone.addItems(turn('phone'))
    down.value = false
    window.dispatchEvent(new Event('online'))
    await vi.waitFor(
      async () => {
        const seen = await laptop.getItems()
        expect(seen).toHaveLength(6)
        expect(await phone.getItems()).toEqual(seen)
        expect(await laptopStore.pendingOps()).toBe(0)
        expect(await phoneStore.pendingOps()).toBe(0)
      },
      { timeout: 15_000, interval: 50 },
    )
    const turns = (await phoneStore.getTurns()).map((t) => t.itemCount)
    expect(turns).toEqual([2, 2, 2])
    const texts = (await laptop.getItems()).filter((item) => 'role' in item && item.role === 'user').map((item) => (item as { content: string }).content)
    expect(texts[0]).toBe('shared?')
    expect(texts.slice(1).sort()).toEqual(['laptop?', 'phone?'])
  })

  it('the `online` event retries at once what failed while offline', async () => {
    const userId = unique('online')
    const down = { value: true }
    const failures: Error[] = []
    // Backoff far longer than the test: only the online event can bring the push.
    const laptop = device(userId, 'chat', unique('laptop'), { live: true, fetch: flakyFetch(down), retry: { initialMs: 600_000 }, onSyncError: (e) => failures.push(e) })
    await laptop.addItems(turn('queued'))
    await vi.waitFor(() => expect(failures.length).toBeGreaterThan(0), { timeout: 5_000 })
    down.value = false
    window.dispatchEvent(new Event('online'))
    await vi.waitFor(async () => expect(await laptop.pendingOps()).toBe(0), { timeout: 10_000, interval: 20 })
    const reader = device(userId, 'chat', unique('reader'))
    await reader.sync()
    expect(await reader.getItems()).toEqual(turn('queued'))
  })

  it('a device whose database was deleted gets every session back with syncSessions', async () => {
    const userId = unique('wiped')
    const dbName = unique('laptop')
    const first = device(userId, 'first', dbName)
    await first.addItems(turn('one'))
    await first.setTitle('First')
    await first.sync()
    const second = device(userId, 'second', dbName)
    await second.addItems(turn('two'))
    await second.sync()
    first.close()
    second.close()
    await deleteDatabase(dbName)
    await syncSessions({ url, headers: { authorization: `Bearer ${userId}` }, dbName })
    const listed = (await listSessions({ dbName })).sessions
    expect(listed.map((s) => s.sessionId).sort()).toEqual(['first', 'second'])
    expect(listed.find((s) => s.sessionId === 'first')?.title).toBe('First')
    expect(await device(userId, 'second', dbName).getItems()).toEqual(turn('two'))
  })
})
