// Full key rotation over fake-indexeddb + MemorySession. One PBKDF2 derivation (create);
// "reloads" unlock again through the remembered device key, which costs none.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { EncryptedSession, KeyStore, rotateDataKey, type Keyring } from '../../src/index.js'
import { type EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { MemorySession } from '../../src/index.js'
import { unique, user } from '../crypto/support.js'

const kids = async (inner: MemorySession) => ((await inner.getItems()) as unknown as EncryptedEnvelope[]).map((e) => e.kid)

describe('rotateDataKey', () => {
  const name = unique('rotation-keys')
  let store: KeyStore
  let keyring: Keyring

  beforeAll(async () => {
    store = await KeyStore.open(name)
    keyring = await store.create('rotation passphrase')
    await keyring.rememberDevice()
  })
  afterAll(async () => {
    await store.destroy()
  })

  /** A fresh keyring object, as after a page reload. */
  const reload = async (): Promise<Keyring> => (await (await KeyStore.open(name)).unlockWithDevice())!

  async function sessions(count: number, ring: Keyring) {
    const inners = Array.from({ length: count }, (_, i) => new MemorySession(unique(`rot-${i}`)))
    for (const [i, inner] of inners.entries()) {
      await new EncryptedSession(inner, { key: ring }).addItems([user(`s${i} a`), user(`s${i} b`)])
    }
    return inners
  }
  const open = (inners: MemorySession[], ring: Keyring) => inners.map((inner) => new EncryptedSession(inner, { key: ring }))

  it('re-encrypts every item with a new key and drops the old one', async () => {
    const inners = await sessions(2, keyring)
    const oldKid = keyring.currentKeyId
    const progress: number[] = []
    const result = await rotateDataKey(keyring, open(inners, keyring), (p) => progress.push(p.done))
    expect(result.reencrypted).toBe(4)
    expect(progress).toEqual([1, 2])
    expect(keyring.currentKeyId).not.toBe(oldKid)
    expect(keyring.keyIds).toEqual([keyring.currentKeyId])
    expect(keyring.rotation).toBeUndefined()
    for (const inner of inners) expect(await kids(inner)).toEqual([keyring.currentKeyId, keyring.currentKeyId])
    const fresh = await reload()
    expect(fresh.keyIds).toEqual([keyring.currentKeyId])
    expect(await open(inners, fresh)[1]!.getItems()).toEqual([user('s1 a'), user('s1 b')])
  })

  it('interrupted half way, every item stays readable, and a second call resumes with the same key', async () => {
    const inners = await sessions(2, keyring)
    const oldKid = keyring.currentKeyId
    const begun = await keyring.beginRotation()
    expect(begun.from).toEqual([oldKid])
    await open(inners, keyring)[0]!.reencryptItems() // the page dies after the first session
    await open(inners, keyring)[1]!.addItems([user('s1 written mid-rotation')])

    const afterReload = await reload()
    expect(afterReload.rotation).toEqual(begun)
    expect([...afterReload.keyIds].sort()).toEqual([oldKid, begun.to].sort())
    expect(await kids(inners[0]!)).toEqual([begun.to, begun.to])
    expect(await kids(inners[1]!)).toEqual([oldKid, oldKid, begun.to])
    expect(await open(inners, afterReload)[1]!.getItems()).toEqual([user('s1 a'), user('s1 b'), user('s1 written mid-rotation')])

    const result = await rotateDataKey(afterReload, open(inners, afterReload))
    expect(result.rotation).toEqual(begun)
    expect(result.reencrypted).toBe(2)
    expect(afterReload.keyIds).toEqual([begun.to])
    for (const inner of inners) expect(new Set(await kids(inner))).toEqual(new Set([begun.to]))
    expect(await open(inners, afterReload)[0]!.getItems()).toEqual([user('s0 a'), user('s0 b')])
  })

  it('a session whose rewrite fails is left whole under the old key, and the old key is kept', async () => {
    const inners = await sessions(2, keyring)
    const oldKid = keyring.currentKeyId
    const failing = inners[1]!
    const rewrite = failing.rewriteItems.bind(failing)
    failing.rewriteItems = async () => {
      throw new Error('quota exceeded')
    }
    await expect(rotateDataKey(keyring, open(inners, keyring))).rejects.toThrow('quota exceeded')
    expect(await kids(failing)).toEqual([oldKid, oldKid])
    expect(keyring.keyIds).toContain(oldKid)
    expect(await open(inners, await reload())[1]!.getItems()).toEqual([user('s1 a'), user('s1 b')])
    failing.rewriteItems = rewrite
    await rotateDataKey(keyring, open(inners, keyring))
    expect(keyring.keyIds).toEqual([keyring.currentKeyId])
    expect(await open(inners, keyring)[1]!.getItems()).toEqual([user('s1 a'), user('s1 b')])
  })

  it('a keyring unlocked before another tab rotated reads items under the new key', async () => {
    const stale = await reload()
    stale.close() // as if the other tab never heard of the rotation
    const inners = await sessions(1, keyring)
    await rotateDataKey(keyring, open(inners, keyring))
    expect(stale.keyIds).not.toContain(keyring.currentKeyId)
    expect(await open(inners, stale)[0]!.getItems()).toEqual([user('s0 a'), user('s0 b')])
    expect(stale.currentKeyId).toBe(keyring.currentKeyId)
  })

  it('items written under the old key by a lagging tab during the rotation are caught before the old key goes', async () => {
    const [inner] = await sessions(1, keyring)
    const oldKid = keyring.currentKeyId
    const session = new EncryptedSession(inner!, { key: keyring })
    await session.addItems([user('late write')])
    const lateEnvelope = (await inner!.getItems(1))[0]!
    await inner!.popItem()
    let injected = false
    const lagging = {
      sessionId: session.sessionId,
      async reencryptItems() {
        const count = await session.reencryptItems()
        if (!injected) {
          injected = true
          await inner!.addItems([lateEnvelope]) // the other tab's write lands after this session was done
        }
        return count
      },
    }
    const result = await rotateDataKey(keyring, [lagging])
    expect(result.reencrypted).toBe(3)
    expect(keyring.keyIds).not.toContain(oldKid)
    expect(new Set(await kids(inner!))).toEqual(new Set([keyring.currentKeyId]))
    expect(await session.getItems()).toEqual([user('s0 a'), user('s0 b'), user('late write')])
  })

  it('other keyring objects hear of a rotation and switch to the new key', async () => {
    const other = await reload()
    const inners = await sessions(1, keyring)
    await rotateDataKey(keyring, open(inners, keyring))
    await vi.waitFor(() => expect(other.keyIds).toEqual([keyring.currentKeyId]))
    expect(other.currentKeyId).toBe(keyring.currentKeyId)
    other.close()
  })

  it('a passphrase change does not disturb rotation state or keys', async () => {
    const inners = await sessions(1, keyring)
    const begun = await keyring.beginRotation()
    await keyring.changePassphrase('rotation passphrase 2')
    const after = await reload()
    expect(after.rotation).toEqual(begun)
    await rotateDataKey(after, open(inners, after))
    expect(await open(inners, after)[0]!.getItems()).toEqual([user('s0 a'), user('s0 b')])
  })
})
