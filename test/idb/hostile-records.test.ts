// Data used as keys (branch ids, record fields) from files and from other, buggy writers:
// looked up as own data only, refused when an import points at what it lacks, and one
// damaged record never hides the others.
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import {
  exportSession,
  IndexedDBSession,
  importSession,
  InvalidExportError,
  listSessions,
  searchSessions,
  type AgentItem,
  type SessionExport,
} from '../../src/index.js'

const freshDb = () => `hostile-${Math.random().toString(36).slice(2)}`
const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ role: 'assistant', content: text })

async function exported(dbName: string, sessionId: string): Promise<SessionExport> {
  const session = new IndexedDBSession(sessionId, { dbName })
  await session.addItems([user('q1'), assistant('a1'), user('q2'), assistant('a2')])
  await session.createBranchFromTurn(2, 'edit')
  await session.addItems([user('q2b')])
  return (await exportSession(sessionId, { dbName }))!
}

describe('import refuses a file whose branches point at what it lacks, and changes nothing', () => {
  const cases: Array<[string, (doc: SessionExport) => void, RegExp]> = [
    ["currentBranchId 'constructor'", (doc) => (doc.session.currentBranchId = 'constructor'), /no branch "constructor"/],
    ["currentBranchId '__proto__'", (doc) => (doc.session.currentBranchId = '__proto__'), /no branch "__proto__"/],
    ['a parent that is not in the file', (doc) => (doc.session.branches[1]!.parentId = 'toString'), /descends from "toString"/],
    ['main with a parent', (doc) => (doc.session.branches[0]!.parentId = doc.session.branches[1]!.id), /"main" branch must have no parent/],
    ['a parent loop', (doc) => {
      const [, child] = doc.session.branches
      doc.session.branches.push({ ...child!, id: 'loop-a', parentId: 'loop-b' }, { ...child!, id: 'loop-b', parentId: 'loop-a' })
    }, /loop/],
  ]
  for (const [what, spoil, message] of cases) {
    it(what, async () => {
      const dbName = freshDb()
      const doc = await exported(dbName, 'good')
      const before = await exportSession('good', { dbName })
      spoil(doc)
      const error = await importSession(doc, { dbName, replace: true }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidExportError)
      expect((error as Error).message).toMatch(message)
      expect({ ...(await exportSession('good', { dbName }))!, exportedAt: 0 }).toEqual({ ...before!, exportedAt: 0 })
      expect((await listSessions({ dbName })).sessions.map((s) => [s.sessionId, s.problem])).toEqual([['good', undefined]])
    })
  }

  it('takes a branch named "__proto__" as an ordinary branch, own data of the record', async () => {
    const dbName = freshDb()
    const doc = await exported(dbName, 'source')
    const branch = doc.session.branches[1]!
    branch.id = '__proto__'
    doc.session.currentBranchId = '__proto__'
    await importSession(doc, { dbName, sessionId: 'copy' })
    const copy = new IndexedDBSession('copy', { dbName })
    expect(await copy.getCurrentBranchId()).toBe('__proto__')
    expect((await copy.listBranches()).map((b) => b.id)).toEqual(['main', '__proto__'])
    expect((await copy.getItems()).at(-1)).toEqual(user('q2b'))
    await copy.switchToBranch('main')
    expect(await copy.getItems()).toHaveLength(4)
    expect(({} as Record<string, unknown>).ranges).toBeUndefined()
  })
})

describe('a damaged record', () => {
  async function damage(dbName: string, sessionId: string, change: (record: Record<string, unknown>) => void): Promise<void> {
    const db = await openDB(dbName)
    const record = (await db.get('sessions', sessionId)) as Record<string, unknown>
    change(record)
    await db.put('sessions', record)
    db.close()
  }

  it('is listed with what is wrong, and never makes the listing or the search of the others fail', async () => {
    const dbName = freshDb()
    for (const id of ['a', 'b', 'c']) await new IndexedDBSession(id, { dbName }).addItems([user(`hello from ${id}`)])
    await damage(dbName, 'b', (record) => (record.currentBranchId = 'constructor'))
    const { sessions } = await listSessions({ dbName })
    expect(sessions.map((s) => [s.sessionId, s.problem === undefined])).toEqual([
      ['c', true],
      ['b', false],
      ['a', true],
    ])
    expect(sessions.find((s) => s.sessionId === 'b')!.problem).toMatch(/switchToBranch\('main'\)/)
    const found = await searchSessions('hello', { dbName })
    expect(found.map((r) => [r.session.sessionId, r.matches.length, r.session.problem === undefined])).toEqual([
      ['c', 1, true],
      ['b', 0, false],
      ['a', 1, true],
    ])
  })

  it('fails reads and writes with a typed error that says how to repair it, writes nothing, and switching to main repairs it', async () => {
    const dbName = freshDb()
    const session = new IndexedDBSession('s', { dbName })
    await session.addItems([user('kept')])
    await damage(dbName, 's', (record) => (record.currentBranchId = '__proto__'))
    const reopened = new IndexedDBSession('s', { dbName })
    await expect(reopened.getItems()).rejects.toThrow(/record is damaged; switchToBranch\('main'\) repairs it/)
    await expect(reopened.addItems([user('lost?')])).rejects.toThrow(/damaged/)
    expect(({} as Record<string, unknown>).turns).toBeUndefined()
    await reopened.switchToBranch('main')
    expect(await reopened.getItems()).toEqual([user('kept')])
  })
})
