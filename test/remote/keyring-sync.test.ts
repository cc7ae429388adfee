// The passphrase-wrapped keyring kept on the sync server: a second device unlocks the same
// encrypted history with the passphrase alone, and the server never sees the passphrase, a
// key in clear or plain text. PBKDF2 runs at the real 600,000 iterations.
import { afterEach, expect, it } from 'vitest'
import {
  ConflictError,
  downloadKeyring,
  EncryptedSession,
  KeyStore,
  KeyStoreError,
  SyncedSession,
  uploadKeyring,
  WrongKeyError,
  type AgentItem,
} from '../../src/index.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { deviceOptions, testServer } from './support/server.js'

const PASSPHRASE = 'correct horse battery staple'
const secret: AgentItem[] = [{ role: 'user', content: 'the vault code is 4711-swordfish' }]

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step()
})

async function keyStore(name: string): Promise<KeyStore> {
  const store = await KeyStore.open(name)
  cleanup.push(() => store.destroy())
  return store
}

describeEngines('the keyring on the sync server', (engine) => {
  const server = testServer(engine.store)

  it('a second device downloads it, unlocks with the passphrase and reads the history; the server holds wrapped keys only', async () => {
    const userId = uniqueUser('keyring')
    const options = deviceOptions(server, userId)
    const laptopKeys = await keyStore(`laptop-keys-${userId}`)
    const laptopRing = await laptopKeys.create(PASSPHRASE)
    const laptopStore = new SyncedSession('vault', { ...options, dbName: `laptop-${userId}`, live: false })
    cleanup.push(() => laptopStore.close())
    await new EncryptedSession(laptopStore, { key: laptopRing }).addItems(secret)
    await laptopStore.sync()
    expect(await uploadKeyring(laptopKeys, options)).toBe(1)
    expect(await uploadKeyring(laptopKeys, options)).toBe(1) // the same keyring again: nothing written

    const serverText = await engine.store().read(async (tx) =>
      (await tx.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM idb_agents_key_records t WHERE user_id = $1`, [userId])).rows.map((r) => r.row).join('\n'),
    )
    expect(serverText).toContain('wrappedKey')
    expect(serverText).not.toContain(PASSPHRASE)
    expect(serverText).not.toMatch(/swordfish/)

    const phoneKeys = await keyStore(`phone-keys-${userId}`)
    expect(await downloadKeyring(phoneKeys, options)).toBe(true)
    await expect(phoneKeys.unlock('wrong passphrase')).rejects.toBeInstanceOf(WrongKeyError)
    const phoneRing = await phoneKeys.unlock(PASSPHRASE)
    const phoneStore = new SyncedSession('vault', { ...options, dbName: `phone-${userId}`, live: false })
    cleanup.push(() => phoneStore.close())
    await phoneStore.sync()
    expect(await new EncryptedSession(phoneStore, { key: phoneRing }).getItems()).toEqual(secret)
    expect(await downloadKeyring(phoneKeys, options)).toBe(true) // the same keyring again: a no-op
  }, 60_000)

  it('refuses to replace another keyring, on the server and on a device, changing nothing', async () => {
    const userId = uniqueUser('keyring-conflict')
    const options = deviceOptions(server, userId)
    const first = await keyStore(`first-${userId}`)
    await first.create(PASSPHRASE)
    const other = await keyStore(`other-${userId}`)
    await other.create('another passphrase')
    const empty = await keyStore(`empty-${userId}`)

    expect(await downloadKeyring(empty, options)).toBe(false) // none on the server yet
    expect(await empty.exists()).toBe(false)
    await uploadKeyring(first, options)
    const error = await uploadKeyring(other, options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as ConflictError).message).toMatch(/already holds another keyring "keyring" \(version 1\)/)
    expect(await downloadKeyring(empty, options)).toBe(true)
    await empty.unlock(PASSPHRASE) // the first device's keyring, not the other one

    const before = await other.exportKeyring()
    const refused = await downloadKeyring(other, options).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(KeyStoreError)
    expect((refused as KeyStoreError).reason).toBe('already_exists')
    expect(await other.exportKeyring()).toEqual(before)
    await other.unlock('another passphrase')
  }, 60_000)

  it('after a passphrase change, replace: true stores the new keyring; a new device unlocks with the new passphrase', async () => {
    const userId = uniqueUser('keyring-change')
    const options = deviceOptions(server, userId)
    const laptop = await keyStore(`change-laptop-${userId}`)
    const ring = await laptop.create(PASSPHRASE)
    expect(await uploadKeyring(laptop, options)).toBe(1)
    await ring.changePassphrase('a new passphrase')
    await expect(uploadKeyring(laptop, options)).rejects.toBeInstanceOf(ConflictError) // not without replace
    expect(await uploadKeyring(laptop, { ...options, replace: true })).toBe(2)
    const phone = await keyStore(`change-phone-${userId}`)
    expect(await downloadKeyring(phone, options)).toBe(true)
    await expect(phone.unlock(PASSPHRASE)).rejects.toBeInstanceOf(WrongKeyError)
    await phone.unlock('a new passphrase')
  }, 60_000)

  it('refuses a server record that is not a keyring with KeyStoreError, storing nothing', async () => {
    const userId = uniqueUser('keyring-bad')
    const options = deviceOptions(server, userId)
    await engine.store().putKeyRecord(userId, 'keyring', { v: 1, not: 'a keyring' }, null)
    const store = await keyStore(`bad-${userId}`)
    const error = await downloadKeyring(store, options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyStoreError)
    expect((error as KeyStoreError).reason).toBe('corrupt')
    expect(await store.exists()).toBe(false)
  })
})
