// Schema migration, export/import and database-wide search: one suite run on
// fake-indexeddb in Node and on real IndexedDB in Chromium.
import { writeV2Session } from './v2-database.js'
import { SCHEMA_VERSION } from '../../../src/idb/schema.js'
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { IndexedDBSession, InvalidExportError, SessionExistsError, exportSession, importSession, listSessions, searchSessions, type AgentItem, type SessionExport } from '../../../src/index.js'
import { EXPORT_VERSION } from '../../../src/idb/export.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

export function describeStoredHistory(label: string, freshDb: () => string): void {
  describe(`${label}: migrations, export/import, search`, () => {
    it('opens a database written by schema v1 and shows all of its history, turns and branches', async () => {
      const dbName = freshDb()
      // Exactly what the v1 store wrote: no turn numbers, no usage store.
      const v1 = await openDB(dbName, 1, {
        upgrade(db) {
          db.createObjectStore('sessions', { keyPath: 'id' }).createIndex('byUpdatedAt', ['updatedAt', 'id'])
          db.createObjectStore('items', { keyPath: ['sessionId', 'seq'] })
        },
      })
      const old = [user('My favorite color is blue.'), assistant('Noted.'), user('And green?'), assistant('Both!'), user('Bye')]
      await v1.put('sessions', {
        id: 'legacy',
        createdAt: 1,
        updatedAt: 2,
        nextSeq: 7,
        currentBranchId: 'main',
        branches: {
          main: { id: 'main', name: 'main', parentId: null, forkAt: 0, createdAt: 1, ranges: [[0, 5]] },
          side: { id: 'side', name: 'side', parentId: 'main', forkAt: 2, createdAt: 2, ranges: [[0, 2], [5, 7]] },
        },
      })
      for (const [seq, item] of [...old, user('Side question'), assistant('Side answer')].entries()) {
        await v1.put('items', { sessionId: 'legacy', seq, createdAt: 1, item })
      }
      v1.close()

      const session = new IndexedDBSession('legacy', { dbName })
      expect(await session.getItems()).toEqual(old)
      expect((await session.getTurns()).map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
        [1, 'My favorite color is blue.', 2],
        [2, 'And green?', 2],
        [3, 'Bye', 1],
      ])
      expect((await session.listBranches()).map((b) => [b.id, b.itemCount, b.turnCount])).toEqual([
        ['main', 5, 3],
        ['side', 4, 2],
      ])
      await session.switchToBranch('side')
      expect((await session.getTurns()).map((t) => t.userText)).toEqual(['My favorite color is blue.', 'Side question'])
      await session.switchToBranch('main')
      await session.createBranchFromTurn(2)
      expect(await session.getItems()).toEqual(old.slice(0, 2))
      await session.switchToBranch('main')
      expect(await session.popItem()).toEqual(user('Bye'))
      expect(await session.getItems()).toEqual(old.slice(0, 4))
    })

    it('opens a database written by schema v2 at v5: history and usage kept, paused runs stored beside them', async () => {
      const dbName = freshDb()
      // What the v2 store wrote: turns, usage, no pendingRuns store.
      await writeV2Session(dbName, 'v2', [user('Hello'), assistant('Hi')])

      const session = new IndexedDBSession('v2', { dbName })
      expect(await session.getItems()).toEqual([user('Hello'), assistant('Hi')])
      expect(await session.getTurnUsage(1)).toEqual({ requests: 1, inputTokens: 2, outputTokens: 3, totalTokens: 5 })
      expect(await session.getPendingRun()).toBeUndefined()
      const next = { runId: 'run_1', state: '{"any":"state"}', createdAt: 3 }
      await session.updatePendingRun({ expected: null, items: [], next })
      expect(await new IndexedDBSession('v2', { dbName }).getPendingRun()).toEqual(next)
      await session.updatePendingRun({ expected: 'run_1', items: [user('Bye')], next: null })
      expect(await session.getItems()).toEqual([user('Hello'), assistant('Hi'), user('Bye')])
      expect(await session.getPendingRun()).toBeUndefined()
      const db = await openDB(dbName)
      expect(db.version).toBe(SCHEMA_VERSION)
      expect([...db.objectStoreNames]).toEqual(['items', 'operations', 'outbox', 'pendingRuns', 'sessions', 'syncState', 'usage'])
      db.close()
    })

    it('exports every branch and usage, and imports an equal session', async () => {
      const dbName = freshDb()
      const session = new IndexedDBSession('exported', { dbName })
      await session.addItems([user('one'), assistant('1')])
      await session.storeRunUsage({ usage: { requests: 1, inputTokens: 3, outputTokens: 4, totalTokens: 7 } })
      await session.addItems([user('two'), assistant('2')])
      await session.setTitle('Numbers')
      const branch = await session.createBranchFromTurn(2, 'other two')
      await session.addItems([user('TWO'), assistant('II')])

      const doc = (await exportSession('exported', { dbName }))!
      // A session without sealed titles or names exports as version 1, which older versions read.
      expect(doc).toMatchObject({ format: 'idb-agents/session', version: 1 })
      const file = JSON.parse(JSON.stringify(doc)) as SessionExport
      const target = freshDb()
      const info = await importSession(file, { dbName: target })
      expect(info).toMatchObject({ sessionId: 'exported', title: 'Numbers', itemCount: 4, branchCount: 2, currentBranchId: branch })

      const copy = new IndexedDBSession('exported', { dbName: target })
      expect(await copy.getItems()).toEqual(await session.getItems())
      expect(await copy.listBranches()).toEqual(await session.listBranches())
      expect(await copy.getSessionUsage()).toEqual(await session.getSessionUsage())
      expect(await copy.getTurns()).toEqual(await session.getTurns())
      expect({ ...(await exportSession('exported', { dbName: target }))!, exportedAt: 0 }).toEqual({ ...doc, exportedAt: 0 })
      await copy.switchToBranch('main')
      await session.switchToBranch('main')
      expect(await copy.getItems()).toEqual(await session.getItems())
      await copy.addItems([user('three')])
      expect(await copy.getItems(1)).toEqual([user('three')])
    })

    it('refuses malformed, truncated, inconsistent or newer files with a clear error and writes nothing', async () => {
      const dbName = freshDb()
      const source = new IndexedDBSession('source', { dbName })
      await source.addItems([user('a'), assistant('b'), user('c')])
      const good = (await exportSession('source', { dbName }))!
      const target = freshDb()
      const existing = new IndexedDBSession('source', { dbName: target })
      await existing.addItems([user('kept')])

      const truncated = { ...good, items: good.items.slice(0, 2) }
      const cases: Array<[unknown, RegExp]> = [
        [null, /document: /],
        ['{"format":', /document: /],
        [{ ...good, format: 'something-else' }, /format: /],
        [{ ...good, version: EXPORT_VERSION + 1 }, /newer version of idb-agents .*update the app/],
        [truncated, /shows item 2, which the file does not contain \(truncated\?\)/],
        [{ ...good, session: { ...good.session, currentBranchId: 'ghost' } }, /no branch "ghost"/],
        [{ ...good, items: [...good.items.slice(0, 2), { seq: 2, createdAt: 1, item: { type: 'x', f: 1n } }] }, /bigint is not JSON/],
        [{ ...good, usage: [{ seq: 0, requests: 'many' }] }, /usage\.0\./],
      ]
      for (const [bad, message] of cases) {
        const error = await importSession(bad, { dbName: target, replace: true }).catch((e: unknown) => e)
        expect(error, String(message)).toBeInstanceOf(InvalidExportError)
        expect((error as Error).message).toMatch(message)
        expect((error as Error).message).toMatch(/Nothing was imported/)
      }
      await expect(importSession(good, { dbName: target })).rejects.toBeInstanceOf(SessionExistsError)
      expect(await existing.getItems()).toEqual([user('kept')])
      expect((await listSessions({ dbName: target })).sessions.map((s) => s.sessionId)).toEqual(['source'])

      await importSession(good, { dbName: target, sessionId: 'renamed' })
      expect(await new IndexedDBSession('renamed', { dbName: target }).getItems()).toEqual([user('a'), assistant('b'), user('c')])
      await importSession(good, { dbName: target, replace: true })
      expect(await existing.getItems()).toEqual([user('a'), assistant('b'), user('c')])
    })

    it('searches every session of a database, newest first', async () => {
      const dbName = freshDb()
      await new IndexedDBSession('alice', { dbName }).addItems([user('I need help with billing'), assistant('Sure.')])
      await new Promise((resolve) => setTimeout(resolve, 2))
      await new IndexedDBSession('bob', { dbName }).addItems([user('Reset my password'), assistant('Your BILLING address?')])
      await new IndexedDBSession('carol', { dbName }).addItems([user('Hello')])
      const results = await searchSessions('billing', { dbName })
      expect(results.map((r) => [r.session.sessionId, r.matches.map((m) => m.turn)])).toEqual([
        ['bob', [1]],
        ['alice', [1]],
      ])
      expect(await searchSessions('nothing like this', { dbName })).toEqual([])
    })
  })
}
