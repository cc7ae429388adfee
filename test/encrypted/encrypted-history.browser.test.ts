// EncryptedSession with branches, turns, usage, search and export in real Chromium: real
// IndexedDB, real WebCrypto, a Keyring from a real key store (one PBKDF2 derivation).
import { openDB } from 'idb'
import { afterAll, describe, expect, it } from 'vitest'
import { EncryptedSession, encryptSessionExport, KeyStore } from '../../src/index.js'
import { type EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { exportSession, importSession, IndexedDBSession, MemorySession, type AgentItem } from '../../src/index.js'
import { run } from '../../src/runner/runner.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { deleteDatabase, unique, user } from '../crypto/support.js'
import type { NotesContext } from '../runner/helpers.js'
import { notesAgent } from '../runner/notes.js'
import { perItem } from './support/raw-idb.js'
import { describeBranching } from '../session/support/history-suites.js'

const keysName = unique('enc-history-keys')
const dbName = unique('enc-history-db')
const otherDb = unique('enc-history-import')
const store = await KeyStore.open(keysName)
const keyring = await store.create('another long and private passphrase')

afterAll(async () => {
  await store.destroy()
  await deleteDatabase(dbName)
  await deleteDatabase(otherDb)
})

describeBranching('EncryptedSession over IndexedDBSession (Chromium)', (id) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key: keyring }))

const memory = new Map<string, MemorySession>()
describeBranching('EncryptedSession over MemorySession (Chromium)', (id) => {
  const inner = memory.get(id) ?? new MemorySession(id)
  memory.set(id, inner)
  return EncryptedSession.wrap(inner, { key: keyring })
})

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const SECRETS = ['X1234567', 'passport', 'drawer', 'wallet', 'coat', 'lookup_doc', 'call_doc', 'function_call', 'assistant', 'output_text', 'secret']

interface RawItem {
  sessionId: string
  seq: number
  turn?: number
  item: EncryptedEnvelope
}

/** Everything in every store of `name`, as JSON text. */
async function everything(name: string): Promise<{ text: string; items: RawItem[] }> {
  const db = await openDB(name)
  try {
    const stores = await Promise.all([...db.objectStoreNames].map((s) => db.getAll(s)))
    return { text: JSON.stringify(stores), items: perItem(await db.getAll('items')) }
  } finally {
    db.close()
  }
}

async function history(id = unique('history')) {
  const session = EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key: keyring })
  await session.addItems([
    { role: 'system', content: 'secret system prompt' },
    user('My passport number is X1234567; where is my passport?'),
    { type: 'function_call', call_id: 'call_doc', name: 'lookup_doc', arguments: '{"doc":"passport"}' },
    { type: 'function_call_output', call_id: 'call_doc', output: 'passport: drawer' },
    assistant('Your passport is in the drawer.'),
  ])
  await session.storeRunUsage({ usage: { requests: 2, inputTokens: 40, outputTokens: 8, totalTokens: 48 } })
  await session.addItems([user('and my keys?'), assistant('on the hook')])
  const branch = await session.createBranchFromTurn(2, 'edited')
  await session.addItems([user('and my wallet?'), assistant('in your coat')])
  await session.storeRunUsage({ usage: { requests: 1, inputTokens: 10, outputTokens: 2, totalTokens: 12 } })
  return { session, branch }
}

describe('EncryptedSession history in Chromium', () => {
  it('raw records after branching, usage and search hold no plaintext: only user envelopes say they are one', async () => {
    const { session } = await history()
    expect((await session.findTurns('WALLET')).map((m) => m.turn)).toEqual([2])
    const { text, items } = await everything(dbName)
    for (const secret of [...SECRETS, 'edited']) expect(text).not.toContain(secret) // the branch name is sealed too
    const mine = items.filter((row) => row.sessionId === session.sessionId)
    expect(mine).toHaveLength(9)
    for (const row of mine) {
      expect(row.item.type).toBe('encrypted')
      expect(Object.keys(row.item).filter((k) => !['type', 'v', 'kid', 'at', 'pos', 'iv', 'ct'].includes(k))).toEqual(row.item.role === 'user' ? ['role'] : [])
    }
    // The store numbered the turns from the clear marker alone.
    expect(mine.filter((row) => row.item.role === 'user').map((row) => row.turn)).toEqual([1, 2, 2])
    expect(mine.filter((row) => row.item.role !== 'user').every((row) => row.turn === undefined)).toBe(true)
    expect((await new IndexedDBSession(session.sessionId, { dbName }).getTurns()).map((t) => t.userText)).toEqual(['', ''])
    expect((await session.getTurns()).map((t) => t.userText)).toEqual(['My passport number is X1234567; where is my passport?', 'and my wallet?'])
  })

  it('export → import round trip: ciphertext in the file, equal history after import', async () => {
    const { session, branch } = await history()
    const doc = (await exportSession(session.sessionId, { dbName }))!
    const file = JSON.stringify(doc)
    for (const secret of SECRETS) expect(file).not.toContain(secret)
    await importSession(JSON.parse(file), { dbName: otherDb })
    expect(await exportSession(session.sessionId, { dbName: otherDb })).toEqual({ ...doc, exportedAt: expect.any(Number) })
    const reloadedRing = await (await KeyStore.open(keysName)).unlock('another long and private passphrase')
    const copy = EncryptedSession.wrap(new IndexedDBSession(session.sessionId, { dbName: otherDb }), { key: reloadedRing })
    expect(await copy.getTurns()).toEqual(await session.getTurns())
    expect(await copy.listBranches()).toEqual(await session.listBranches())
    expect(await copy.getSessionUsage()).toEqual(await session.getSessionUsage())
    expect(await copy.getItems()).toEqual(await session.getItems())
    await copy.switchToBranch('main')
    await session.switchToBranch('main')
    expect(await copy.getItems()).toEqual(await session.getItems())
    await session.switchToBranch(branch)
  })

  it('the plaintext export equals the decrypted history of every branch', async () => {
    const { session } = await history()
    const plain = (await session.exportPlaintext())!
    const bySeq = new Map(plain.items.map((row) => [row.seq, row.item]))
    for (const branch of plain.session.branches) {
      await session.switchToBranch(branch.id)
      const shown = branch.ranges.flatMap(([start, end]) => Array.from({ length: end - start }, (_, i) => bySeq.get(start + i)))
      expect(shown).toEqual(await session.getItems())
    }
    expect(JSON.stringify(plain)).toContain('X1234567')
  })

  it('a ciphertext export re-bound to another id imports and reads back equal', async () => {
    const { session } = await history()
    const doc = (await exportSession(session.sessionId, { dbName }))!
    const newId = unique('rebound')
    await importSession(await encryptSessionExport(doc, { key: keyring, sessionId: newId }), { dbName })
    const copy = EncryptedSession.wrap(new IndexedDBSession(newId, { dbName }), { key: keyring })
    expect(await copy.getItems()).toEqual(await session.getItems())
    expect(await copy.getTurns()).toEqual(await session.getTurns())
  })

  it('the runner records usage per turn on an encrypted session', async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Gate code', content: '9382-x' } }], usage: { inputTokens: 10, outputTokens: 1, totalTokens: 11 } },
      { text: 'Saved.', usage: { inputTokens: 20, outputTokens: 2, totalTokens: 22 } },
      { text: 'The gate code is 9382-x.', usage: { inputTokens: 30, outputTokens: 3, totalTokens: 33 } },
    ])
    const context: NotesContext = { userId: 'bob', notes: [] }
    const id = unique('runner')
    const open = () => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key: keyring })
    await run(notesAgent(model), 'Remember the gate code 9382-x', { session: open(), context })
    await run(notesAgent(model), 'What is the gate code?', { session: open(), context })
    const session = open()
    expect(await session.getTurnUsage()).toEqual([
      { turn: 1, usage: { requests: 2, inputTokens: 30, outputTokens: 3, totalTokens: 33 } },
      { turn: 2, usage: { requests: 1, inputTokens: 30, outputTokens: 3, totalTokens: 33 } },
    ])
    expect((await session.findTurns('gate code is')).map((m) => m.turn)).toEqual([2])
    const { text } = await everything(dbName)
    for (const secret of ['9382-x', 'Gate code', 'save_note']) expect(text).not.toContain(secret)
  })
})
