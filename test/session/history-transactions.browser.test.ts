// The history-transaction and advanced-session suites on real IndexedDB and WebCrypto:
// IndexedDBSession and EncryptedSession over it, each test's second session object a
// "reload" over the same database.
import { afterAll } from 'vitest'
import { disconnect } from '../../src/idb/database.js'
import { EncryptedSession, IndexedDBSession } from '../../src/index.js'
import { describeAdvancedSession, describeHistoryTransactions, type AdvancedHistorySession, type HistoryTransactionSession } from '../../src/testing/vitest/index.js'

const dbName = `history-tx-browser-${Math.random().toString(36).slice(2)}`
const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])

describeHistoryTransactions('IndexedDBSession (browser)', (id) => new IndexedDBSession(id, { dbName }))
describeHistoryTransactions('EncryptedSession over IndexedDBSession (browser)', (id) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key }) as unknown as HistoryTransactionSession)
describeAdvancedSession('IndexedDBSession (browser)', (id) => new IndexedDBSession(id, { dbName }))
describeAdvancedSession('EncryptedSession over IndexedDBSession (browser)', (id) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key }) as AdvancedHistorySession)

afterAll(async () => {
  await disconnect({ dbName })
  indexedDB.deleteDatabase(dbName)
})
