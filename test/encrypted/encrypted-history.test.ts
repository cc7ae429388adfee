// EncryptedSession as a full citizen of branching, turns, usage, search and export
// (issue 5), in Node: over MemorySession and over IndexedDBSession on fake-indexeddb.
// The same suites run in real Chromium in encrypted-history.browser.test.ts.
import { describe, expect, it } from 'vitest'
import { DecryptionError, decryptSessionExport, EncryptedSession, encryptSessionExport, WrongKeyError } from '../../src/index.js'
import { type EncryptedEnvelope } from '../../src/crypto/envelope.js'
import {
  exportSession,
  importSession,
  IndexedDBSession,
  InvalidArgumentError,
  InvalidExportError,
  isBranchingSession,
  isUsageTrackingSession,
  MemorySession,
  type AgentItem,
  type Session,
} from '../../src/index.js'
import { describeBranching } from '../session/support/history-suites.js'
import { flipBit, newDataKey, rejectionOf, sealV1, unique, user } from '../crypto/support.js'
import { dataKeyId } from '../../src/crypto/keys.js'
import { PlainSession } from '../session/support/plain-session.js'

const key = await newDataKey()
const memory = new Map<string, MemorySession>()
describeBranching('EncryptedSession over MemorySession', (id) => {
  const inner = memory.get(id) ?? new MemorySession(id)
  memory.set(id, inner)
  return EncryptedSession.wrap(inner, { key })
})

const dbName = unique('enc-history-node')
describeBranching('EncryptedSession over IndexedDBSession (fake-indexeddb)', (id) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key }))

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const usage = (n: number) => ({ requests: 1, inputTokens: n, outputTokens: n, totalTokens: 2 * n })


describe('EncryptedSession: branches, turns, usage', () => {
  it('offers branching and usage exactly when the underlying session does', () => {
    const over = new EncryptedSession(new MemorySession(unique('caps')), { key })
    expect(isBranchingSession(over)).toBe(true)
    expect(isUsageTrackingSession(over)).toBe(true)
    const plain = new EncryptedSession(new PlainSession(unique('plain')), { key })
    expect(isBranchingSession(plain)).toBe(false)
    expect(isUsageTrackingSession(plain)).toBe(false)
    expect(plain.getTurns).toBeUndefined()
    expect(plain.storeRunUsage).toBeUndefined()
  })

  it('the store numbers turns and records usage without seeing any text', async () => {
    const inner = new IndexedDBSession(unique('blind'), { dbName })
    const session = EncryptedSession.wrap(inner, { key })
    await session.addItems([{ role: 'system', content: 'secret system prompt' }, user('first secret question'), assistant('first secret answer')])
    await session.storeRunUsage({ usage: usage(3) })
    await session.addItems([user('second secret question'), assistant('second secret answer')])
    await session.storeRunUsage({ usage: usage(5) })
    const seen = await inner.getTurns()
    expect(seen.map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
      [1, '', 2],
      [2, '', 2],
    ])
    expect(await inner.findTurns('secret')).toEqual([])
    const turns = await session.getTurns()
    expect(turns.map((t) => [t.turn, t.userText, t.itemCount, t.usage])).toEqual([
      [1, 'first secret question', 2, usage(3)],
      [2, 'second secret question', 2, usage(5)],
    ])
    expect(turns.map(({ userText: _u, ...rest }) => rest)).toEqual(seen.map(({ userText: _u, ...rest }) => rest))
    expect((await session.findTurns('SECOND SECRET ANSWER')).map((m) => [m.turn, m.snippet])).toEqual([[2, 'second secret answer']])
    expect(await session.findTurns('system prompt')).toEqual([]) // not in a turn, not user or assistant text
    expect(await session.getSessionUsage()).toEqual({ requests: 2, inputTokens: 8, outputTokens: 8, totalTokens: 16 })
    expect(await session.getTurnUsage(1)).toEqual(usage(3))
  })

  it('usage stored right after an add (not awaited) lands on the turn that add started', async () => {
    const session = EncryptedSession.wrap(new IndexedDBSession(unique('order'), { dbName }), { key })
    await session.addItems([user('one'), assistant('a')])
    const adding = session.addItems([user('two'), assistant('b')])
    const storing = session.storeRunUsage({ usage: usage(7) })
    await Promise.all([adding, storing])
    expect(await session.getTurnUsage()).toEqual([{ turn: 2, usage: usage(7) }])
  })

  it('turns and search throw DecryptionError for a tampered item, or skip it when asked, changing nothing', async () => {
    const inner = new MemorySession(unique('tamper'))
    await EncryptedSession.wrap(inner, { key }).addItems([user('alpha'), assistant('beta'), user('gamma'), assistant('delta')])
    const stored = (await inner.getItems()) as unknown as EncryptedEnvelope[]
    stored[1] = { ...stored[1]!, ct: flipBit(stored[1]!.ct) }
    await inner.replaceItems(stored as never)
    const strict = EncryptedSession.wrap(inner, { key })
    expect(await rejectionOf(strict.getTurns())).toMatchObject({ name: 'DecryptionError', index: 1, windowSize: 4, reason: 'authentication' })
    expect(await rejectionOf(strict.findTurns('gamma'))).toBeInstanceOf(DecryptionError)
    const skipping = EncryptedSession.wrap(inner, { key, onUndecryptable: 'skip' })
    expect((await skipping.getTurns()).map((t) => [t.userText, t.itemCount])).toEqual([
      ['alpha', 2],
      ['gamma', 2],
    ])
    expect(await skipping.findTurns('beta')).toEqual([])
    expect((await skipping.findTurns('delta')).map((m) => m.turn)).toEqual([2])
    expect(await inner.getItems()).toEqual(stored)
  })

  it('a wrong key cannot list turns or search: WrongKeyError, not an empty history', async () => {
    const inner = new MemorySession(unique('wrong'))
    await EncryptedSession.wrap(inner, { key }).addItems([user('hello'), assistant('hi')])
    const wrong = EncryptedSession.wrap(inner, { key: await newDataKey(), onUndecryptable: 'skip' })
    expect(await rejectionOf(wrong.getTurns())).toBeInstanceOf(WrongKeyError)
    expect(await rejectionOf(wrong.findTurns('hello'))).toBeInstanceOf(WrongKeyError)
  })

  it('expired items keep their turn numbers but show no text and are not searched', async () => {
    let now = 1_000_000
    const inner = new MemorySession(unique('ttl'))
    const session = EncryptedSession.wrap(inner, { key, ttl: 1000, now: () => now })
    await session.addItems([user('old question'), assistant('old answer')])
    now += 5000
    await session.addItems([user('new question'), assistant('new answer')])
    expect((await session.getTurns()).map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
      [1, '', 2],
      [2, 'new question', 2],
    ])
    expect(await session.findTurns('old')).toEqual([])
    expect((await session.findTurns('question')).map((m) => m.turn)).toEqual([2])
  })

  it('reads version 1 envelopes; reencryptItems upgrades them so that their user messages start turns', async () => {
    const inner = new IndexedDBSession(unique('v1'), { dbName })
    const kid = await dataKeyId(key)
    const old = [user('old one'), assistant('old answer')]
    await inner.addItems((await Promise.all(old.map((item) => sealV1(item, key, kid, inner.sessionId, 5)))) as never)
    const session = EncryptedSession.wrap(inner, { key })
    expect(await session.getItems()).toEqual(old)
    expect(await session.getTurns()).toEqual([]) // the store saw no user message
    expect(await session.reencryptItems()).toBe(2)
    expect(((await inner.getItems()) as unknown as EncryptedEnvelope[]).map((e) => [e.v, e.role, e.pos])).toEqual([
      [3, 'user', 0],
      [3, undefined, 1],
    ])
    expect((await session.getTurns()).map((t) => [t.turn, t.userText])).toEqual([[1, 'old one']])
    expect(await session.getItems()).toEqual(old)
    expect(await session.reencryptItems()).toBe(0)
  })

  it('migrates and re-encrypts every branch in place, keeping turns, times and usage; purge refuses several branches', async () => {
    const inner = new IndexedDBSession(unique('rewrite'), { dbName })
    await inner.addItems([user('q1'), assistant('a1'), user('q2'), assistant('a2')])
    await inner.storeRunUsage({ usage: usage(3) })
    const branch = await inner.createBranchFromTurn(2)
    await inner.addItems([user('q2b'), assistant('a2b')])
    const plainMain = await (async () => {
      await inner.switchToBranch('main')
      return inner.getItems()
    })()
    const turnsBefore = await inner.getTurns()
    const usageBefore = await inner.getSessionUsage()

    const session = EncryptedSession.wrap(inner, { key })
    expect(await session.migratePlaintextItems()).toBe(6)
    const raw = (await exportSession(inner.sessionId, { dbName }))!.items.map((row) => row.item as { type?: string })
    expect(raw.every((item) => item.type === 'encrypted')).toBe(true)
    expect(await session.getItems()).toEqual(plainMain)
    expect(await session.getTurns()).toEqual(turnsBefore)
    expect(await inner.getSessionUsage()).toEqual(usageBefore)
    await session.switchToBranch(branch)
    expect(await session.getItems()).toEqual([user('q1'), assistant('a1'), user('q2b'), assistant('a2b')])
    expect(await session.reencryptItems()).toBe(0)

    const expiring = EncryptedSession.wrap(inner, { key, ttl: 1000 })
    const error = await rejectionOf(expiring.purgeExpired())
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).toMatch(/2 branches .* Nothing was changed/)
  })
})

describe('EncryptedSession: export and import', () => {
  async function history(id = unique('export')) {
    const inner = new IndexedDBSession(id, { dbName })
    const session = EncryptedSession.wrap(inner, { key })
    await session.addItems([user('where is my passport?'), assistant('in the drawer')])
    await session.storeRunUsage({ usage: usage(4) })
    await session.addItems([user('and my keys?'), assistant('on the hook')])
    const branch = await session.createBranchFromTurn(2, 'edited')
    await session.addItems([user('and my wallet?'), assistant('in your coat')])
    await session.storeRunUsage({ usage: usage(6) })
    return { inner, session, branch }
  }

  /** Every branch's decrypted items, read through the session. */
  async function branchItems(session: ReturnType<typeof EncryptedSession.wrap<IndexedDBSession>>) {
    const current = await session.getCurrentBranchId()
    const out: Record<string, AgentItem[]> = {}
    for (const { id } of await session.listBranches()) {
      await session.switchToBranch(id)
      out[id] = await session.getItems()
    }
    await session.switchToBranch(current)
    return out
  }

  it('exports ciphertext by default; importing it under the same id into another database reads back equal', async () => {
    const { inner, session } = await history()
    const doc = (await exportSession(inner.sessionId, { dbName }))!
    expect(JSON.stringify(doc)).not.toMatch(/passport|drawer|wallet|coat|keys\?/)
    const otherDb = unique('enc-import')
    await importSession(JSON.parse(JSON.stringify(doc)), { dbName: otherDb })
    // Before any switch below (switching updates the record's time).
    expect(await exportSession(inner.sessionId, { dbName: otherDb })).toEqual({ ...doc, exportedAt: expect.any(Number) })
    const copy = EncryptedSession.wrap(new IndexedDBSession(inner.sessionId, { dbName: otherDb }), { key })
    expect(await copy.getTurns()).toEqual(await session.getTurns())
    expect(await copy.listBranches()).toEqual(await session.listBranches())
    expect(await copy.getSessionUsage()).toEqual(await session.getSessionUsage())
    expect(await branchItems(copy)).toEqual(await branchItems(session))
  })

  it('exportPlaintext equals the decrypted history, branch by branch, and imports as a plain session', async () => {
    const { inner, session, branch } = await history()
    const plain = (await session.exportPlaintext())!
    const cipher = (await exportSession(inner.sessionId, { dbName }))!
    // The ciphertext export keeps branch names sealed; the plaintext one opens them.
    expect(cipher.session.branches.find((b) => b.id === branch)).toMatchObject({ name: '', sealedName: { v: 1 } })
    expect(plain.session.branches.find((b) => b.id === branch)).toMatchObject({ name: 'edited' })
    const opened = cipher.session.branches.map(({ sealedName: _sealed, ...rest }) => ({ ...rest, name: rest.id === branch ? 'edited' : rest.name }))
    expect({ ...plain, exportedAt: 0, items: [] }).toEqual({ ...cipher, version: 1, exportedAt: 0, items: [], session: { ...cipher.session, branches: opened } })
    expect(plain.items.map(({ seq, createdAt }) => [seq, createdAt])).toEqual(cipher.items.map(({ seq, createdAt }) => [seq, createdAt]))
    const bySeq = new Map(plain.items.map((row) => [row.seq, row.item]))
    const expected = await branchItems(session)
    for (const branch of plain.session.branches) {
      const shown = branch.ranges.flatMap(([start, end]) => Array.from({ length: end - start }, (_, i) => bySeq.get(start + i)))
      expect(shown).toEqual(expected[branch.id])
    }
    const plainDb = unique('enc-plain-import')
    await importSession(plain, { dbName: plainDb })
    const reread = new IndexedDBSession(inner.sessionId, { dbName: plainDb })
    expect(await reread.getTurns()).toEqual(await session.getTurns())
    expect(await reread.getItems()).toEqual(await session.getItems())
  })

  it('exportPlaintext needs a database; it returns undefined for a session never written', async () => {
    const overMemory = EncryptedSession.wrap(new MemorySession(unique('mem')), { key })
    await expect(overMemory.exportPlaintext()).rejects.toThrow(/not stored in IndexedDB: pass \{ dbName \}/)
    expect(await EncryptedSession.wrap(new IndexedDBSession(unique('never'), { dbName }), { key }).exportPlaintext()).toBeUndefined()
  })

  it('a ciphertext export imported under another id fails to decrypt, with a message saying how to re-encrypt it', async () => {
    const { inner } = await history()
    const doc = (await exportSession(inner.sessionId, { dbName }))!
    const otherId = unique('moved')
    await importSession(doc, { dbName, sessionId: otherId })
    const moved = EncryptedSession.wrap(new IndexedDBSession(otherId, { dbName }), { key })
    const error = await rejectionOf(moved.getItems())
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error).toMatchObject({ sessionId: otherId, reason: 'authentication' })
    expect((error as Error).message).toMatch(/imported under another session id.*encryptSessionExport/)
  })

  it('encryptSessionExport re-binds a ciphertext export to a new id; the copy reads back equal', async () => {
    const { inner, session } = await history()
    const doc = (await exportSession(inner.sessionId, { dbName }))!
    const newId = unique('rebound')
    const rebound = await encryptSessionExport(doc, { key, sessionId: newId })
    expect(rebound.session.id).toBe(newId)
    expect(rebound.items.map((row) => (row.item as EncryptedEnvelope).at)).toEqual(doc.items.map((row) => (row.item as EncryptedEnvelope).at))
    expect(JSON.stringify(rebound)).not.toMatch(/passport|drawer|wallet/)
    await importSession(rebound, { dbName })
    const copy = EncryptedSession.wrap(new IndexedDBSession(newId, { dbName }), { key })
    expect(await branchItems(copy)).toEqual(await branchItems(session))
    expect(await copy.getTurns()).toEqual(await session.getTurns())
    expect(doc.session.id).toBe(inner.sessionId) // the input is not changed
  })

  it('encryptSessionExport encrypts a plaintext export for an encrypted store', async () => {
    const plain = new IndexedDBSession(unique('clear'), { dbName })
    await plain.addItems([user('plain question'), assistant('plain answer')])
    const doc = (await exportSession(plain.sessionId, { dbName }))!
    const sealed = await encryptSessionExport(doc, { key })
    expect(JSON.stringify(sealed)).not.toMatch(/plain question|plain answer/)
    expect(sealed.items.map((row) => (row.item as EncryptedEnvelope).at)).toEqual(doc.items.map((row) => row.createdAt))
    const otherDb = unique('enc-sealed-import')
    await importSession(sealed, { dbName: otherDb })
    const session = EncryptedSession.wrap(new IndexedDBSession(plain.sessionId, { dbName: otherDb }), { key })
    expect(await session.getItems()).toEqual(await plain.getItems())
    expect((await session.getTurns()).map((t) => t.userText)).toEqual(['plain question'])
  })

  it('decrypting an export: wrong key, edited session id, tampered item and non-exports are refused', async () => {
    const { inner } = await history()
    const doc = (await exportSession(inner.sessionId, { dbName }))!
    expect(await rejectionOf(decryptSessionExport(doc, { key: await newDataKey() }))).toBeInstanceOf(WrongKeyError)
    expect(await rejectionOf(encryptSessionExport(doc, { key: await newDataKey(), sessionId: 'x' }))).toBeInstanceOf(WrongKeyError)
    const edited = { ...doc, session: { ...doc.session, id: 'someone-else' } }
    expect(await rejectionOf(decryptSessionExport(edited, { key }))).toMatchObject({ name: 'DecryptionError', reason: 'authentication', index: 0 })
    const items = doc.items.map((row) => ({ ...row }))
    const target = items[2]!.item as EncryptedEnvelope
    items[2] = { ...items[2]!, item: { ...target, ct: flipBit(target.ct) } }
    expect(await rejectionOf(decryptSessionExport({ ...doc, items }, { key }))).toMatchObject({ name: 'DecryptionError', index: 2 })
    for (const bad of [null, {}, { session: { id: 'x' }, items: 'nope' }]) {
      expect(await rejectionOf(decryptSessionExport(bad as never, { key }))).toBeInstanceOf(InvalidExportError)
    }
    await expect(encryptSessionExport(doc, { key, sessionId: '' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
