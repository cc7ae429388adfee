// The browser discarded a damaged database (issue 12, item 7): sessions, pending input and
// the key store each report it once as StorageDataLostError and through onStorageDataLost,
// then work on the new, empty database; other databases are untouched. One suite, run on
// fake-indexeddb in Node and on the real IndexedDB in the browsers.
import { afterEach, describe, expect, it } from 'vitest'
import {
  IndexedDBSession,
  KeyStore,
  onStorageDataLost,
  PendingInputStore,
  StorageDataLostError,
  type AgentItem,
  type StorageDataLostEvent,
} from '../../../src/index.js'
import { disconnect, toLocation } from '../../../src/idb/database.js'
import { dataLossFactory, type DataLossControl } from '../../support/data-loss-factory.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const BROWSER_SAID = 'Checksum mismatch in table file.'

export function describeDataLoss(label: string, inner: () => IDBFactory): void {
  describe(`${label}: the browser discarded a damaged database`, () => {
    const created: string[] = []
    const stops: Array<() => void> = []
    afterEach(async () => {
      for (const stop of stops.splice(0)) stop()
      for (const dbName of created.splice(0)) {
        await disconnect({ dbName, factory: inner() })
        await new Promise<void>((resolve) => {
          const request = inner().deleteDatabase(dbName)
          request.onsuccess = request.onerror = request.onblocked = () => resolve()
        })
      }
    })

    function setup(): { lossy: DataLossControl; name: (label: string) => string; events: StorageDataLostEvent[] } {
      const lossy = dataLossFactory(inner())
      const events: StorageDataLostEvent[] = []
      stops.push(onStorageDataLost((event) => events.push(event)))
      const name = (what: string) => {
        const dbName = `data-loss-${what}-${Math.random().toString(36).slice(2)}`
        created.push(dbName)
        return dbName
      }
      return { lossy, name, events }
    }

    function expectLost(error: unknown, dbName: string, events: StorageDataLostEvent[]): void {
      expect(error).toBeInstanceOf(StorageDataLostError)
      expect(error).toMatchObject({ code: 'storage_data_lost', name: 'StorageDataLostError', dbName })
      expect((error as Error).message).toContain(`"${dbName}"`)
      expect((error as Error).message).toContain('Checksum mismatch in table file')
      expect(events).toEqual([{ dbName, message: (error as Error).message }])
    }

    it('sessions: the call that opened it fails once, the next call sees the empty database, other databases are untouched', async () => {
      const { lossy, name, events } = setup()
      const where = { dbName: name('sessions'), indexedDB: lossy.factory }
      const elsewhere = { dbName: name('elsewhere'), indexedDB: lossy.factory }
      const session = new IndexedDBSession('chat', where)
      const other = new IndexedDBSession('other', elsewhere)
      await session.addItems([user('kept only on this device')])
      await other.addItems([user('another database')])

      lossy.loseOnNextOpen(where.dbName, BROWSER_SAID)
      await disconnect(toLocation(where)) // the page reloads after the crash
      // Every call waiting for that open learns it; the browser said it once.
      const [first, second] = await Promise.allSettled([session.getItems(), new IndexedDBSession('chat', where).getItemCount()])
      expectLost(first.status === 'rejected' ? first.reason : first, where.dbName, events)
      expect(second).toMatchObject({ status: 'rejected', reason: first.status === 'rejected' ? first.reason : undefined })

      expect(await session.getItems()).toEqual([])
      expect(await session.getInfo()).toBeUndefined()
      await session.addItems([user('a new start')])
      expect(await new IndexedDBSession('chat', where).getItems()).toEqual([user('a new start')])
      expect(await other.getItems()).toEqual([user('another database')])
      expect(events).toHaveLength(1)
    })

    it('pending input: the call that opened it fails once, then the store works, empty', async () => {
      const { lossy, name, events } = setup()
      const dbName = name('pending')
      const store = new PendingInputStore({ dbName, indexedDB: lossy.factory })
      const target = { sessionId: 'chat', dbName: 'sessions' }
      await store.add(target, [user('unsent')])
      await store.close()

      lossy.loseOnNextOpen(dbName, BROWSER_SAID)
      expectLost(await store.list(target).catch((e: unknown) => e), dbName, events)
      expect(await store.list(target)).toEqual([])
      const kept = await store.add(target, [user('typed again')])
      expect((await store.list(target)).map((p) => p.id)).toEqual([kept.id])
      expect(events).toHaveLength(1)
    })

    it('key store: KeyStore.open fails once, the next open gives an empty key store, the sessions database is untouched', async () => {
      const { lossy, name, events } = setup()
      const keysName = name('keys')
      const sessions = { dbName: name('sessions'), indexedDB: lossy.factory }
      const session = new IndexedDBSession('chat', sessions)
      await session.addItems([user('history beside the keys')])
      const keys = await KeyStore.open(keysName, { indexedDB: lossy.factory })
      ;(await keys.create('correct horse battery staple')).close()
      expect(await keys.exists()).toBe(true)
      keys.close()

      lossy.loseOnNextOpen(keysName, BROWSER_SAID)
      expectLost(await KeyStore.open(keysName, { indexedDB: lossy.factory }).catch((e: unknown) => e), keysName, events)
      const reopened = await KeyStore.open(keysName, { indexedDB: lossy.factory })
      expect(await reopened.exists()).toBe(false)
      reopened.close()
      expect(await session.getItems()).toEqual([user('history beside the keys')])
      expect(events).toHaveLength(1)
    }, 30_000)
  })
}
