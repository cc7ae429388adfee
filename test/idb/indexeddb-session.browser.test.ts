import { openDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'
import {
  IndexedDBSession,
  InvalidItemError,
  StorageError,
  StorageQuotaError,
  UpgradeBlockedError,
  type AgentItem,
} from '../../src/index.js'
import { connect, disconnect } from '../../src/idb/database.js'
import { SESSIONS_DB } from '../../src/idb/schema.js'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'
import { expectRefusedWithHistoryKept, fillUntilRefused } from './support/fill-quota.js'
import { capabilities, lacks } from '../support/capabilities.js'

const created: string[] = []
const freshDb = (label: string) => {
  const name = `idb-browser-${label}-${Math.random().toString(36).slice(2)}`
  created.push(name)
  return name
}
const user = (text: string): AgentItem => ({ role: 'user', content: text })

afterEach(async () => {
  for (const name of created.splice(0)) {
    await disconnect({ dbName: name })
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(name)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    })
  }
})

describeSessionConformance('IndexedDBSession (Chromium)', (id) => new IndexedDBSession(id, { dbName: 'idb-conformance' }), {
  withDefaultLimit: (id, limit) => new IndexedDBSession(id, { dbName: 'idb-conformance', settings: { limit } }),
})

describe('IndexedDBSession in real Chromium', () => {
  it('keeps history after the connection is closed and the database reopened', async () => {
    const dbName = freshDb('persist')
    await new IndexedDBSession('user_123', { dbName, durability: 'strict' }).addItems([
      user('My favorite color is blue.'),
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Noted!' }] },
    ])
    await disconnect({ dbName })
    const reopened = new IndexedDBSession('user_123', { dbName })
    expect(await reopened.getItems()).toEqual([
      user('My favorite color is blue.'),
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Noted!' }] },
    ])
  })

  it('loses and duplicates nothing when two connections (page and worker) write at once', async () => {
    const dbName = freshDb('two-connections')
    const worker = new Worker(new URL('./fixtures/session-worker.ts', import.meta.url), { type: 'module' })
    const workerDone = new Promise<{ ok: boolean; error?: string }>((resolve) => {
      worker.onmessage = (event) => resolve(event.data)
    })
    const page = new IndexedDBSession('shared', { dbName })
    let addsHeard = 0
    const stop = page.subscribe((change) => {
      if (change.kind === 'add') addsHeard += 1
    })
    worker.postMessage({ dbName, sessionId: 'shared', label: 'w', batches: 25, batchSize: 4 })
    await Promise.all(
      Array.from({ length: 25 }, (_, b) =>
        page.addItems(Array.from({ length: 4 }, (_, i) => user(`p${b}-${i}`))),
      ),
    )
    expect(await workerDone).toEqual({ ok: true })
    worker.terminate()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // 25 batches from this page and 25 from the worker: the worker's were heard across realms.
    expect(addsHeard).toBe(50)
    stop()

    const stored = (await page.getItems()).map((item) => (item as { content: string }).content)
    expect(stored).toHaveLength(200)
    expect(new Set(stored).size).toBe(200)
    for (let i = 0; i < stored.length; i += 4) {
      const batch = stored[i]!.split('-')[0]
      expect(stored.slice(i, i + 4)).toEqual([0, 1, 2, 3].map((n) => `${batch}-${n}`))
    }
  })

  it('turns a full quota into StorageQuotaError, keeps all earlier history, and writes again once space is freed', async ({ skip }) => {
    // Elsewhere quota-origin.browser.test.ts fills the whole origin's (small) quota instead.
    skip(!capabilities.storageBuckets, lacks('storageBuckets'))
    // A Storage Bucket with a 2 MB quota: Chromium enforces it like a full disk.
    const bucketName = `quota-${Math.random().toString(36).slice(2)}`
    const bucket = await navigator.storageBuckets.open(bucketName, { quota: 2_000_000 })
    const where = { dbName: 'quota', indexedDB: bucket.indexedDB }
    const session = new IndexedDBSession('big', where)
    const other = new IndexedDBSession('other', where)
    await session.addItems([user('first turn')])
    await other.addItems([user('other session')])
    await expectRefusedWithHistoryKept(await fillUntilRefused(session, 50), session, other)

    await session.clearSession()
    await session.addItems([user('after freeing space')])
    expect(await session.getItems()).toEqual([user('after freeing space')])
    await disconnect(where)
    await navigator.storageBuckets.delete(bucketName)
  })

  it('closes its connection when another tab upgrades the schema, so the upgrade is not blocked', async () => {
    const dbName = freshDb('versionchange')
    await new IndexedDBSession('s', { dbName }).addItems([user('kept')])
    let blocked = false
    const upgraded = await openDB(dbName, 99, {
      blocked: () => {
        blocked = true
      },
    })
    expect(blocked).toBe(false)
    upgraded.close()
    const error = await new IndexedDBSession('s', { dbName }).getItems().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as Error).message).toMatch(/newer version of idb-agents.*Reload/)
  })

  it('reports an upgrade blocked by an old tab as UpgradeBlockedError instead of hanging', async () => {
    const dbName = freshDb('blocked')
    const oldTab = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(dbName, 1)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    const error = await connect({ dbName }, { ...SESSIONS_DB, version: SESSIONS_DB.version + 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpgradeBlockedError)
    expect((error as Error).message).toMatch(/Close or reload the other tabs/)
    oldTab.close()
  })

  it('reopens a connection the browser dropped and retries the operation once', async () => {
    const dbName = freshDb('lost')
    const session = new IndexedDBSession('s', { dbName })
    await session.addItems([user('before')])
    ;(await connect({ dbName }, SESSIONS_DB)).close()
    await session.addItems([user('after')])
    expect(await session.getItems()).toEqual([user('before'), user('after')])
  })

  it('rejects non-JSON items with the item index and path, writing nothing', async () => {
    const dbName = freshDb('bad-input')
    const session = new IndexedDBSession('s', { dbName })
    await session.addItems([user('kept')])
    const error = await session
      .addItems([user('lost'), { type: 'x', payload: new Uint8Array(2) } as never])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidItemError)
    expect((error as Error).message).toBe(
      'Cannot store item 1 at payload: a Uint8Array instance is not plain JSON. Nothing from this batch was written.',
    )
    expect(await session.getItems()).toEqual([user('kept')])
  })
})
