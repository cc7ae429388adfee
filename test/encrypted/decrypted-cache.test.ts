// Decrypted items kept in memory, in Node: the shared suite on fake-indexeddb, and the limit
// on characters kept (too slow to fill in every browser). decrypted-cache.browser.test.ts runs
// the suite in the real browsers.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedSession, IndexedDBSession, KeyStore } from '../../src/index.js'
import { OPENED_ITEMS_MAX_CHARS } from '../../src/encrypted/opened-items.js'
import { unique, user } from '../crypto/support.js'
import { describeDecryptedCache } from './support/decrypted-cache-suite.js'

const store = await KeyStore.open(unique('cache-keys'))
const keyring = await store.create('a long and private passphrase for the cache')
const dbName = unique('cache-db')

describeDecryptedCache('EncryptedSession over IndexedDBSession (fake-indexeddb)', { dbName, key: keyring })

describe('decrypted items kept in memory: the limit on characters', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it(`keeps at most ${OPENED_ITEMS_MAX_CHARS} characters of JSON, the newest items first, and no item larger than that`, async () => {
    const id = unique('big')
    const session = new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: keyring })
    const third = Math.floor(OPENED_ITEMS_MAX_CHARS / 3)
    const big = [user('a'.repeat(third)), user('b'.repeat(third)), user('c'.repeat(third)), user('d'.repeat(third))]
    for (const item of big) await session.addItems([item]) // each ~1/3 of the limit: the newest two fit
    const decryptions = vi.spyOn(crypto.subtle, 'decrypt')
    expect(await session.getItems()).toEqual(big)
    expect(decryptions).toHaveBeenCalledTimes(2) // the oldest two were dropped
    const huge = user('e'.repeat(OPENED_ITEMS_MAX_CHARS))
    await session.addItems([huge])
    expect(await session.getItems(1)).toEqual([huge])
    expect(await session.getItems(1)).toEqual([huge])
    expect(decryptions).toHaveBeenCalledTimes(4) // never kept: decrypted on each read
  })
})
