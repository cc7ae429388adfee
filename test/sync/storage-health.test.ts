// storageStatus / requestPersistentStorage against a stand-in StorageManager (Node has
// none; the real one is read in Chromium in storage.browser.test.ts), and the upgrade
// event with fake-indexeddb.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { requestPersistentStorage, storageStatus } from '../../src/sync/storage-health.js'
import { onStorageUpgradeNeeded, type StorageUpgradeEvent } from '../../src/idb/database-events.js'

afterEach(() => vi.unstubAllGlobals())

function stubStorage(storage: Partial<StorageManager> | undefined) {
  vi.stubGlobal('navigator', storage === undefined ? {} : { storage })
}

describe('storage health', () => {
  it('reports usage, quota, their ratio and persistence', async () => {
    stubStorage({ estimate: async () => ({ usage: 250, quota: 1000 }), persisted: async () => false })
    expect(await storageStatus()).toEqual({ usage: 250, quota: 1000, usageRatio: 0.25, persisted: false })
  })

  it('reports unknown fields as undefined, never throws, where the Storage API is missing or fails', async () => {
    stubStorage(undefined)
    expect(await storageStatus()).toEqual({ usage: undefined, quota: undefined, usageRatio: undefined, persisted: undefined })
    stubStorage({ estimate: () => Promise.reject(new Error('SecurityError')) })
    expect(await storageStatus()).toMatchObject({ usage: undefined, persisted: undefined })
    expect(await requestPersistentStorage()).toBe(false)
  })

  it('asks for persistence only when not persistent yet, and says whether it was granted', async () => {
    const persist = vi.fn(async () => true)
    stubStorage({ persisted: async () => false, persist })
    expect(await requestPersistentStorage()).toBe(true)
    expect(persist).toHaveBeenCalledOnce()
    const never = vi.fn(async () => false)
    stubStorage({ persisted: async () => true, persist: never })
    expect(await requestPersistentStorage()).toBe(true)
    expect(never).not.toHaveBeenCalled()
    stubStorage({ persisted: async () => false, persist: async () => false })
    expect(await requestPersistentStorage()).toBe(false)
  })
})

describe('upgrade by another tab', () => {
  it('closes this tab\'s connection (the upgrade is not blocked) and tells the app', async () => {
    const dbName = `upgrade-${crypto.randomUUID()}`
    const session = new IndexedDBSession('s', { dbName })
    await session.addItems([{ role: 'user', content: 'hi' }])
    const events: StorageUpgradeEvent[] = []
    const stop = onStorageUpgradeNeeded((event) => events.push(event))
    // "Another tab" opening a newer schema; it would be blocked if our connection stayed open.
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(dbName, 1000)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
      request.onblocked = () => reject(new Error('blocked by the old connection'))
    })
    stop()
    newer.close()
    expect(events).toEqual([{ dbName, oldVersion: expect.any(Number), newVersion: 1000 }])
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(dbName)
      request.onsuccess = request.onerror = () => resolve()
    })
  })
})
