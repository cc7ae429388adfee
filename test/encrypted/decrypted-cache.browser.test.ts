// Decrypted items kept in memory, in the real browsers: real IndexedDB, real WebCrypto, a
// Keyring from a real key store. The same suite runs in Node on fake-indexeddb.
import { afterAll } from 'vitest'
import { KeyStore } from '../../src/index.js'
import { deleteDatabase, unique } from '../crypto/support.js'
import { describeDecryptedCache } from './support/decrypted-cache-suite.js'

const keysName = unique('cache-keys')
const dbName = unique('cache-db')
const store = await KeyStore.open(keysName)
const keyring = await store.create('a long and private passphrase for the cache')

afterAll(async () => {
  await store.destroy()
  await deleteDatabase(dbName)
})

describeDecryptedCache('EncryptedSession over IndexedDBSession (browser)', { dbName, key: keyring })
