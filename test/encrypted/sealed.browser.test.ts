// Position-bound envelopes, their migration, two writers at once and sealed titles, in the
// real browsers: real IndexedDB, real WebCrypto, a Keyring from a real key store (one PBKDF2
// derivation for the file). The same suites run in Node on fake-indexeddb.
import { afterAll, describe, expect, it } from 'vitest'
import { EncryptedSession, IndexedDBSession, KeyStore } from '../../src/index.js'
import { deleteDatabase, newDataKey, unique, user } from '../crypto/support.js'
import { describeLegacyMigration } from './support/migration-suite.js'
import { describePositionBinding } from './support/position-suite.js'
import { describeSealedTitles } from './support/titles-suite.js'
import { describeTwoWriters, expectWholeHistory, writeTurns } from './support/writers-suite.js'

const keysName = unique('sealed-keys')
const dbName = unique('sealed-db')
const migrationDb = unique('sealed-migration')
const store = await KeyStore.open(keysName)
const keyring = await store.create('a long and private passphrase for sealed labels')
const otherKey = await newDataKey()

afterAll(async () => {
  await store.destroy()
  for (const name of [dbName, migrationDb]) await deleteDatabase(name)
})

describePositionBinding('EncryptedSession over IndexedDBSession (browser)', { dbName, key: keyring })
describeTwoWriters('EncryptedSession over IndexedDBSession (browser)', { dbName, key: keyring })
describeLegacyMigration('EncryptedSession over IndexedDBSession (browser)', { dbName: migrationDb })
describeSealedTitles('EncryptedSession over IndexedDBSession (browser)', { dbName, key: keyring, otherKey })

describe('EncryptedSession: a page and a worker writing at once (browser)', () => {
  it('over their own connections: nothing lost, nothing sealed out of place', async () => {
    const key = await newDataKey()
    const id = unique('worker-writers')
    const stored = new IndexedDBSession(id, { dbName })
    const page = new EncryptedSession(stored, { key })
    await page.addItems([user('start')])
    await page.getItems()
    const worker = new Worker(new URL('./fixtures/encrypted-writer-worker.ts', import.meta.url), { type: 'module' })
    const done = new Promise<{ ok: boolean; error?: string }>((resolve) => {
      worker.onmessage = (event) => resolve(event.data)
    })
    worker.postMessage({ dbName, sessionId: id, key, label: 'w', turns: 20 })
    await writeTurns(page, 'p', 20)
    expect(await done).toEqual({ ok: true })
    worker.terminate()
    await expectWholeHistory(new EncryptedSession(new IndexedDBSession(id, { dbName }), { key }), stored, ['p', 'w'], 20, 1)
  })
})
