// EncryptedSession over MemorySession with caller-supplied CryptoKeys: the logic, with no
// PBKDF2 at all. Key stores and IndexedDB are covered in test/crypto and the browser suite.
import { describe, expect, it } from 'vitest'
import { DecryptionError, EncryptedSession, WrongKeyError } from '../../src/index.js'
import { type EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { InvalidArgumentError, InvalidItemError, isReplaceableSession, MemorySession, type AgentItem, type Session } from '../../src/index.js'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'
import { dump, flipBit, newDataKey, rejectionOf, unique, user } from '../crypto/support.js'
import { PlainSession } from '../session/support/plain-session.js'

const sharedKey = await newDataKey()
const stores = new Map<string, MemorySession>()
describeSessionConformance('EncryptedSession over MemorySession', (id) => {
  const inner = stores.get(id) ?? new MemorySession(id)
  stores.set(id, inner)
  return new EncryptedSession(inner, { key: sharedKey })
}, { withDefaultLimit: (id, limit) => new EncryptedSession(new MemorySession(id, { settings: { limit } }), { key: sharedKey }) })


async function setup(options: { onUndecryptable?: 'throw' | 'skip'; ttl?: number; now?: () => number } = {}) {
  const key = await newDataKey()
  const inner = new MemorySession(unique('enc'))
  const session = new EncryptedSession(inner, { key, ...options })
  return { key, inner, session }
}

const raw = async (inner: Session) => (await inner.getItems()) as unknown as EncryptedEnvelope[]

describe('EncryptedSession', () => {
  it('stores only envelopes: no content or type in clear; only a user message says it is one', async () => {
    const { inner, session } = await setup()
    await session.addItems([
      { role: 'user', content: 'my secret diagnosis' },
      { type: 'function_call', call_id: 'call_9', name: 'lookup_patient', arguments: '{"ssn":"123-45-6789"}' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'the diagnosis is private' }] },
    ])
    const stored = await raw(inner)
    expect(stored).toHaveLength(3)
    expect(Object.keys(stored[0]!).sort()).toEqual(['at', 'ct', 'iv', 'kid', 'pos', 'role', 'type', 'v'])
    expect(stored[0]).toMatchObject({ type: 'encrypted', v: 3, pos: 0, role: 'user' })
    for (const envelope of stored.slice(1)) expect(Object.keys(envelope).sort()).toEqual(['at', 'ct', 'iv', 'kid', 'pos', 'type', 'v'])
    expect(stored.map((envelope) => envelope.pos)).toEqual([0, 1, 2])
    expect(dump(stored)).not.toMatch(/secret|diagnosis|lookup_patient|call_9|6789|function_call|assistant|message|output_text|private/)
    expect(dump(stored.slice(1))).not.toMatch(/user/)
    expect((await session.getItems(2))[0]).toEqual({ type: 'function_call', call_id: 'call_9', name: 'lookup_patient', arguments: '{"ssn":"123-45-6789"}' })
  })

  it('implements replaceItems exactly when the underlying session does', async () => {
    const { session } = await setup()
    expect(isReplaceableSession(session)).toBe(true)
    const appendOnly = new EncryptedSession(new PlainSession('a'), { key: await newDataKey() })
    expect(isReplaceableSession(appendOnly)).toBe(false)
    await expect(appendOnly.migratePlaintextItems()).rejects.toThrow(/needs an underlying session with rewriteItems or replaceItems/)
  })

  it('replaceItems swaps the history atomically; a bad batch keeps the old one', async () => {
    const { inner, session } = await setup()
    await session.addItems([user('old')])
    const before = await inner.getItems()
    const error = await rejectionOf(session.replaceItems!([user('new'), { role: 'user', content: 'x', f: () => 1 } as never]))
    expect(error).toBeInstanceOf(InvalidItemError)
    expect(await inner.getItems()).toEqual(before)
    await session.replaceItems!([user('new 1'), user('new 2')])
    expect(await session.getItems()).toEqual([user('new 1'), user('new 2')])
  })

  it('keeps call order: a read sees the writes made before it, pops follow adds', async () => {
    const { session } = await setup()
    const add1 = session.addItems([user('a')])
    const add2 = session.addItems([user('b'), user('c')])
    const popped = session.popItem()
    const read = session.getItems()
    await Promise.all([add1, add2])
    expect(await popped).toEqual(user('c'))
    expect(await read).toEqual([user('a'), user('b')])
  })

  it('rejects bad options and keys with InvalidArgumentError', async () => {
    const inner = new MemorySession('opts')
    const kw = await crypto.subtle.generateKey({ name: 'AES-KW', length: 256 }, false, ['wrapKey'])
    const gcm128 = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt'])
    const key = await newDataKey()
    expect(() => new EncryptedSession(inner, { key: kw })).toThrow(/not AES-GCM-256/)
    expect(() => new EncryptedSession(inner, { key: gcm128 })).toThrow(InvalidArgumentError)
    expect(() => new EncryptedSession(inner, { key: {} as never })).toThrow(/Keyring/)
    expect(() => new EncryptedSession(inner, { key, ttl: -1 })).toThrow(/ttl/)
    expect(() => new EncryptedSession(inner, { key, ttl: Number.NaN })).toThrow(/ttl/)
    expect(() => new EncryptedSession(inner, { key, onUndecryptable: 'ignore' as never })).toThrow(/onUndecryptable/)
    expect(() => new EncryptedSession(null as never, { key })).toThrow(InvalidArgumentError)
  })
})

describe('EncryptedSession with the wrong key', () => {
  it('throws WrongKeyError on read, and on write before writing anything, even with skip', async () => {
    const { inner, session } = await setup()
    await session.addItems([user('hello'), user('world')])
    const before = await inner.getItems()
    for (const onUndecryptable of ['throw', 'skip'] as const) {
      const wrong = new EncryptedSession(inner, { key: await newDataKey(), onUndecryptable })
      const error = await rejectionOf(wrong.getItems())
      expect(error).toBeInstanceOf(WrongKeyError)
      expect((error as WrongKeyError).keyId).toBe(before[0] && (before[0] as unknown as EncryptedEnvelope).kid)
      expect(await rejectionOf(wrong.addItems([user('overwrite?')]))).toBeInstanceOf(WrongKeyError)
      expect(await rejectionOf(wrong.replaceItems!([user('overwrite?')]))).toBeInstanceOf(WrongKeyError)
      expect(await rejectionOf(wrong.popItem())).toBeInstanceOf(WrongKeyError)
    }
    expect(await inner.getItems()).toEqual(before)
    expect(await session.getItems()).toEqual([user('hello'), user('world')])
  })
})

describe('EncryptedSession with damaged items', () => {
  async function damaged(change: (envelope: EncryptedEnvelope) => EncryptedEnvelope, onUndecryptable: 'throw' | 'skip' = 'throw') {
    const { inner, key } = await setup()
    const writer = new EncryptedSession(inner, { key })
    await writer.addItems([user('one'), user('two'), user('three')])
    const stored = await raw(inner)
    stored[1] = change(stored[1]!)
    await inner.replaceItems(stored as never)
    return { inner, session: new EncryptedSession(inner, { key, onUndecryptable }) }
  }

  const cases: Array<[string, (e: EncryptedEnvelope) => EncryptedEnvelope, string]> = [
    ['tampered ciphertext', (e) => ({ ...e, ct: flipBit(e.ct) }), 'authentication'],
    ['truncated ciphertext', (e) => ({ ...e, ct: btoa(atob(e.ct).slice(0, -3)) }), 'authentication'],
    ['changed time', (e) => ({ ...e, at: e.at - 1 }), 'authentication'],
    ['broken iv', (e) => ({ ...e, iv: '###' }), 'malformed'],
    ['newer format', (e) => ({ ...e, v: 4 }), 'unsupported_version'],
  ]
  for (const [what, change, reason] of cases) {
    it(`${what}: DecryptionError naming the item, nothing changed`, async () => {
      const { inner, session } = await damaged(change)
      const before = await inner.getItems()
      const error = await rejectionOf(session.getItems())
      expect(error).toBeInstanceOf(DecryptionError)
      expect(error).toMatchObject({ code: 'decryption_failed', sessionId: inner.sessionId, index: 1, windowSize: 3, reason })
      expect((error as Error).message).toContain(`Item 1 of 3 read from session "${inner.sessionId}"`)
      expect(await inner.getItems()).toEqual(before)
      const windowed = await rejectionOf(session.getItems(2))
      expect(windowed).toMatchObject({ index: 0, windowSize: 2 })
      expect(await session.getItems(1)).toEqual([user('three')])
    })
  }

  it("onUndecryptable: 'skip' returns the other items", async () => {
    const { session } = await damaged((e) => ({ ...e, ct: flipBit(e.ct) }), 'skip')
    expect(await session.getItems()).toEqual([user('one'), user('three')])
  })

  it('popItem does not remove an item it cannot decrypt, whatever the mode', async () => {
    for (const mode of ['throw', 'skip'] as const) {
      const { inner, key } = await setup()
      await new EncryptedSession(inner, { key }).addItems([user('one'), user('two')])
      const stored = await raw(inner)
      stored[1] = { ...stored[1]!, ct: flipBit(stored[1]!.ct) }
      await inner.replaceItems(stored as never)
      const session = new EncryptedSession(inner, { key, onUndecryptable: mode })
      expect(await rejectionOf(session.popItem())).toMatchObject({ name: 'DecryptionError', index: 0, windowSize: 1 })
      expect(await inner.getItems()).toEqual(stored)
    }
  })

  it('an envelope copied into another session fails there, even under the same key', async () => {
    const key = await newDataKey()
    const alice = new MemorySession('alice')
    const bob = new MemorySession('bob')
    await new EncryptedSession(alice, { key }).addItems([user('for alice only')])
    await new EncryptedSession(bob, { key }).addItems([user('bob 1')])
    await bob.addItems(await alice.getItems())
    const error = await rejectionOf(new EncryptedSession(bob, { key }).getItems())
    expect(error).toMatchObject({ name: 'DecryptionError', sessionId: 'bob', index: 1, reason: 'authentication' })
    expect(await new EncryptedSession(bob, { key, onUndecryptable: 'skip' }).getItems()).toEqual([user('bob 1')])
  })
})

describe('EncryptedSession ttl', () => {
  it('hides items older than ttl, and purgeExpired deletes only those', async () => {
    let now = 1_000_000
    const { inner, session } = await setup({ ttl: 60_000, now: () => now })
    await session.addItems([user('old 1'), user('old 2')])
    now += 30_000
    await session.addItems([user('recent')])
    now += 40_000 // the first two are 70 s old, the last 40 s
    expect(await session.getItems()).toEqual([user('recent')])
    expect(await session.getItems(2)).toEqual([user('recent')])
    expect(await session.popItem()).toEqual(user('recent'))
    await session.addItems([user('new')])
    expect(await inner.getItems()).toHaveLength(3)
    expect(await session.purgeExpired()).toBe(2)
    expect(await inner.getItems()).toHaveLength(1)
    expect(await session.purgeExpired()).toBe(0)
    now += 120_000
    expect(await session.popItem()).toBeUndefined() // expired: hidden, not removed
    expect(await inner.getItems()).toHaveLength(1)
  })

  it('is off by default; purgeExpired without ttl is an error', async () => {
    const { session } = await setup({ now: () => 0 })
    await session.addItems([user('kept forever')])
    expect(await session.getItems()).toEqual([user('kept forever')])
    await expect(session.purgeExpired()).rejects.toThrow(/needs the ttl option/)
  })
})

describe('EncryptedSession over plain history', () => {
  it('reads plain items written before encryption, and migrates them in place', async () => {
    const inner = new MemorySession(unique('plain'))
    await inner.addItems([user('plain 1'), { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }])
    const key = await newDataKey()
    const session = new EncryptedSession(inner, { key })
    await session.addItems([user('encrypted 3')])
    const all = [user('plain 1'), { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }, user('encrypted 3')]
    expect(await session.getItems()).toEqual(all)
    expect(await session.migratePlaintextItems()).toBe(2)
    expect((await raw(inner)).map((e) => e.type)).toEqual(['encrypted', 'encrypted', 'encrypted'])
    expect(dump(await inner.getItems())).not.toContain('plain')
    expect(await session.getItems()).toEqual(all)
    expect(await session.migratePlaintextItems()).toBe(0)
  })

  it("plaintext: 'reject' treats a plain item slipped in later as undecryptable", async () => {
    const { inner, key } = await setup()
    await new EncryptedSession(inner, { key }).addItems([user('real')])
    await inner.addItems([user('injected')])
    const strict = new EncryptedSession(inner, { key, plaintext: 'reject' })
    expect(await rejectionOf(strict.getItems())).toMatchObject({ name: 'DecryptionError', index: 1, reason: 'plaintext_rejected' })
    expect(await new EncryptedSession(inner, { key, plaintext: 'reject', onUndecryptable: 'skip' }).getItems()).toEqual([user('real')])
  })

  it('a migration that fails to store leaves the plain history as it was', async () => {
    const inner = new MemorySession(unique('plain-fail'))
    await inner.addItems([user('plain')])
    inner.rewriteItems = async () => {
      throw new Error('disk full')
    }
    const session = new EncryptedSession(inner, { key: await newDataKey() })
    await expect(session.migratePlaintextItems()).rejects.toThrow('disk full')
    expect(await inner.getItems()).toEqual([user('plain')])
  })
})

describe('EncryptedSession with an app-managed key provider', () => {
  it('reads what it wrote whatever the key ids look like, and refuses a provider without the key before writing', async () => {
    const key = await newDataKey()
    const provider = {
      currentKey: async () => ({ id: 'app-key-1', key }),
      keyById: async (id: string) => (id === 'app-key-1' ? key : undefined),
    }
    const inner = new MemorySession(unique('app-keys'))
    const session = new EncryptedSession(inner, { key: provider })
    await session.addItems([user('hello')])
    expect(await session.getItems()).toEqual([user('hello')])

    const other = { currentKey: async () => ({ id: 'app-key-2', key: await newDataKey() }), keyById: async () => undefined }
    const wrong = new EncryptedSession(inner, { key: other })
    expect(await rejectionOf(wrong.addItems([user('must not land')]))).toBeInstanceOf(WrongKeyError)
    expect(await rejectionOf(wrong.getItems())).toBeInstanceOf(WrongKeyError)
    expect(await inner.getItems()).toHaveLength(1)
  })
})
