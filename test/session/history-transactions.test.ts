// @openai/agents' history capabilities (applyHistoryTransaction, applyHistoryMutations,
// replaceHistoryWithCompaction) on every session kind in Node: MemorySession,
// IndexedDBSession on fake-indexeddb, EncryptedSession over both. Then what only the
// IndexedDB store shows: operation ids in their own store (schema v4), written in the
// change's transaction, gone with the session, not exported.
import { writeV2Session } from '../idb/support/v2-database.js'
import { SCHEMA_VERSION } from '../../src/idb/schema.js'
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import {
  DecryptionError,
  deleteSession,
  EncryptedSession,
  exportSession,
  HistoryOperationConflictError,
  importSession,
  IndexedDBSession,
  isCompactionReplaceableSession,
  isSessionHistoryRewriteAwareSession,
  isSessionHistoryTransactionAwareSession,
  MemorySession,
  WrongKeyError,
  type AgentItem,
} from '../../src/index.js'
import { describeAdvancedSession, describeHistoryTransactions, type AdvancedHistorySession, type HistoryTransactionSession } from '../../src/testing/vitest/index.js'
import { newDataKey, unique } from '../crypto/support.js'
import { PlainSession } from './support/plain-session.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

const memory = new Map<string, MemorySession>()
const memoryOf = (id: string) => {
  const session = memory.get(id) ?? new MemorySession(id)
  memory.set(id, session)
  return session
}
describeHistoryTransactions('MemorySession', memoryOf)

const dbName = unique('history-tx-node')
describeHistoryTransactions('IndexedDBSession (fake-indexeddb)', (id) => new IndexedDBSession(id, { dbName }))

const key = await newDataKey()
describeHistoryTransactions('EncryptedSession over MemorySession', (id) => new EncryptedSession(memoryOf(id), { key }) as unknown as HistoryTransactionSession)
describeHistoryTransactions(
  'EncryptedSession over IndexedDBSession (fake-indexeddb)',
  (id) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key }) as unknown as HistoryTransactionSession,
)

describeAdvancedSession('MemorySession', memoryOf)
describeAdvancedSession('IndexedDBSession (fake-indexeddb)', (id) => new IndexedDBSession(id, { dbName }))
describeAdvancedSession('EncryptedSession over IndexedDBSession (fake-indexeddb)', (id) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key }) as AdvancedHistorySession)

describe('history capabilities: who offers them', () => {
  it('IndexedDBSession, MemorySession and EncryptedSession over them have all three; over a plain store, or with ttl, EncryptedSession has none', () => {
    for (const session of [new IndexedDBSession(unique('caps'), { dbName }), new MemorySession(), new EncryptedSession(new MemorySession(), { key })]) {
      expect(isSessionHistoryTransactionAwareSession(session)).toBe(true)
      expect(isSessionHistoryRewriteAwareSession(session)).toBe(true)
      expect(isCompactionReplaceableSession(session)).toBe(true)
    }
    for (const session of [new EncryptedSession(new PlainSession(unique('plain')), { key }), new EncryptedSession(new MemorySession(), { key, ttl: 60_000 })]) {
      expect(isSessionHistoryTransactionAwareSession(session)).toBe(false)
      expect(isSessionHistoryRewriteAwareSession(session)).toBe(false)
    }
  })
})

describe('EncryptedSession: history transactions stay sealed', () => {
  it('stores envelopes at their positions and the operation digest sealed; a wrong key cannot confirm a retry', async () => {
    const id = unique('enc-tx')
    const inner = new IndexedDBSession(id, { dbName })
    const session = new EncryptedSession(inner, { key })
    await session.addItems([user('secret question'), assistant('draft')])
    await session.applyHistoryTransaction!({ operationId: 'op-s', transaction: { type: 'replace_suffix', expectedSuffix: [assistant('draft')], replacement: [assistant('secret answer')] } })
    const raw = JSON.stringify(await inner.getItems())
    expect(raw).not.toMatch(/secret/)
    const stored = await inner.getHistoryOperation('op-s')
    expect(stored).toBeDefined()
    expect(stored).not.toMatch(/secret|draft/)
    // Reloaded with the key: reads in order, and the retry is recognised.
    const reloaded = new EncryptedSession(new IndexedDBSession(id, { dbName }), { key })
    await reloaded.applyHistoryTransaction!({ operationId: 'op-s', transaction: { type: 'replace_suffix', expectedSuffix: [assistant('draft')], replacement: [assistant('secret answer')] } })
    expect(await reloaded.getItems()).toEqual([user('secret question'), assistant('secret answer')])
    // Another key opens nothing, so it cannot tell a retry from a conflict: it refuses, writing nothing.
    const other = new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: await newDataKey() })
    await expect(other.applyHistoryTransaction!({ operationId: 'op-s', transaction: { type: 'append_items', items: [] } })).rejects.toBeInstanceOf(WrongKeyError)
    expect(await reloaded.getItems()).toEqual([user('secret question'), assistant('secret answer')])
    // A record moved from another operation fails authentication: refused, nothing written.
    await session.applyHistoryTransaction!({ operationId: 'op-t', transaction: { type: 'append_items', items: [user('more')] } })
    const db = await openDB(dbName)
    const moved = await db.get('operations', [id, 'op-t'])
    await db.put('operations', { ...moved, operationId: 'op-u' })
    db.close()
    const before = await reloaded.getItems()
    const error = await reloaded.applyHistoryTransaction!({ operationId: 'op-u', transaction: { type: 'append_items', items: [user('more')] } }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error).toMatchObject({ label: 'operation', operationId: 'op-u' })
    expect((error as Error).message).toMatch(/history operation "op-u".*refused rather than applied twice/)
    expect(await reloaded.getItems()).toEqual(before)
  })
})

describe('IndexedDBSession: operation ids in the database', () => {
  const fresh = () => unique('history-tx-db')

  it('upgrades a v2 database to v4 keeping every item, and records operations there', async () => {
    const name = fresh()
    await writeV2Session(name, 'old', [user('kept'), assistant('kept too')], false)
    const session = new IndexedDBSession('old', { dbName: name })
    await session.applyHistoryTransaction({ operationId: 'op-1', transaction: { type: 'append_items', items: [user('new')] } })
    expect(await session.getItems()).toEqual([user('kept'), assistant('kept too'), user('new')])
    const db = await openDB(name)
    expect(db.version).toBe(SCHEMA_VERSION)
    expect([...db.objectStoreNames]).toContain('operations')
    expect(await db.getAll('operations')).toMatchObject([{ sessionId: 'old', operationId: 'op-1', branchId: 'main' }])
    db.close()
  })

  it('a refused transaction records no operation; deleteSession and an import over the session remove its operations, other sessions keep theirs', async () => {
    const name = fresh()
    const a = new IndexedDBSession('a', { dbName: name })
    const b = new IndexedDBSession('b', { dbName: name })
    await a.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('a')] } })
    await b.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('b')] } })
    await expect(a.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('other')] } })).rejects.toBeInstanceOf(
      HistoryOperationConflictError,
    )
    await expect(a.applyHistoryTransaction({ operationId: 'op-2', transaction: { type: 'replace_suffix', expectedSuffix: [user('no')], replacement: [] } })).rejects.toThrow()
    const operations = async () => {
      const db = await openDB(name)
      const rows = await db.getAll('operations')
      db.close()
      return rows.map((row: { sessionId: string; operationId: string }) => `${row.sessionId}/${row.operationId}`).sort()
    }
    expect(await operations()).toEqual(['a/op', 'b/op'])

    const doc = (await exportSession('a', { dbName: name }))!
    expect(JSON.stringify(doc)).not.toContain('"op"')
    await importSession(doc, { dbName: name, sessionId: 'b', replace: true })
    expect(await operations()).toEqual(['a/op'])
    expect(await b.getItems()).toEqual([user('a')])
    // The imported copy starts without operation ids: the same id applies there.
    await b.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [user('b again')] } })
    await deleteSession('a', { dbName: name })
    expect(await operations()).toEqual(['b/op'])
  })

  it('an import over a session drops the run paused on it, in the same transaction', async () => {
    const name = fresh()
    const a = new IndexedDBSession('a', { dbName: name })
    const b = new IndexedDBSession('b', { dbName: name })
    await a.addItems([user('a')])
    await b.addItems([user('b')])
    await b.updatePendingRun({ expected: null, items: [], next: { runId: 'run_1', state: '{"paused":true}', createdAt: 1 } })
    await importSession((await exportSession('a', { dbName: name }))!, { dbName: name, sessionId: 'b', replace: true })
    expect(await new IndexedDBSession('b', { dbName: name }).getItems()).toEqual([user('a')])
    expect(await new IndexedDBSession('b', { dbName: name }).getPendingRun()).toBeUndefined()
  })

  it('the operation id and the change commit together: a write that fails halfway records neither', async () => {
    const name = fresh()
    const session = new IndexedDBSession('atomic', { dbName: name })
    await session.addItems([user('q'), assistant('a')])
    // A stray row where the appended item will go makes its add fail inside the transaction.
    const db = await openDB(name)
    await db.put('items', { sessionId: 'atomic', seq: 2, createdAt: 1, item: user('stray') })
    db.close()
    const args = { operationId: 'op-atomic', transaction: { type: 'append_items' as const, items: [assistant('appended')] } }
    await expect(session.applyHistoryTransaction(args)).rejects.toThrow()
    expect(await session.getHistoryOperation('op-atomic')).toBeUndefined()
    expect(await session.getItems()).toEqual([user('q'), assistant('a')])
    const cleanup = await openDB(name)
    await cleanup.delete('items', ['atomic', 2])
    cleanup.close()
    await session.applyHistoryTransaction(args)
    await session.applyHistoryTransaction(args)
    expect(await session.getItems()).toEqual([user('q'), assistant('a'), assistant('appended')])
  })
})
