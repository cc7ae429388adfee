// Review of the decrypted-items cache of EncryptedSession (`decryptedCacheSize`, e565f42).
//
// The promise under test: a read served from memory returns exactly what decrypting the stored
// envelopes would, or fails exactly as decrypting would. The check is an equivalence: after each
// change to the stored envelopes, a WARM session (the one that sealed the items, and one that
// read them once) reads what a COLD one (`decryptedCacheSize: 0`, over the same store) reads:
// the same items, or the same error (class, name, reason, index, window, key id, time,
// positions, message, cause). Spying on `crypto.subtle.decrypt` shows the warm sessions really
// answer from memory: their first read after a change decrypts exactly what the cold one
// decrypts, less the unchanged envelopes they hold.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  DecryptionError,
  EncryptedSession,
  IndexedDBSession,
  InvalidArgumentError,
  MemorySession,
  WrongKeyError,
  type AgentItem,
  type DataKey,
  type DataKeyProvider,
  type EncryptedCapabilities,
  type EncryptedSessionOptions,
  type Session,
} from '../../src/index.js'
import { OPENED_ITEMS_MAX_CHARS } from '../../src/encrypted/opened-items.js'
import { asStoredBatch } from '../../src/items/validate.js'
import type { SuffixReplacement } from '../../src/session/capabilities.js'
import { deleteDatabase, flipBit, newDataKey, rejectionOf, unique, user } from '../crypto/support.js'
import { tamper } from './support/raw-idb.js'

type Envelope = Record<string, unknown>

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const call: AgentItem = { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":1}' }
const output: AgentItem = { type: 'function_call_output', call_id: 'c1', output: '42' }

/** Three turns, written one addItems each: user messages at 0, 2 and 6. */
const TURNS: AgentItem[][] = [
  [user('q1'), assistant('a1')],
  [user('q2'), call, output, assistant('a2')],
  [user('q3'), assistant('a3')],
]
const ITEMS = TURNS.flat()

// ---------------------------------------------------------------------------------------------
// Observing WebCrypto

const bytesOf = (source: BufferSource | undefined): Uint8Array => {
  if (source === undefined) return new Uint8Array()
  return ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source)
}
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** Records every `crypto.subtle.decrypt` call as `iv|aad|ct` (what decides its result, with the key). */
function recordDecryptions() {
  const spy = vi.spyOn(crypto.subtle, 'decrypt')
  let mark = 0
  const describeCall = (args: unknown[]): string => {
    const algorithm = args[0] as AesGcmParams
    return `${hex(bytesOf(algorithm.iv))}|${hex(bytesOf(algorithm.additionalData))}|${hex(bytesOf(args[2] as BufferSource))}`
  }
  return {
    /** Decryptions since the last `take()` (or since recording began). */
    take(): string[] {
      const calls = spy.mock.calls.slice(mark).map((args) => describeCall(args as unknown[]))
      mark = spy.mock.calls.length
      return calls
    },
  }
}
afterEach(() => {
  vi.restoreAllMocks()
})

// ---------------------------------------------------------------------------------------------
// Outcomes

type Outcome = { items: unknown } | { error: Record<string, unknown> }

function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { thrown: String(error) }
  const fields = error as Error & Partial<Record<'reason' | 'index' | 'windowSize' | 'keyId' | 'writtenAt' | 'expectedPosition' | 'foundPosition', unknown>>
  const cause = error.cause instanceof Error ? error.cause.name : error.cause === undefined ? undefined : String(error.cause)
  return {
    class: error.constructor.name,
    name: error.name,
    reason: fields.reason,
    index: fields.index,
    windowSize: fields.windowSize,
    keyId: fields.keyId,
    writtenAt: fields.writtenAt,
    expectedPosition: fields.expectedPosition,
    foundPosition: fields.foundPosition,
    message: error.message,
    cause,
  }
}

/** What `read` resolves to, or how it fails. */
async function outcome(read: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { items: await read() }
  } catch (error) {
    return { error: describeError(error) }
  }
}

const sorted = (calls: readonly string[]): string[] => [...calls].sort()

// ---------------------------------------------------------------------------------------------
// A store written by a warm session, read once by a second one

/** An EncryptedSession over a MemorySession, with its branch reads (turns, timed items, tool usage) typed. */
type Wrapped = EncryptedSession & EncryptedCapabilities<MemorySession, AgentItem>
const wrap = (inner: MemorySession, options: EncryptedSessionOptions): Wrapped => EncryptedSession.wrap(inner, options)

interface Warm {
  inner: MemorySession
  key: DataKeyProvider | CryptoKey
  options: Partial<EncryptedSessionOptions>
  /** Sealed the items: warm from sealing. */
  writer: Wrapped
  /** Read them once: warm from opening. */
  reader: Wrapped
  /** The envelopes as written. */
  raw: Envelope[]
  /** The decryptions of the unchanged envelopes (`iv|aad|ct`). */
  originals: Set<string>
  recorder: ReturnType<typeof recordDecryptions>
  cold(): Wrapped
}

let sharedKey: CryptoKey
beforeAll(async () => {
  sharedKey = await newDataKey()
})

async function warmStore(options: Partial<EncryptedSessionOptions> = {}, key: DataKeyProvider | CryptoKey = sharedKey): Promise<Warm> {
  const inner = new MemorySession(unique('cache-review'))
  const writer = wrap(inner, { key, ...options })
  for (const turn of TURNS) await writer.addItems(turn)
  const reader = wrap(inner, { key, ...options })
  const recorder = recordDecryptions()
  expect(await writer.getItems()).toEqual(ITEMS)
  expect(recorder.take(), 'the writer reads what it sealed without decrypting').toEqual([])
  expect(await reader.getItems()).toEqual(ITEMS)
  const originals = recorder.take()
  expect(originals).toHaveLength(ITEMS.length)
  expect(await reader.getItems()).toEqual(ITEMS)
  expect(recorder.take(), 'the reader reads again without decrypting').toEqual([])
  const raw = (await inner.getItems()) as unknown as Envelope[]
  return {
    inner,
    key,
    options,
    writer,
    reader,
    raw,
    originals: new Set(originals),
    recorder,
    cold: () => wrap(inner, { key, ...options, decryptedCacheSize: 0 }),
  }
}

/** Stores `items` as they are (no validation: hostile values stay hostile). */
async function store(inner: MemorySession, items: unknown[]): Promise<void> {
  await inner.replaceItems(asStoredBatch(structuredClone(items)) as AgentItem[])
}

/**
 * Reads with `limit` through the cold session, the writer, the reader and `fresh` (a default
 * session that read nothing before this change), twice each, and expects every outcome to be
 * the cold one. On the first read after a change (`strict`), the writer and the reader decrypt
 * exactly what the cold session decrypts less the unchanged envelopes; later reads decrypt
 * nothing the cold one did not.
 */
async function expectSameAsCold(warm: Warm, fresh: Wrapped, limit: number | undefined, strict: boolean): Promise<Outcome> {
  const { recorder } = warm
  recorder.take()
  const cold = await outcome(() => warm.cold().getItems(limit))
  const coldCalls = recorder.take()
  const label = `limit ${String(limit)}`
  for (const [who, session] of [
    ['writer', warm.writer],
    ['reader', warm.reader],
  ] as const) {
    expect(await outcome(() => session.getItems(limit)), `${who}, ${label}, first read`).toEqual(cold)
    const calls = recorder.take()
    if (strict) expect(sorted(calls), `${who}, ${label}: decrypts only what changed`).toEqual(sorted(coldCalls.filter((c) => !warm.originals.has(c))))
    else for (const c of calls) expect(coldCalls, `${who}, ${label}: decrypts nothing a cold read would not`).toContain(c)
    expect(await outcome(() => session.getItems(limit)), `${who}, ${label}, second read`).toEqual(cold)
    recorder.take()
  }
  expect(await outcome(() => fresh.getItems(limit)), `fresh, ${label}, first read`).toEqual(cold)
  expect(await outcome(() => fresh.getItems(limit)), `fresh, ${label}, second read`).toEqual(cold)
  if (strict) await expectSameBranchReads(warm, fresh)
  recorder.take()
  return cold
}

/** The reads of a whole branch (turns, search, timed items, tool usage) decrypt through the same cache. */
async function expectSameBranchReads(warm: Warm, fresh: Wrapped): Promise<void> {
  const reads: Array<[string, (session: Wrapped) => Promise<unknown>]> = [
    ['getTurns', (session) => session.getTurns()],
    ['findTurns', (session) => session.findTurns('q')],
    ['getTimedItems', async (session) => (await session.getTimedItems()).map((entry) => entry.item)],
    ['getToolUsage', (session) => session.getToolUsage()],
  ]
  const cold = warm.cold()
  for (const [name, read] of reads) {
    const expected = await outcome(() => read(cold))
    for (const [who, session] of [
      ['writer', warm.writer],
      ['reader', warm.reader],
      ['fresh', fresh],
    ] as const) {
      expect(await outcome(() => read(session)), `${who}: ${name}`).toEqual(expected)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What someone with access to the store (not the key) can do to the envelopes

/** A change to one envelope (applied to a copy). */
type EnvelopeChange = (envelope: Envelope, all: readonly Envelope[]) => unknown

const set =
  (field: string, value: (envelope: Envelope) => unknown): EnvelopeChange =>
  (envelope) => ({ ...envelope, [field]: value(envelope) })
const without =
  (field: string): EnvelopeChange =>
  (envelope) => {
    const copy = { ...envelope }
    delete copy[field]
    return copy
  }

/** Envelopes written elsewhere, to splice in. */
interface Foreign {
  /** Same key, same positions, another session id. */
  otherSession: Envelope[]
  /** Same session id and key, other content (another device's version of the same positions). */
  otherWriter: Envelope[]
  /** Another key (with a kid the session's provider does not hold). */
  otherKey: Envelope[]
}
let foreign: Foreign

/** Changes of one envelope, each applied at a position of the history. */
const ONE: Array<[string, EnvelopeChange]> = [
  ['nothing changed', (e) => e],
  ['ct: one bit flipped', set('ct', (e) => flipBit(e.ct as string))],
  ['iv: one bit flipped', set('iv', (e) => flipBit(e.iv as string))],
  ['iv: the iv of the first envelope (same ct)', (e, all) => ({ ...e, iv: all[0]!.iv })],
  ['ct: the ct of the first envelope (same iv)', (e, all) => ({ ...e, ct: all[0]!.ct })],
  ['ct: emptied', set('ct', () => '')],
  ['ct: a number', set('ct', () => 12)],
  ['iv: a number', set('iv', () => 12)],
  ['iv: missing', without('iv')],
  ['at: +1', set('at', (e) => (e.at as number) + 1)],
  ['at: as a string', set('at', (e) => String(e.at))],
  ['at: Infinity', set('at', () => Infinity)],
  ['at: NaN', set('at', () => Number.NaN)],
  ['at: null', set('at', () => null)],
  ['at: undefined (present)', set('at', () => undefined)],
  ['at: missing', without('at')],
  ['pos: as a string', set('pos', (e) => String(e.pos))],
  ['pos: +0.5', set('pos', (e) => (e.pos as number) + 0.5)],
  ['pos: -1', set('pos', () => -1)],
  ['pos: +1', set('pos', (e) => (e.pos as number) + 1)],
  ['pos: missing', without('pos')],
  ['pos: undefined (present)', set('pos', () => undefined)],
  ['v: "3"', set('v', () => '3')],
  ['v: 2', set('v', () => 2)],
  ['v: 1', set('v', () => 1)],
  ['v: 4', set('v', () => 4)],
  ['v: missing', without('v')],
  ['kid: another string', set('kid', () => '0123456789abcdef')],
  ['kid: a number', set('kid', () => 7)],
  ['kid: missing', without('kid')],
  ['role: "user" added or removed', (e) => ('role' in e ? (without('role')(e, []) as Envelope) : { ...e, role: 'user' })],
  ['role: "assistant"', set('role', () => 'assistant')],
  ['role: undefined (present)', set('role', () => undefined)],
  ['type: "message"', set('type', () => 'message')],
  ['type: "Encrypted"', set('type', () => 'Encrypted')],
  ['type: missing', without('type')],
  ['an extra field', set('extra', () => 'x')],
  ['fields in another order', (e) => Object.fromEntries(Object.entries(e).reverse())],
  ['replaced by a plain item', () => user('injected')],
  ['replaced by null', () => null],
  ['replaced by a string', () => 'encrypted'],
  ['replaced by the same position of another session', (e) => foreign.otherSession[e.pos as number]],
  ['replaced by the same position of another writer (undetectable)', (e) => foreign.otherWriter[e.pos as number]],
  ['replaced by an envelope under a key not held', (e) => foreign.otherKey[e.pos as number]],
]

/** Changes of the whole history. */
const MANY: Array<[string, (raw: readonly Envelope[]) => unknown[]]> = [
  ['items 2 and 4 swapped', (raw) => [raw[0], raw[1], raw[4], raw[3], raw[2], raw[5], raw[6], raw[7]]],
  ['item 1 replayed at 5', (raw) => raw.map((e, i) => (i === 5 ? raw[1] : e))],
  ['the newest replayed at the end', (raw) => [...raw, raw[7]]],
  ['an older one replayed at the end', (raw) => [...raw, raw[3]]],
  ['item 3 removed', (raw) => raw.filter((_, i) => i !== 3)],
  ['the first removed', (raw) => raw.slice(1)],
  ['the newest removed (looks like a pop)', (raw) => raw.slice(0, 7)],
  ['reversed', (raw) => [...raw].reverse()],
  ['all from another session', () => foreign.otherSession],
  ['emptied', () => []],
]

const POLICIES: Array<[string, Partial<EncryptedSessionOptions>]> = [
  ['throw', {}],
  ['skip', { onUndecryptable: 'skip' }],
  ["plaintext 'reject'", { plaintext: 'reject' }],
  ["skip, plaintext 'reject'", { onUndecryptable: 'skip', plaintext: 'reject' }],
  ['ttl (nothing expired)', { ttl: 3_600_000 }],
]
const LIMITS = [undefined, 5, 1]

beforeAll(async () => {
  const sealed = async (inner: MemorySession, key: CryptoKey) => {
    const session = new EncryptedSession(inner, { key })
    for (const turn of TURNS) await session.addItems(turn)
    return (await inner.getItems()) as unknown as Envelope[]
  }
  foreign = {
    otherSession: await sealed(new MemorySession(unique('other-session')), sharedKey),
    otherWriter: [], // filled per store: it needs the store's session id
    otherKey: await sealed(new MemorySession(unique('other-key')), await newDataKey()),
  }
})

/** Another device's history for `sessionId`: same key, other words. */
async function otherWriterFor(sessionId: string, key: DataKeyProvider | CryptoKey): Promise<Envelope[]> {
  const inner = new MemorySession(sessionId)
  const session = new EncryptedSession(inner, { key })
  for (const turn of TURNS) await session.addItems(turn.map((item) => ('role' in item && item.role === 'user' ? user(`other ${String(item.content)}`) : item)))
  return (await inner.getItems()) as unknown as Envelope[]
}

describe.each(POLICIES)('warm reads equal cold reads after a change in the store (%s)', (_, options) => {
  describe.each([3, 6, 7])('one envelope changed at position %i', (at) => {
    it.each(ONE)('%s', async (_name, change) => {
      const warm = await warmStore(options)
      foreign.otherWriter = await otherWriterFor(warm.inner.sessionId, warm.key)
      const changed = warm.raw.map((e, i) => (i === at ? change(structuredClone(e), warm.raw) : e))
      await store(warm.inner, changed)
      const fresh = wrap(warm.inner, { key: warm.key, ...options })
      for (const [i, limit] of LIMITS.entries()) await expectSameAsCold(warm, fresh, limit, i === 0)
    })
  })

  it.each(MANY)('%s', async (_name, change) => {
    const warm = await warmStore(options)
    await store(warm.inner, change(structuredClone(warm.raw)))
    const fresh = wrap(warm.inner, { key: warm.key, ...options })
    for (const [i, limit] of LIMITS.entries()) await expectSameAsCold(warm, fresh, limit, i === 0)
  })
})

describe('the equivalence checks are not trivially cold', () => {
  it('an unchanged store is read from memory by both warm sessions, a changed envelope is decrypted', async () => {
    const warm = await warmStore()
    warm.recorder.take()
    expect(await warm.writer.getItems()).toEqual(ITEMS)
    expect(await warm.reader.getItems(3)).toEqual(ITEMS.slice(5))
    expect(warm.recorder.take()).toEqual([])
    await store(
      warm.inner,
      warm.raw.map((e, i) => (i === 4 ? { ...e, ct: flipBit(e.ct as string) } : e)),
    )
    const error = await rejectionOf(warm.writer.getItems())
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error).toMatchObject({ name: 'DecryptionError', reason: 'authentication', index: 4 })
    expect(warm.recorder.take()).toHaveLength(1)
    expect(await rejectionOf(warm.cold().getItems())).toMatchObject({ name: 'DecryptionError', reason: 'authentication', index: 4 })
    expect(warm.recorder.take()).toHaveLength(8)
  })
})

// ---------------------------------------------------------------------------------------------
// Keys

/** A provider over a map of kid → key, current `current`, that the test can change. */
class MutableProvider implements DataKeyProvider {
  keys = new Map<string, CryptoKey>()
  current = ''
  async currentKey(): Promise<DataKey> {
    return { id: this.current, key: this.keys.get(this.current)! }
  }
  async keyById(id: string): Promise<CryptoKey | undefined> {
    return this.keys.get(id)
  }
}

async function extractableKey(): Promise<{ key: CryptoKey; raw: ArrayBuffer }> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt'])
  return { key, raw: await crypto.subtle.exportKey('raw', key) }
}
const importRaw = (raw: ArrayBuffer) => crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])

describe.each(POLICIES.slice(0, 2))('keys: warm reads equal cold reads (%s)', (_, options) => {
  async function providerStore() {
    const provider = new MutableProvider()
    provider.keys.set('aaaaaaaaaaaaaaaa', await newDataKey())
    provider.current = 'aaaaaaaaaaaaaaaa'
    return { provider, warm: await warmStore(options, provider) }
  }

  it('a provider that stops holding the kid: WrongKeyError from memory too', async () => {
    const { provider, warm } = await providerStore()
    const held = provider.keys.get('aaaaaaaaaaaaaaaa')!
    provider.keys.delete('aaaaaaaaaaaaaaaa')
    const fresh = wrap(warm.inner, { key: provider, ...options })
    const cold = await expectSameAsCold(warm, fresh, undefined, true)
    expect(cold).toMatchObject({ error: { class: 'WrongKeyError' } })
    expect(await rejectionOf(warm.writer.getItems())).toBeInstanceOf(WrongKeyError)
    provider.keys.set('aaaaaaaaaaaaaaaa', held)
    expect(await expectSameAsCold(warm, fresh, undefined, true)).toEqual({ items: ITEMS })
  })

  it('a provider that returns another key for the same kid: refused from memory too', async () => {
    const { provider, warm } = await providerStore()
    provider.keys.set('aaaaaaaaaaaaaaaa', await newDataKey())
    const fresh = wrap(warm.inner, { key: provider, ...options })
    const cold = await expectSameAsCold(warm, fresh, undefined, false)
    if (options.onUndecryptable === 'skip') expect(cold).toEqual({ items: [] })
    else expect(cold).toMatchObject({ error: { class: 'DecryptionError', reason: 'authentication', index: 0 } })
  })

  it('a provider that returns the same key material as another CryptoKey object: read, by decrypting again', async () => {
    const provider = new MutableProvider()
    const { key, raw } = await extractableKey()
    provider.keys.set('bbbbbbbbbbbbbbbb', key)
    provider.current = 'bbbbbbbbbbbbbbbb'
    const warm = await warmStore(options, provider)
    provider.keys.set('bbbbbbbbbbbbbbbb', await importRaw(raw))
    warm.recorder.take()
    expect(await warm.writer.getItems()).toEqual(ITEMS)
    expect(warm.recorder.take()).toHaveLength(ITEMS.length) // kept under the CryptoKey object, not the kid
    expect(await warm.cold().getItems()).toEqual(ITEMS)
  })

  it('two kids whose keys are swapped by the provider', async () => {
    const provider = new MutableProvider()
    const [a, b] = [await newDataKey(), await newDataKey()]
    provider.keys.set('aaaaaaaaaaaaaaaa', a)
    provider.current = 'aaaaaaaaaaaaaaaa'
    const warm = await warmStore(options, provider)
    provider.keys.set('aaaaaaaaaaaaaaaa', b)
    provider.keys.set('bbbbbbbbbbbbbbbb', a)
    const fresh = wrap(warm.inner, { key: provider, ...options })
    await expectSameAsCold(warm, fresh, undefined, false)
    // and an envelope relabelled to the kid that now holds its key still fails (the kid is authenticated)
    await store(
      warm.inner,
      warm.raw.map((e) => ({ ...e, kid: 'bbbbbbbbbbbbbbbb' })),
    )
    const cold = await expectSameAsCold(warm, fresh, undefined, true)
    if (options.onUndecryptable === 'skip') expect(cold).toEqual({ items: [] })
    else expect(cold).toMatchObject({ error: { reason: 'authentication', index: 0 } })
  })

  it('key rotation with reencryptItems, then the old key dropped, then the old envelopes put back', async () => {
    const { provider, warm } = await providerStore()
    provider.keys.set('cccccccccccccccc', await newDataKey())
    provider.current = 'cccccccccccccccc'
    const fresh = wrap(warm.inner, { key: provider, ...options })
    expect(await warm.writer.reencryptItems()).toBe(ITEMS.length)
    expect(((await warm.inner.getItems()) as unknown as Envelope[]).map((e) => e.kid)).toEqual(ITEMS.map(() => 'cccccccccccccccc'))
    expect(await expectSameAsCold(warm, fresh, undefined, false)).toEqual({ items: ITEMS })
    const old = provider.keys.get('aaaaaaaaaaaaaaaa')!
    provider.keys.delete('aaaaaaaaaaaaaaaa')
    expect(await expectSameAsCold(warm, fresh, undefined, false)).toEqual({ items: ITEMS })
    await store(warm.inner, warm.raw) // the whole store rolled back to before the rotation
    expect(await expectSameAsCold(warm, fresh, undefined, false)).toMatchObject({ error: { class: 'WrongKeyError' } })
    provider.keys.set('aaaaaaaaaaaaaaaa', old)
    expect(await expectSameAsCold(warm, fresh, undefined, false)).toEqual({ items: ITEMS }) // a rollback is not detected
  })
})

// ---------------------------------------------------------------------------------------------
// Time

describe('ttl with a clock that moves on', () => {
  it('items expire from memory exactly as they do from the store', async () => {
    let clock = 10_000
    const options: Partial<EncryptedSessionOptions> = { ttl: 1_000, now: () => clock }
    const inner = new MemorySession(unique('ttl'))
    const warm = new EncryptedSession(inner, { key: sharedKey, ...options })
    for (const [i, turn] of TURNS.entries()) {
      clock = 10_000 + 500 * i
      await warm.addItems(turn)
    }
    const cold = () => new EncryptedSession(inner, { key: sharedKey, ...options, decryptedCacheSize: 0 })
    const recorder = recordDecryptions()
    for (const now of [11_000, 11_001, 11_499, 11_500, 11_501, 12_000, 12_001, 50_000]) {
      clock = now
      for (const limit of LIMITS) {
        recorder.take()
        const expected = await outcome(() => cold().getItems(limit))
        expect(await outcome(() => warm.getItems(limit)), `now ${now}, limit ${String(limit)}`).toEqual(expected)
      }
    }
    expect(await cold().getItems()).toEqual([])
    // an expired envelope whose time is moved forward is decrypted and refused, from memory too
    const raw = (await inner.getItems()) as unknown as Envelope[]
    await store(
      inner,
      raw.map((e, i) => (i === 0 ? { ...e, at: clock } : e)),
    )
    const expected = await outcome(() => cold().getItems())
    expect(expected).toMatchObject({ error: { reason: 'authentication', index: 0 } })
    expect(await outcome(() => warm.getItems())).toEqual(expected)
  })

  it('purgeExpired, then more items: warm equals cold', async () => {
    let clock = 10_000
    const options: Partial<EncryptedSessionOptions> = { ttl: 1_000, now: () => clock }
    const inner = new MemorySession(unique('purge'))
    const warm = new EncryptedSession(inner, { key: sharedKey, ...options })
    for (const [i, turn] of TURNS.entries()) {
      clock = 10_000 + 500 * i
      await warm.addItems(turn)
      await warm.getItems()
    }
    clock = 11_200
    expect(await warm.purgeExpired()).toBe(2)
    const cold = () => new EncryptedSession(inner, { key: sharedKey, ...options, decryptedCacheSize: 0 })
    expect(await outcome(() => warm.getItems())).toEqual(await outcome(() => cold().getItems()))
    await warm.addItems([user('q4')])
    expect(await outcome(() => warm.getItems())).toEqual(await outcome(() => cold().getItems()))
    expect(await warm.getItems()).toEqual([...ITEMS.slice(2), user('q4')])
  })
})

// ---------------------------------------------------------------------------------------------
// Branches, pops, rewrites

describe('branches, popItem and rewrites', () => {
  const wrapped = (inner: MemorySession, options: Partial<EncryptedSessionOptions> = {}) => EncryptedSession.wrap(inner, { key: sharedKey, ...options })

  it('createBranchFromTurn, writing on the branch, switching back, and an item from the other branch at the same position', async () => {
    const inner = new MemorySession(unique('branches'))
    const warm = wrapped(inner)
    for (const turn of TURNS) await warm.addItems(turn)
    const main = await warm.getCurrentBranchId()
    const cold = () => wrapped(inner, { decryptedCacheSize: 0 })
    const same = async () => {
      for (const limit of LIMITS) expect(await outcome(() => warm.getItems(limit))).toEqual(await outcome(() => cold().getItems(limit)))
    }
    await warm.getItems()
    const branch = await warm.createBranchFromTurn(2)
    await same()
    expect(await warm.getItems()).toEqual(ITEMS.slice(0, 2))
    await warm.addItems([user('q2 again'), assistant('a2 again')])
    await same()
    const onBranch = (await inner.getItems()) as unknown as Envelope[]
    await warm.switchToBranch(main)
    const recorder = recordDecryptions()
    expect(await warm.getItems()).toEqual(ITEMS)
    expect(recorder.take()).toEqual([]) // main was kept
    await same()
    // on main, position 2 replaced by the branch's item at position 2: both versions were written there
    const raw = (await inner.getItems()) as unknown as Envelope[]
    await store(
      inner,
      raw.map((e, i) => (i === 2 ? onBranch[2] : e)),
    )
    await same()
    expect(await warm.getItems(6)).toEqual([user('q2 again'), ...ITEMS.slice(3)])
    await warm.switchToBranch(branch)
    await same()
  })

  it('popItem from memory returns what decrypting returns, and refuses what decrypting refuses', async () => {
    const inner = new MemorySession(unique('pop'))
    const warm = new EncryptedSession(inner, { key: sharedKey })
    for (const turn of TURNS) await warm.addItems(turn)
    await warm.getItems()
    // a copy of the store for a cold session to pop from
    const twin = new MemorySession(inner.sessionId)
    await store(twin, await inner.getItems())
    const cold = new EncryptedSession(twin, { key: sharedKey, decryptedCacheSize: 0 })
    foreign.otherWriter = await otherWriterFor(inner.sessionId, sharedKey)
    const recorder = recordDecryptions()
    expect(await warm.popItem()).toEqual(ITEMS[7])
    expect(recorder.take()).toEqual([])
    expect(await cold.popItem()).toEqual(ITEMS[7])
    expect(await inner.getItems()).toEqual(await twin.getItems())
    for (const [name, change] of ONE) {
      const raw = (await inner.getItems()) as unknown as Envelope[]
      const changed = raw.map((e, i) => (i === raw.length - 1 ? change(structuredClone(e), raw) : e))
      await store(inner, changed)
      await store(twin, changed)
      const popped = await outcome(() => warm.popItem())
      expect(popped, name).toEqual(await outcome(() => cold.popItem()))
      expect(await inner.getItems(), name).toEqual(await twin.getItems())
      // back to the history before the change, to try the next one on it
      await store(inner, raw)
      await store(twin, raw)
    }
  })

  it('replaceItems, replaceSuffix and migratePlaintextItems: read back from memory, equal to cold', async () => {
    const inner = new MemorySession(unique('rewrites'))
    const warm = EncryptedSession.wrap(inner, { key: sharedKey })
    const cold = () => new EncryptedSession(inner, { key: sharedKey, decryptedCacheSize: 0 })
    for (const turn of TURNS) await warm.addItems(turn)
    const recorder = recordDecryptions()
    await warm.replaceItems([user('r1'), assistant('r2'), user('r3')])
    recorder.take()
    expect(await warm.getItems()).toEqual([user('r1'), assistant('r2'), user('r3')])
    expect(recorder.take()).toEqual([])
    expect(await outcome(() => warm.getItems())).toEqual(await outcome(() => cold().getItems()))
    const suffix = warm as unknown as { replaceSuffix(change: SuffixReplacement<AgentItem>): Promise<boolean> }
    await suffix.replaceSuffix({ expectedSuffix: [user('r3')], replacement: [user('r3 edited'), assistant('r4')] })
    recorder.take()
    expect(await warm.getItems()).toEqual([user('r1'), assistant('r2'), user('r3 edited'), assistant('r4')])
    expect(recorder.take()).toEqual([])
    expect(await outcome(() => warm.getItems())).toEqual(await outcome(() => cold().getItems()))
    // plain items written before encryption, then migrated
    const plain = new MemorySession(unique('migrate'))
    await plain.addItems(ITEMS)
    const migrating = new EncryptedSession(plain, { key: sharedKey })
    expect(await migrating.getItems()).toEqual(ITEMS)
    expect(await migrating.migratePlaintextItems()).toBe(ITEMS.length)
    expect(await outcome(() => migrating.getItems())).toEqual(await outcome(() => new EncryptedSession(plain, { key: sharedKey, decryptedCacheSize: 0 }).getItems()))
    expect(await outcome(() => new EncryptedSession(plain, { key: sharedKey, plaintext: 'reject', decryptedCacheSize: 0 }).getItems())).toEqual({ items: ITEMS })
  })
})

// ---------------------------------------------------------------------------------------------
// Other tabs: two sessions over one IndexedDB store

describe('other tabs writing the same IndexedDB store', () => {
  const dbName = unique('cache-review-idb')
  afterEach(async () => {
    vi.restoreAllMocks()
  })

  it('what another tab pops, appends, replaces or a raw edit changes is read as a cold session reads it', async () => {
    const id = unique('tabs')
    const tab = (options: Partial<EncryptedSessionOptions> = {}) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key: sharedKey, ...options })
    const [a, b] = [tab(), tab()]
    for (const turn of TURNS) await a.addItems(turn)
    const cold = () => tab({ decryptedCacheSize: 0 })
    const same = async (what: string) => {
      for (const limit of LIMITS) expect(await outcome(() => a.getItems(limit)), `${what}, limit ${String(limit)}`).toEqual(await outcome(() => cold().getItems(limit)))
    }
    const recorder = recordDecryptions()
    expect(await a.getItems()).toEqual(ITEMS)
    expect(recorder.take()).toEqual([])
    await b.popItem()
    await b.addItems([assistant('a3 from tab b')])
    recorder.take()
    expect(await a.getItems()).toEqual([...ITEMS.slice(0, 7), assistant('a3 from tab b')])
    expect(recorder.take()).toHaveLength(1)
    await same('pop and append')
    await b.replaceItems([user('b1'), assistant('b2')])
    await same('replaced')
    await b.addItems([user('b3')])
    await a.addItems([assistant('a after b')])
    await same('both appended')
    await tamper(dbName, id, ({ rows }) => {
      const row = [...rows.values()][1]!
      row.item.ct = flipBit(row.item.ct)
    })
    await same('ct flipped in the database')
    await tamper(dbName, id, ({ rows }) => {
      const [first, second] = [...rows.values()]
      ;[first!.item, second!.item] = [second!.item, first!.item]
    })
    await same('swapped in the database')
    await b.clearSession()
    await same('cleared')
    await deleteDatabase(dbName)
  })
})

// ---------------------------------------------------------------------------------------------
// Callers changing what they got

describe('callers changing what they passed or got', () => {
  it('changing items after addItems, or what getItems or popItem returned, changes no later read', async () => {
    const inner = new MemorySession(unique('mutation'))
    const warm = new EncryptedSession(inner, { key: sharedKey })
    const mine = structuredClone(TURNS)
    for (const turn of mine) await warm.addItems(turn)
    ;(mine[0]![0] as { content: string }).content = 'changed after addItems'
    const cold = () => new EncryptedSession(inner, { key: sharedKey, decryptedCacheSize: 0 })
    const first = await warm.getItems()
    expect(first).toEqual(ITEMS)
    ;(first[1] as { content: Array<{ text: string }> }).content[0]!.text = 'changed by the caller'
    ;(first[3] as { arguments: string }).arguments = '{}'
    delete (first[0] as { role?: string }).role
    first.reverse()
    const second = await warm.getItems()
    expect(second).toEqual(ITEMS)
    expect(second[1]).not.toBe(first[6])
    ;(second[7] as { role: string }).role = 'user'
    expect(await warm.getItems(2)).toEqual(ITEMS.slice(6))
    const popped = await warm.popItem()
    ;(popped as { content: unknown[] }).content.length = 0
    await warm.addItems([ITEMS[7]!])
    expect(await outcome(() => warm.getItems())).toEqual(await outcome(() => cold().getItems()))
    expect(await warm.getItems()).toEqual(ITEMS)
  })
})

// ---------------------------------------------------------------------------------------------
// Bounds

describe('bounds of what is kept', () => {
  const session = (inner: MemorySession, decryptedCacheSize?: number) =>
    new EncryptedSession(inner, { key: sharedKey, ...(decryptedCacheSize === undefined ? {} : { decryptedCacheSize }) })

  it('decryptedCacheSize: 0 keeps nothing: every read decrypts every item', async () => {
    const inner = new MemorySession(unique('size0'))
    const s = session(inner, 0)
    for (const turn of TURNS) await s.addItems(turn)
    const recorder = recordDecryptions()
    expect(await s.getItems()).toEqual(ITEMS)
    expect(recorder.take()).toHaveLength(8)
    expect(await s.getItems()).toEqual(ITEMS)
    expect(recorder.take()).toHaveLength(8)
    expect(await s.getItems(2)).toEqual(ITEMS.slice(6))
    expect(recorder.take()).toHaveLength(2)
  })

  it('a batch larger than the cache keeps its newest items; a larger window keeps its newest', async () => {
    const inner = new MemorySession(unique('size3'))
    const s = session(inner, 3)
    await s.addItems(ITEMS)
    const recorder = recordDecryptions()
    expect(await s.getItems(3)).toEqual(ITEMS.slice(5))
    expect(recorder.take()).toEqual([])
    expect(await s.getItems()).toEqual(ITEMS)
    expect(recorder.take()).toHaveLength(5)
    expect(await s.getItems()).toEqual(ITEMS)
    expect(recorder.take()).toHaveLength(5) // the oldest five never displace the newest three
    expect(await s.getItems(4)).toEqual(ITEMS.slice(4))
    expect(recorder.take()).toHaveLength(1)
    expect(await s.getItems(3)).toEqual(ITEMS.slice(5))
    expect(recorder.take()).toEqual([])
  })

  it('the least recently used entry is dropped, not the oldest written', async () => {
    const inner = new MemorySession(unique('lru'))
    const s = session(inner, 3)
    const [a, b, c, d] = [user('a'), assistant('b'), assistant('c'), assistant('d')]
    await s.addItems([a, b, c]) // kept: a, b, c
    const raw = await inner.getItems()
    await store(inner, raw.slice(0, 1))
    expect(await s.getItems()).toEqual([a]) // a used: b, c, a
    await store(inner, raw)
    await s.addItems([d]) // b dropped: c, a, d
    const recorder = recordDecryptions()
    expect(await s.getItems(3)).toEqual([b, c, d])
    expect(recorder.take()).toHaveLength(1)
    expect(await s.getItems(4)).toEqual([a, b, c, d])
    expect(recorder.take()).toHaveLength(1) // a was dropped when b, c, d were read (kept: b, c, d)
  })

  it(`at most ${OPENED_ITEMS_MAX_CHARS} characters of JSON: an item of exactly that is kept, one character more is not`, async () => {
    const overhead = JSON.stringify(user('')).length
    const exactly = user('x'.repeat(OPENED_ITEMS_MAX_CHARS - overhead))
    const over = user('y'.repeat(OPENED_ITEMS_MAX_CHARS - overhead + 1))
    expect(JSON.stringify(exactly)).toHaveLength(OPENED_ITEMS_MAX_CHARS)
    const inner = new MemorySession(unique('chars'))
    const s = session(inner)
    const recorder = recordDecryptions()
    await s.addItems([exactly])
    expect(await s.getItems()).toEqual([exactly])
    expect(recorder.take()).toEqual([])
    await s.addItems([over]) // kept instead of `exactly`? no: too large to keep; `exactly` stays
    expect(await s.getItems(1)).toEqual([over])
    expect(recorder.take()).toHaveLength(1)
    expect(await s.getItems(1)).toEqual([over])
    expect(recorder.take()).toHaveLength(1)
    expect(await s.getItems()).toEqual([exactly, over])
    expect(recorder.take()).toHaveLength(1)
  }, 60_000)

  it('a large item (6 Mi characters, kept): warm reads equal cold reads', async () => {
    const large = user('z'.repeat(6 * 1024 * 1024))
    const inner = new MemorySession(unique('large'))
    const s = session(inner)
    await s.addItems([user('q0'), large])
    const cold = await outcome(() => session(inner, 0).getItems())
    const recorder = recordDecryptions()
    expect(await outcome(() => s.getItems())).toEqual(cold)
    expect(recorder.take()).toEqual([])
    expect(cold).toEqual({ items: [user('q0'), large] })
  }, 60_000)

  it('two items that do not fit together: the newer is kept', async () => {
    const half = (c: string) => user(c.repeat(Math.floor(OPENED_ITEMS_MAX_CHARS / 2) + 10))
    const [x, y] = [half('x'), half('y')]
    const inner = new MemorySession(unique('chars2'))
    const s = session(inner)
    await s.addItems([x])
    await s.addItems([y])
    const recorder = recordDecryptions()
    expect(await s.getItems()).toEqual([x, y])
    expect(recorder.take()).toHaveLength(1) // x was dropped for y
    expect(await s.getItems(1)).toEqual([y])
    expect(recorder.take()).toEqual([])
  }, 60_000)
})

// ---------------------------------------------------------------------------------------------
// Option checks

describe('decryptedCacheSize is checked at construction', () => {
  it.each([-1, 1.5, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, '10', null, true, {}])('refuses %s', (size) => {
    const inner = new MemorySession(unique('invalid'))
    expect(() => new EncryptedSession(inner, { key: sharedKey, decryptedCacheSize: size as number })).toThrow(InvalidArgumentError)
  })

  it.each([0, 1, 1000, Number.MAX_SAFE_INTEGER, undefined])('accepts %s', async (size) => {
    const inner = new MemorySession(unique('valid'))
    const s = new EncryptedSession(inner, { key: sharedKey, ...(size === undefined ? {} : { decryptedCacheSize: size }) })
    await s.addItems([user('hi')])
    expect(await s.getItems()).toEqual([user('hi')])
  })
})

// ---------------------------------------------------------------------------------------------
// Envelopes this session sealed but could never open: the sealing side's inputs
//
// Found by this review: sealItems remembered every envelope it sealed, and nothing checked
// what went into an envelope. A clock (`now`), a provider's key id or an underlying session's
// count that an envelope may not hold (`at` not a finite number, `kid` not a string, `pos` not
// a whole number ≥ 0) gave a write that succeeded, a DecryptionError('malformed') for every
// other reader (the same app after a reload), and the writer reading the items from memory.
// Such a write is now refused before anything is stored.

describe('what the session would seal with hostile inputs is refused, and nothing is stored', () => {
  /** Writes two items with `options`, then reads them warm (the writer) and cold. */
  async function sealedWith(options: Partial<EncryptedSessionOptions>, key: DataKeyProvider | CryptoKey = sharedKey, inner: Session<AgentItem> = new MemorySession(unique('hostile'))) {
    const warm = new EncryptedSession(inner, { key, ...options })
    const written = await outcome(() => warm.addItems([user('q1'), assistant('a1')]))
    const cold = await outcome(() => new EncryptedSession(inner, { key, ...options, decryptedCacheSize: 0 }).getItems())
    const fromMemory = await outcome(() => warm.getItems())
    return { written, cold, fromMemory, stored: await inner.getItems() }
  }

  async function expectRefused(problem: RegExp, options: Partial<EncryptedSessionOptions>, key?: DataKeyProvider | CryptoKey, inner?: Session<AgentItem>) {
    const { written, cold, fromMemory, stored } = await sealedWith(options, key, inner)
    expect(written).toMatchObject({ error: { class: 'InvalidArgumentError', message: expect.stringMatching(problem) } })
    expect((written as { error: { message: string } }).error.message).toContain('Nothing was written')
    expect(stored).toEqual([])
    expect(cold).toEqual({ items: [] })
    expect(fromMemory).toEqual(cold)
  }

  it.each([
    ['Infinity', () => Infinity],
    ['NaN', () => Number.NaN],
    ['undefined', () => undefined as unknown as number],
    ['a string', () => '1700000000000' as unknown as number],
    ['a Date', () => new Date(1_700_000_000_000) as unknown as number],
  ])('a clock (now) that returns %s', async (_, now) => {
    await expectRefused(/the time is .*not a finite number of ms \(check the now option\)/, { now })
  })

  it('a provider whose current key id is not a string', async () => {
    const key = await newDataKey()
    const provider: DataKeyProvider = {
      currentKey: async () => ({ id: 42 as unknown as string, key }),
      keyById: async (id) => (String(id) === '42' ? key : undefined),
    }
    await expectRefused(/current key id is number, not a string/, {}, provider)
  })

  it('an underlying session (counting, not positional) whose count is not a whole number', async () => {
    const memory = new MemorySession(unique('odd-count'))
    const odd: Session<AgentItem> & { getItemCount(): Promise<number> } = {
      sessionId: memory.sessionId,
      getSessionId: () => memory.getSessionId(),
      getItems: (limit) => memory.getItems(limit),
      addItems: (items) => memory.addItems(items),
      popItem: () => memory.popItem(),
      clearSession: () => memory.clearSession(),
      getItemCount: async () => (await memory.getItemCount()) + 0.5,
    }
    await expectRefused(/its position is 0.5, not a whole number/, {}, sharedKey, odd)
  })
})
