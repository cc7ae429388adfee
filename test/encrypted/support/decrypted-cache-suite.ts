// Decrypted items kept in memory (`decryptedCacheSize`): a window read or written before is
// read again without WebCrypto, each read gets its own copies, the newest items are kept when a
// window is larger than the cache, and an envelope changed in the store is decrypted (and
// refused) as it would be without the cache. Run in Node (fake-indexeddb, Node's WebCrypto)
// and in the real browsers, over IndexedDBSession.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  DecryptionError,
  EncryptedSession,
  IndexedDBSession,
  InvalidArgumentError,
  WrongKeyError,
  type AgentItem,
  type DataKeyProvider,
  type EncryptedSessionOptions,
} from '../../../src/index.js'
import { flipBit, rejectionOf, unique, user } from '../../crypto/support.js'
import { readRaw, tamper } from './raw-idb.js'

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

export interface DecryptedCacheContext {
  dbName: string
  key: DataKeyProvider
}

/** Registers the decrypted-cache tests on `context.dbName`. */
export function describeDecryptedCache(name: string, context: DecryptedCacheContext): void {
  const { dbName, key } = context
  const open = (id: string, options: Partial<EncryptedSessionOptions> = {}) =>
    new EncryptedSession(new IndexedDBSession(id, { dbName }), { key, ...options })

  /** Counts WebCrypto decryptions from now on. */
  function countDecryptions(): () => number {
    const spy = vi.spyOn(crypto.subtle, 'decrypt')
    return () => spy.mock.calls.length
  }
  afterEach(() => {
    vi.restoreAllMocks()
  })

  /** Three turns (six items) written by a session of their own; returns the id and the items. */
  async function threeTurns() {
    const id = unique('cache')
    const items = [user('q1'), assistant('a1'), user('q2'), assistant('a2'), user('q3'), assistant('a3')]
    const writer = open(id)
    for (let i = 0; i < items.length; i += 2) await writer.addItems(items.slice(i, i + 2))
    return { id, items, writer }
  }

  describe(`${name}: decrypted items kept in memory`, () => {
    it('reads what it wrote, and a window it read before, without decrypting', async () => {
      const { id, items, writer } = await threeTurns()
      const decryptions = countDecryptions()
      expect(await writer.getItems()).toEqual(items)
      expect(decryptions()).toBe(0)
      const reader = open(id) // a new session object: nothing kept yet
      expect(await reader.getItems()).toEqual(items)
      expect(decryptions()).toBe(6)
      expect(await reader.getItems(4)).toEqual(items.slice(2))
      expect(await reader.getItems()).toEqual(items)
      expect(decryptions()).toBe(6)
      await writer.addItems([user('q4'), assistant('a4')])
      expect(await reader.getItems()).toEqual([...items, user('q4'), assistant('a4')])
      expect(decryptions()).toBe(8) // only what another session wrote
    })

    it('hands each read its own copies: changing one changes nothing kept', async () => {
      const { items, writer } = await threeTurns()
      const first = await writer.getItems()
      ;(first[1] as { content: Array<{ text: string }> }).content[0]!.text = 'changed by the caller'
      first.push(user('pushed by the caller'))
      const second = await writer.getItems()
      expect(second).toEqual(items)
      expect(second[1]).not.toBe(first[1])
    })

    it('decryptedCacheSize: 0 decrypts every read', async () => {
      const { id, items } = await threeTurns()
      const decryptions = countDecryptions()
      const reader = open(id, { decryptedCacheSize: 0 })
      expect(await reader.getItems()).toEqual(items)
      expect(await reader.getItems()).toEqual(items)
      await reader.addItems([user('q4')])
      expect(await reader.getItems(1)).toEqual([user('q4')])
      expect(decryptions()).toBe(13)
    })

    it('keeps the newest items of a window larger than the cache, read after read', async () => {
      const { id, items } = await threeTurns()
      const decryptions = countDecryptions()
      const reader = open(id, { decryptedCacheSize: 4 })
      expect(await reader.getItems()).toEqual(items)
      expect(decryptions()).toBe(6)
      expect(await reader.getItems()).toEqual(items)
      expect(decryptions()).toBe(8) // the two oldest, not kept
      expect(await reader.getItems()).toEqual(items)
      expect(decryptions()).toBe(10) // and not kept in place of the newest four either
      expect(await reader.getItems(4)).toEqual(items.slice(2))
      expect(decryptions()).toBe(10)
    })

    it('decrypts an envelope changed in the store, and refuses it as without the cache', async () => {
      const { id, writer } = await threeTurns()
      await writer.getItems()
      await tamper(dbName, id, ({ rows }) => {
        rows.get(3)!.item.ct = flipBit(rows.get(3)!.item.ct) // same IV, other ciphertext
      })
      const decryptions = countDecryptions()
      const error = await rejectionOf(writer.getItems())
      expect(error).toBeInstanceOf(DecryptionError)
      expect(error).toMatchObject({ reason: 'authentication', index: 3 })
      expect(decryptions()).toBe(1)
      expect(await rejectionOf(open(id, { decryptedCacheSize: 0 }).getItems())).toMatchObject({ reason: 'authentication', index: 3 })
    })

    it('an envelope moved to another position is out of place, from memory too', async () => {
      const { id, writer } = await threeTurns()
      await writer.getItems()
      await tamper(dbName, id, ({ rows }) => {
        const [two, four] = [rows.get(2)!.item, rows.get(4)!.item]
        rows.get(2)!.item = four
        rows.get(4)!.item = two
      })
      const decryptions = countDecryptions()
      expect(await rejectionOf(writer.getItems())).toMatchObject({ name: 'DecryptionError', reason: 'out_of_place', index: 2, expectedPosition: 2, foundPosition: 4 })
      expect(decryptions()).toBe(0)
    })

    it('a time or role marker changed in clear is decrypted, and fails its authentication', async () => {
      const { id, writer } = await threeTurns()
      await writer.getItems()
      await tamper(dbName, id, ({ rows }) => {
        rows.get(0)!.item.at += 1
        delete rows.get(2)!.item.role
      })
      const error = (await rejectionOf(writer.getItems())) as DecryptionError
      expect(error).toMatchObject({ reason: 'authentication', index: 0 })
      const skipping = await open(id, { onUndecryptable: 'skip' }).getItems()
      expect(skipping).toEqual([assistant('a1'), assistant('a2'), user('q3'), assistant('a3')])
    })

    it('still asks the keyring for each key: one it no longer holds is WrongKeyError', async () => {
      const { id, items } = await threeTurns()
      let holding = true
      const fickle: DataKeyProvider = {
        currentKey: () => key.currentKey(),
        keyById: async (kid) => (holding ? key.keyById(kid) : undefined),
      }
      const reader = open(id, { key: fickle })
      expect(await reader.getItems()).toEqual(items)
      holding = false
      expect(await rejectionOf(reader.getItems())).toBeInstanceOf(WrongKeyError)
    })

    it('refuses a decryptedCacheSize that is not a whole number of items, before touching the store', async () => {
      const { id } = await threeTurns()
      const before = await readRaw(dbName, id)
      for (const size of [-1, 1.5, Number.NaN, Infinity, '10' as unknown as number]) {
        expect(() => open(id, { decryptedCacheSize: size })).toThrow(InvalidArgumentError)
        expect(() => open(id, { decryptedCacheSize: size })).toThrow(/decryptedCacheSize must be a whole number/)
      }
      expect(await readRaw(dbName, id)).toEqual(before)
    })
  })
}
