// The key store in real Chromium IndexedDB, at the real 600,000 PBKDF2 iterations.
// One keyring is shared across the tests to keep derivations few (six in this file).
import { openDB } from 'idb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EncryptedSession, KeyStore, WrongKeyError, type Keyring } from '../../src/index.js'
import { MemorySession } from '../../src/index.js'
import { deleteDatabase, rejectionOf, unique, user } from './support.js'

describe('KeyStore in Chromium', () => {
  const name = unique('browser-keys')
  let keyring: Keyring
  const inner = new MemorySession('notes')
  const readWith = (ring: Keyring) => new EncryptedSession(inner, { key: ring }).getItems()

  beforeAll(async () => {
    const store = await KeyStore.open(name)
    keyring = await store.create('first passphrase')
    await new EncryptedSession(inner, { key: keyring }).addItems([user('dear diary')])
  })
  afterAll(() => deleteDatabase(name))

  it('fails a wrong passphrase at unlock with WrongKeyError', async () => {
    const store = await KeyStore.open(name)
    const error = await rejectionOf(store.unlock('First passphrase'))
    expect(error).toBeInstanceOf(WrongKeyError)
    expect((error as WrongKeyError).cause).toBeInstanceOf(DOMException)
    store.close()
  })

  it('after a passphrase change and a reload, the new passphrase opens the store and the old one does not', async () => {
    await keyring.changePassphrase('second passphrase')
    const reopened = await KeyStore.open(name)
    expect(await rejectionOf(reopened.unlock('first passphrase'))).toBeInstanceOf(WrongKeyError)
    const ring = await reopened.unlock('second passphrase')
    expect(await readWith(ring)).toEqual([user('dear diary')])
    reopened.close()
  })

  it('keeps only wrapped keys on disk; the device key is a non-extractable CryptoKey', async () => {
    await keyring.rememberDevice()
    const db = await openDB(name)
    const record = await db.get('keyring', 'keyring')
    const device = await db.get('device', 'device')
    db.close()
    expect(Object.values(record.dataKeys[0]).some((v) => v instanceof CryptoKey)).toBe(false)
    expect(atob(record.dataKeys[0].wrapped)).toHaveLength(40)
    expect(device.key).toBeInstanceOf(CryptoKey)
    expect(device.key.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('raw', device.key)).rejects.toThrow()
  })

  it('remembers the device across a reopen without the passphrase, and forgets it in one call', async () => {
    await keyring.rememberDevice()
    const reopened = await KeyStore.open(name)
    expect(await reopened.hasDeviceKey()).toBe(true)
    const ring = await reopened.unlockWithDevice()
    expect(ring?.unlockedWith).toBe('device')
    expect(await readWith(ring!)).toEqual([user('dear diary')])
    await reopened.forgetDevice()
    reopened.close()
    const again = await KeyStore.open(name)
    expect(await again.hasDeviceKey()).toBe(false)
    expect(await again.unlockWithDevice()).toBeUndefined()
    again.close()
  })

  it('a keyring unlocked by the device can set a new passphrase (forgotten passphrase)', async () => {
    await keyring.rememberDevice()
    const store = await KeyStore.open(name)
    const viaDevice = (await store.unlockWithDevice())!
    await viaDevice.changePassphrase('third passphrase')
    await store.forgetDevice()
    const ring = await store.unlock('third passphrase')
    expect(await readWith(ring)).toEqual([user('dear diary')])
    store.close()
  })
})

describe('KeyStore.destroy in Chromium', () => {
  it('deletes the key database even while another connection to it is open', async () => {
    const name = unique('browser-destroy')
    const first = await KeyStore.open(name)
    const second = await KeyStore.open(name)
    expect(await second.exists()).toBe(false)
    await first.destroy() // `second` closes on versionchange instead of blocking the delete
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(name)
    const error = await rejectionOf(second.exists())
    expect(error).toMatchObject({ name: 'KeyStoreError', reason: 'storage' })
  })
})
