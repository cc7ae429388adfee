// The key store over fake-indexeddb. PBKDF2 runs at the real 600,000 iterations (about
// 0.25 s per derivation here), so each derivation in this file is one the test needs.
import { openDB } from 'idb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EncryptedSession, KeyStore, KeyStoreError, WrongKeyError, type Keyring } from '../../src/index.js'
import { MIN_PBKDF2_ITERATIONS } from '../../src/crypto/passphrase.js'
import { InvalidArgumentError, MemorySession, StorageUnavailableError } from '../../src/index.js'
import { rejectionOf, unique, user } from './support.js'

const PASSPHRASE = 'correct horse battery staple'

describe('KeyStore', () => {
  const name = unique('keys')
  let store: KeyStore
  let keyring: Keyring
  const inner = new MemorySession('chat')

  beforeAll(async () => {
    store = await KeyStore.open(name)
    expect(await store.exists()).toBe(false)
    keyring = await store.create(PASSPHRASE)
    await new EncryptedSession(inner, { key: keyring }).addItems([user('written before any change')])
  })
  afterAll(async () => {
    await store.destroy()
  })

  const readWith = (ring: Keyring) => new EncryptedSession(inner, { key: ring }).getItems()

  it('stores salt, iterations and wrapped keys, never a raw key or the passphrase', async () => {
    const db = await openDB(name)
    const record = await db.get('keyring', 'keyring')
    db.close()
    expect(record.passphrase.iterations).toBe(MIN_PBKDF2_ITERATIONS)
    expect(atob(record.passphrase.salt)).toHaveLength(16)
    expect(atob(record.passphrase.wrappedKey)).toHaveLength(40) // AES-KW of 32 bytes
    expect(record.dataKeys).toHaveLength(1)
    expect(record.current).toBe(keyring.currentKeyId)
    expect(JSON.stringify(record)).not.toContain('horse')
  })

  it('refuses to create a second keyring, leaving the first one working', async () => {
    const error = await rejectionOf(store.create('another passphrase'))
    expect(error).toBeInstanceOf(KeyStoreError)
    expect(error).toMatchObject({ code: 'key_store', reason: 'already_exists' })
    expect(await readWith(keyring)).toEqual([user('written before any change')])
  })

  it('rejects too few iterations and empty passphrases before touching storage', async () => {
    const fresh = await KeyStore.open(unique('keys-bad'))
    await expect(fresh.create(PASSPHRASE, { iterations: MIN_PBKDF2_ITERATIONS - 1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(fresh.create(PASSPHRASE, { iterations: 1000.5 })).rejects.toThrow(/at least 600000/)
    await expect(fresh.create('')).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(await fresh.exists()).toBe(false)
    await expect(keyring.changePassphrase('x', { iterations: 10 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(keyring.changePassphrase('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await fresh.destroy()
  })

  it('says not_found when unlocking a store that has no keyring', async () => {
    const fresh = await KeyStore.open(unique('keys-empty'))
    const error = await rejectionOf(fresh.unlock(PASSPHRASE))
    expect(error).toMatchObject({ name: 'KeyStoreError', reason: 'not_found' })
    expect((error as Error).message).toMatch(/create/)
    expect(await fresh.unlockWithDevice()).toBeUndefined()
    await fresh.destroy()
  })

  it('fails a wrong passphrase with WrongKeyError at unlock, and opens with the right one', async () => {
    const error = await rejectionOf(store.unlock('correct horse battery stapler'))
    expect(error).toBeInstanceOf(WrongKeyError)
    expect(error).toMatchObject({ code: 'wrong_key', name: 'WrongKeyError' })
    expect((error as Error).message).toMatch(/Wrong passphrase/)
    const again = await store.unlock(PASSPHRASE)
    expect(again.currentKeyId).toBe(keyring.currentKeyId)
    expect(again.unlockedWith).toBe('passphrase')
    expect(await readWith(again)).toEqual([user('written before any change')])
  })

  it('reports a damaged keyring record as corrupt and leaves it as it is', async () => {
    const other = unique('keys-corrupt')
    const damaged = await KeyStore.open(other)
    const db = await openDB(other)
    await db.put('keyring', { v: 1, passphrase: { salt: 'AAAA', iterations: 5, wrappedKey: 'AAAA' }, dataKeys: [], current: 'x' }, 'keyring')
    db.close()
    const error = await rejectionOf(damaged.unlock(PASSPHRASE))
    expect(error).toMatchObject({ name: 'KeyStoreError', reason: 'corrupt' })
    expect(await damaged.exists()).toBe(true)
    await damaged.destroy()
  })

  it('remembers the device across reopen, and forgets it in one call', async () => {
    expect(await store.hasDeviceKey()).toBe(false)
    await keyring.rememberDevice()
    const reopened = await KeyStore.open(name)
    const viaDevice = await reopened.unlockWithDevice()
    expect(viaDevice?.unlockedWith).toBe('device')
    expect(viaDevice?.currentKeyId).toBe(keyring.currentKeyId)
    expect(await readWith(viaDevice!)).toEqual([user('written before any change')])
    await reopened.forgetDevice()
    expect(await reopened.hasDeviceKey()).toBe(false)
    expect(await reopened.unlockWithDevice()).toBeUndefined()
    expect(await store.unlockWithDevice()).toBeUndefined()
    reopened.close()
  })

  it('changes the passphrase by re-wrapping one key: the new one opens, the old one does not, items untouched', async () => {
    const before = await inner.getItems()
    await keyring.changePassphrase('new passphrase ✓')
    expect(await inner.getItems()).toEqual(before) // no item re-encrypted
    const reopened = await KeyStore.open(name)
    await expect(reopened.unlock(PASSPHRASE)).rejects.toBeInstanceOf(WrongKeyError)
    const withNew = await reopened.unlock('new passphrase ✓')
    expect(await readWith(withNew)).toEqual([user('written before any change')])
    reopened.close()
  })

  it('a passphrase change that fails to store leaves the current passphrase working', async () => {
    const name2 = unique('keys-fail')
    const store2 = await KeyStore.open(name2)
    const ring2 = await store2.create(PASSPHRASE)
    store2.close() // the keyring's connection is gone: the put cannot happen
    const error = await rejectionOf(ring2.changePassphrase('never stored'))
    expect(error).toMatchObject({ name: 'KeyStoreError', reason: 'storage' })
    const reopened = await KeyStore.open(name2)
    expect((await reopened.unlock(PASSPHRASE)).currentKeyId).toBe(ring2.currentKeyId)
    await reopened.destroy()
  })
})

describe('KeyStore without IndexedDB', () => {
  it('is a StorageUnavailableError, as for sessions', async () => {
    const original = globalThis.indexedDB
    // @ts-expect-error simulating a private mode without IndexedDB
    delete globalThis.indexedDB
    try {
      await expect(KeyStore.open('no-idb')).rejects.toBeInstanceOf(StorageUnavailableError)
    } finally {
      globalThis.indexedDB = original
    }
  })
})
