// Records that are not items, as the JavaScript Agents SDK's example sessions (FileSession,
// PrismaSession) test them: a corrupt record beside a valid one, the newest record corrupt,
// every record corrupt. Those examples skip and drop corrupt records. Here (PITFALLS: "a
// corrupt row is a typed error, never a silent gap", and nothing stored is dropped behind the
// user's back):
// - IndexedDBSession: a row changed outside idb-agents into something that is not an item is a
//   StorageError naming it on read, and nothing is returned, sent or changed; popItem() removes
//   it when it is the newest, returning it as stored (the one way to drop it short of a clear);
// - EncryptedSession: a corrupt envelope is skipped on read with `onUndecryptable: 'skip'`;
//   popItem never removes what it cannot open, and its error says how to remove it.
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { Agent, DecryptionError, EncryptedSession, IndexedDBSession, MemorySession, run, StorageError, type AgentItem, type Session } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { dataKey, dbName } from './support/kinds.js'
import { storedTexts, texts, user } from './support/items.js'

let counter = 0
const newId = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`

/** Overwrites the stored value of the item rows of `sessionId` at `indexes` (oldest first) with `values`, as an edit outside idb-agents would. */
async function corruptRows(sessionId: string, values: Map<number, unknown>): Promise<void> {
  const db = await openDB(dbName)
  try {
    const rows = (await db.getAll('items')).filter((row: { sessionId: string }) => row.sessionId === sessionId)
    rows.sort((a: { seq: number }, b: { seq: number }) => a.seq - b.seq)
    for (const [index, value] of values) await db.put('items', { ...rows[index], item: value })
  } finally {
    db.close()
  }
}

/** Everything stored under `sessionId`, read around idb-agents. */
async function rawRows(sessionId: string): Promise<unknown[]> {
  const db = await openDB(dbName)
  try {
    return (await db.getAll('items')).filter((row: { sessionId: string }) => row.sessionId === sessionId).map((row: { item: unknown }) => row.item)
  } finally {
    db.close()
  }
}

describe('IndexedDBSession: a stored record that is not an item (ported)', () => {
  // js examples/memory/sessions/file.test.ts: 'skips corrupt records when reading items'
  // js examples/memory/sessions/prisma.test.ts: 'skips corrupt records when reading items'
  it('is a StorageError naming it on read, and a run sends nothing to the model and saves nothing', async () => {
    const sessionId = newId('corrupt-read')
    const session = new IndexedDBSession(sessionId, { dbName })
    await session.addItems([user('valid'), user('soon corrupt')])
    await corruptRows(sessionId, new Map([[1, 'not valid json {{{']]))
    const before = await rawRows(sessionId)
    const error = await session.getItems().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(String((error as Error).message)).toContain(`session "${sessionId}"`)
    expect(String((error as Error).message)).toContain('not an item')
    const model = new ScriptedModel(['answer'])
    await expect(run(new Agent({ name: 'test', model }), 'hello', { session })).rejects.toMatchObject({ inputSaved: false })
    expect(model.requests).toEqual([])
    expect(await rawRows(sessionId)).toEqual(before)
    // A window that does not reach it reads as before.
    await corruptRows(sessionId, new Map([[0, 42]]))
    await corruptRows(sessionId, new Map([[1, user('valid again')]]))
    expect(texts(await session.getItems(1))).toEqual(['valid again'])
  })

  // js examples/memory/sessions/file.test.ts: 'skips corrupt most-recent records when popping items'
  // js examples/memory/sessions/prisma.test.ts: 'skips corrupt most-recent records when popping items'
  // js examples/memory/sessions/file.test.ts: 'drops every corrupt record before returning undefined'
  // js examples/memory/sessions/prisma.test.ts: 'drops every corrupt record before returning undefined'
  // Here popItem() removes a damaged newest row and returns it as stored (the SDK examples drop
  // it): it is how such a row is removed short of a clear, as the read error says.
  it('pops a newest record that is not an item, returning it as stored; the rest reads again', async () => {
    const sessionId = newId('corrupt-pop')
    const session = new IndexedDBSession(sessionId, { dbName })
    await session.addItems([user('valid'), user('soon corrupt')])
    await corruptRows(sessionId, new Map([[1, 'not valid json {{{']]))
    await expect(session.getItems()).rejects.toBeInstanceOf(StorageError)
    expect(await session.popItem()).toBe('not valid json {{{')
    expect(await rawRows(sessionId)).toEqual([user('valid')])
    expect(await session.getItems()).toEqual([user('valid')])
    await corruptRows(sessionId, new Map<number, unknown>([[0, 42]]))
    expect(await session.popItem()).toBe(42)
    expect(await session.getItems()).toEqual([])
  })
})

/** A copy of `envelope` with its ciphertext replaced by text that is not base64. */
const garbled = (envelope: AgentItem): AgentItem => ({ ...envelope, ct: 'not valid json {{{' })

const underlying: Array<[string, () => Session]> = [
  ['MemorySession', () => new MemorySession(newId('enc-corrupt'))],
  ['IndexedDBSession', () => new IndexedDBSession(newId('enc-corrupt'), { dbName })],
]

for (const [name, makeInner] of underlying) {
  describe(`EncryptedSession over ${name}: a corrupt record (ported)`, () => {
    // js examples/memory/sessions/file.test.ts: 'skips corrupt records when reading items'
    // js examples/memory/sessions/prisma.test.ts: 'skips corrupt records when reading items'
    it("skips it on read with onUndecryptable: 'skip', and names it with DecryptionError by default", async () => {
      const inner = makeInner()
      const sealing = new EncryptedSession(inner, { key: dataKey })
      await sealing.addItems([user('valid'), user('soon corrupt')])
      const [first, second] = await inner.getItems()
      await inner.clearSession()
      await inner.addItems([first!, garbled(second!)])
      const error = await new EncryptedSession(inner, { key: dataKey }).getItems().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DecryptionError)
      // names it: the session, and the corrupt record's place in the window read
      expect(error).toMatchObject({ sessionId: inner.sessionId, index: 1, windowSize: 2 })
      expect(await storedTexts(new EncryptedSession(inner, { key: dataKey, onUndecryptable: 'skip' }))).toEqual(['valid'])
    })

    // js examples/memory/sessions/file.test.ts: 'skips corrupt most-recent records when popping items'
    // js examples/memory/sessions/prisma.test.ts: 'skips corrupt most-recent records when popping items'
    // js examples/memory/sessions/file.test.ts: 'drops every corrupt record before returning undefined'
    // js examples/memory/sessions/prisma.test.ts: 'drops every corrupt record before returning undefined'
    // (The examples drop corrupt records on pop. popItem here never removes what it cannot
    // open, whatever onUndecryptable says (its TSDoc): the error says how to remove it.)
    it("refuses to pop a corrupt newest item even with onUndecryptable: 'skip', removing nothing, and says how to remove it", async () => {
      const inner = makeInner()
      const sealing = new EncryptedSession(inner, { key: dataKey })
      await sealing.addItems([user('valid'), user('soon corrupt')])
      const [first, second] = await inner.getItems()
      await inner.clearSession()
      await inner.addItems([first!, garbled(second!)])
      const skipping = new EncryptedSession(inner, { key: dataKey, onUndecryptable: 'skip' })
      const error = await skipping.popItem().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DecryptionError)
      const message = String((error as Error).message)
      expect(message).not.toContain("Open the session with onUndecryptable: 'skip'")
      expect(message).toContain('popItem()')
      expect(await inner.getItems()).toEqual([first, garbled(second!)])
      // As the message says: the underlying session's popItem() removes it; then the valid item pops.
      await inner.popItem()
      expect(await skipping.popItem()).toEqual(user('valid'))
      expect(await inner.getItems()).toEqual([])
    })
  })
}
