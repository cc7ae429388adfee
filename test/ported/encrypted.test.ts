// EncryptedSession as the Python SDK's EncryptedSession tests pin it down (envelopes, TTL,
// pops of expired items, limits past a corrupt item, delegation), ported to our
// EncryptedSession over MemorySession and over IndexedDBSession.
import { describe, expect, it } from 'vitest'
import {
  DecryptionError,
  EncryptedSession,
  IndexedDBSession,
  InvalidArgumentError,
  isBranchingSession,
  isUsageTrackingSession,
  MemorySession,
  type AgentItem,
  type Session,
} from '../../src/index.js'
import { dataKey, dbName } from './support/kinds.js'
import type { EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { assistant, storedTexts, texts, user } from './support/items.js'

let counter = 0
const underlyingKinds: Array<[string, () => MemorySession | IndexedDBSession]> = [
  ['MemorySession', () => new MemorySession(`enc-port-${++counter}`)],
  ['IndexedDBSession', () => new IndexedDBSession(`enc-port-${++counter}`, { dbName })],
]

/** A copy of `envelope` whose ciphertext was altered (as by disk corruption or tampering). */
function corrupted(envelope: AgentItem): AgentItem {
  const ct = String((envelope as unknown as EncryptedEnvelope).ct)
  const flipped = ct[5] === 'A' ? 'B' : 'A'
  return { ...envelope, ct: `${ct.slice(0, 5)}${flipped}${ct.slice(6)}` }
}

for (const [name, makeInner] of underlyingKinds) {
  describe(`EncryptedSession over ${name} (ported)`, () => {
    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_basic_functionality
    it('stores envelopes with no content in clear and hands back the items', async () => {
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey })
      await session.addItems([user('Hello'), assistant('Hi there!')])
      expect(await storedTexts(session)).toEqual(['Hello', 'Hi there!'])
      const raw = await inner.getItems()
      expect(raw.map((item) => item.type)).toEqual(['encrypted', 'encrypted'])
      expect(JSON.stringify(raw)).not.toMatch(/Hello|Hi there|assistant/)
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_pop_item
    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_clear
    it('pops the newest item decrypted and clears everything', async () => {
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey })
      await session.addItems([user('First'), assistant('Second')])
      expect(texts([(await session.popItem())!])).toEqual(['Second'])
      expect(await storedTexts(session)).toEqual(['First'])
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
      expect(await inner.getItems()).toEqual([])
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_ttl_expiration
    it('hides items older than the ttl while the underlying session keeps them', async () => {
      let now = 1_000_000
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey, ttl: 1_000, now: () => now })
      await session.addItems([user('Hello'), assistant('Hi')])
      now += 2_000
      expect(await session.getItems()).toEqual([])
      expect(await inner.getItems()).toHaveLength(2)
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_pop_expired
    it('pops nothing, and removes nothing, when the newest item has expired', async () => {
      let now = 1_000_000
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey, ttl: 1_000, now: () => now })
      await session.addItems([user('Test')])
      now += 2_000
      expect(await session.popItem()).toBeUndefined()
      expect(await inner.getItems()).toHaveLength(1)
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_pop_mixed_expired_valid
    it('pops the valid newer items, then stops at the expired older ones', async () => {
      let now = 1_000_000
      const session = new EncryptedSession(makeInner(), { key: dataKey, ttl: 2_000, now: () => now })
      await session.addItems([user('Old message 1'), assistant('Old response 1')])
      now += 3_000
      await session.addItems([user('New message'), assistant('New response')])
      expect(texts([(await session.popItem())!])).toEqual(['New response'])
      expect(texts([(await session.popItem())!])).toEqual(['New message'])
      expect(await session.popItem()).toBeUndefined()
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_get_items_limit
    it('returns the newest `limit` items', async () => {
      const session = new EncryptedSession(makeInner(), { key: dataKey })
      await session.addItems(Array.from({ length: 5 }, (_, i) => user(`Message ${i}`)))
      expect(texts(await session.getItems(2))).toEqual(['Message 3', 'Message 4'])
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_get_items_limit_skips_invalid_latest_envelope
    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_get_items_limit_returns_latest_valid_items_after_invalids
    // (Python silently skips a corrupt item and still fills the window; here a corrupt item is a
    // typed error by default, and `onUndecryptable: 'skip'` leaves it out of a smaller window.)
    it('names a corrupt envelope with DecryptionError by default; skips it, window and all, when asked', async () => {
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey })
      await session.addItems([user('valid 0'), assistant('valid 1')])
      const [newest] = await inner.getItems(1)
      await inner.addItems([corrupted(newest!)])
      await session.addItems([user('valid 2')])
      const error = await session.getItems().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DecryptionError)
      expect(error).toMatchObject({ code: 'decryption_failed', index: 2, windowSize: 4 })
      await expect(session.popItem()).resolves.toMatchObject({ content: 'valid 2' })
      await expect(session.popItem()).rejects.toBeInstanceOf(DecryptionError)
      expect(await inner.getItems()).toHaveLength(3)
      const skipping = new EncryptedSession(inner, { key: dataKey, onUndecryptable: 'skip' })
      expect(await storedTexts(skipping)).toEqual(['valid 0', 'valid 1'])
      expect(texts(await skipping.getItems(2))).toEqual(['valid 1'])
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_skips_malformed_envelopes (openai-agents-python PR #4566, not merged at 7f7a44f)
    // (Python skips them silently; here, as for a corrupt one, DecryptionError unless `onUndecryptable: 'skip'`)
    it('names a malformed envelope (ciphertext missing, not text, not base64, a lone surrogate) with DecryptionError, or skips it when asked', async () => {
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey })
      await session.addItems([user('valid')])
      const [envelope] = await inner.getItems(1)
      const malformed: AgentItem[] = [
        { ...envelope!, ct: null } as unknown as AgentItem,
        { ...envelope!, ct: 42 } as unknown as AgentItem,
        { ...envelope!, ct: '%%% not base64 %%%' },
        { ...envelope!, ct: '\ud800' },
        Object.fromEntries(Object.entries(envelope!).filter(([key]) => key !== 'ct')) as AgentItem,
      ]
      for (const bad of malformed) {
        const probe = makeInner()
        const probeSession = new EncryptedSession(probe, { key: dataKey })
        await probe.addItems([bad])
        const error = await probeSession.getItems().catch((e: unknown) => e)
        expect(error, JSON.stringify(bad)).toBeInstanceOf(DecryptionError)
      }
      await inner.addItems(malformed)
      await expect(session.getItems()).rejects.toBeInstanceOf(DecryptionError)
      const skipping = new EncryptedSession(inner, { key: dataKey, onUndecryptable: 'skip' })
      expect(await storedTexts(skipping)).toEqual(['valid'])
    })

    // (Python's EncryptedSession hands back an item that is not an envelope as it is, always:
    // EncryptedSession._unwrap. Here that is the documented default, `plaintext: 'read'`, for
    // history written before encryption; `plaintext: 'reject'` refuses such an item.)
    it("reads a plain item found beside the envelopes by default, and refuses it with plaintext: 'reject'", async () => {
      const inner = makeInner()
      const session = new EncryptedSession(inner, { key: dataKey })
      await session.addItems([user('sealed')])
      await inner.addItems([user('injected in clear')])
      expect(await storedTexts(session)).toEqual(['sealed', 'injected in clear'])
      const strict = new EncryptedSession(inner, { key: dataKey, plaintext: 'reject' })
      await expect(strict.getItems()).rejects.toBeInstanceOf(DecryptionError)
      const skipping = new EncryptedSession(inner, { key: dataKey, plaintext: 'reject', onUndecryptable: 'skip' })
      expect(await storedTexts(skipping)).toEqual(['sealed'])
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_get_items_session_settings_limit_skips_invalid_envelopes
    it("applies the underlying session's settings limit", async () => {
      const inner = name === 'MemorySession' ? new MemorySession(`enc-port-${++counter}`, { settings: { limit: 3 } }) : new IndexedDBSession(`enc-port-${++counter}`, { dbName, settings: { limit: 3 } })
      const session = new EncryptedSession(inner, { key: dataKey })
      await session.addItems(Array.from({ length: 5 }, (_, i) => user(`Message ${i}`)))
      expect(await storedTexts(session)).toEqual(['Message 2', 'Message 3', 'Message 4'])
      expect(texts(await session.getItems(2))).toEqual(['Message 3', 'Message 4'])
    })

    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_delegation
    it('offers the branching and usage of the session it wraps', async () => {
      const session = EncryptedSession.wrap(makeInner(), { key: dataKey })
      expect(isBranchingSession(session)).toBe(true)
      expect(isUsageTrackingSession(session)).toBe(true)
      await session.addItems([user('Test delegation'), assistant('ok')])
      await session.storeRunUsage({ usage: { requests: 1, inputTokens: 3, outputTokens: 4, totalTokens: 7 } })
      expect((await session.getTurns()).map((t) => t.userText)).toEqual(['Test delegation'])
      expect(await session.getSessionUsage()).toEqual({ requests: 1, inputTokens: 3, outputTokens: 4, totalTokens: 7 })
    })
  })
}

// python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_delegation (a session without those powers)
it('EncryptedSession over a bare session offers only the bare contract', async () => {
  const inner = new MemorySession('bare-inner')
  const bare: Session = {
    sessionId: inner.sessionId,
    getSessionId: () => inner.getSessionId(),
    getItems: (limit) => inner.getItems(limit),
    addItems: (items) => inner.addItems(items),
    popItem: () => inner.popItem(),
    clearSession: () => inner.clearSession(),
  }
  const session = new EncryptedSession(bare, { key: dataKey })
  expect(isBranchingSession(session)).toBe(false)
  expect(isUsageTrackingSession(session)).toBe(false)
  await session.addItems([user('still works')])
  expect(await storedTexts(session)).toEqual(['still works'])
})

// python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_raw_string_key
// (Python derives a key from any string; here a passphrase goes through KeyStore, and a bare
// string is refused up front rather than used as a weak key.)
it('refuses a plain string as the key with a typed error', () => {
  expect(() => new EncryptedSession(new MemorySession('k'), { key: 'my-secret-password' as never })).toThrow(InvalidArgumentError)
})
