// The quota checks of indexeddb.browser.test.ts for engines without Storage Buckets: here the
// whole origin's quota is the small one (Firefox, whose provider lowers its temporary-storage
// limit so that the origin gets 10 MB).
// Writing again after freeing space at a completely full origin quota is in
// free-space.browser.test.ts.
import { afterEach, describe, it } from 'vitest'
import { IndexedDBSession } from '../../src/index.js'
import { disconnect } from '../../src/idb/database.js'
import { capabilities, lacks, originQuota } from '../support/capabilities.js'
import { expectRefusedWithHistoryKept, fillUntilRefused, user } from './support/fill-quota.js'

const created: string[] = []
afterEach(async () => {
  for (const dbName of created.splice(0)) {
    await disconnect({ dbName })
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(dbName)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    })
  }
})

function sessions() {
  const dbName = `quota-origin-${Math.random().toString(36).slice(2)}`
  created.push(dbName)
  return { session: new IndexedDBSession('big', { dbName }), other: new IndexedDBSession('other', { dbName }) }
}

describe('IndexedDBSession at a full origin quota', () => {
  it('turns a full quota into StorageQuotaError and keeps all earlier history', async ({ skip }) => {
    skip(!capabilities.smallOriginQuota, lacks('smallOriginQuota'))
    const { session, other } = sessions()
    await session.addItems([user('first turn')])
    await other.addItems([user('other session')])
    await expectRefusedWithHistoryKept(await fillUntilRefused(session, Math.ceil((2 * originQuota!) / (240 * 1024))), session, other)
  }, 120_000)
})
