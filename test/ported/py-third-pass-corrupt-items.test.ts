// The Python Agents SDK's Redis, MongoDB and Dapr sessions skip stored items they cannot parse
// (and still fill the `limit` window with valid ones). Here, as PITFALLS.md says, a damaged
// row is never a silent gap: reading it is a typed StorageError naming the item, nothing is
// changed, other sessions read on, and the IndexedDBSession's popItem() removes a damaged
// newest item as stored.
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { EncryptedSession, exportSession, IndexedDBSession, searchSessions, StorageError, type Session } from '../../src/index.js'
import { dataKey } from './support/kinds.js'
import { storedTexts, user } from './support/items.js'

const kinds: Array<[string, (id: string, dbName: string) => Session]> = [
  ['IndexedDBSession', (id, dbName) => new IndexedDBSession(id, { dbName })],
  ['EncryptedSession(IndexedDBSession)', (id, dbName) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: dataKey })],
]
const MESSAGE = /Item \d+ of session "[^"]+" is (missing|null|an array|a \w+), not an item; the database was changed outside idb-agents\. Nothing was changed: exportSession shows it; when it is the newest, the IndexedDBSession's popItem\(\) removes it\./

/** What a row's item can be turned into by a write outside idb-agents. */
const damages: Array<[string, (row: Record<string, unknown>) => void]> = [
  ['a string that is not JSON', (row) => (row.item = 'not valid json {{{')],
  ['missing', (row) => delete row.item],
  ['a number', (row) => (row.item = 42)],
  ['an array', (row) => (row.item = [{ role: 'user', content: 'inside an array' }])],
]

/** Replaces the item record at `position` (0 = oldest) of `sessionId`, as an edit outside idb-agents would. */
async function damage(dbName: string, sessionId: string, position: number, change: (row: Record<string, unknown>) => void) {
  const db = await openDB(dbName)
  const keys = (await db.getAllKeys('items')).filter((key) => (key as [string, number])[0] === sessionId)
  const row = (await db.get('items', keys[position]!)) as Record<string, unknown>
  const before = structuredClone(row)
  change(row)
  await db.put('items', row)
  db.close()
  return before
}

describe.each(kinds)('%s: an item damaged outside idb-agents (ported)', (_name, make) => {
  describe.each(damages)('when it is %s', (_what, change) => {
    // python tests/extensions/memory/test_redis_session.py::test_get_items_limit_skips_corrupt_newest_messages
    // python tests/extensions/memory/test_redis_session.py::test_corrupted_data_handling
    // python tests/extensions/memory/test_mongodb_session.py::test_corrupted_document_is_skipped
    // python tests/extensions/memory/test_mongodb_session.py::test_missing_message_data_field_is_skipped
    // python tests/extensions/memory/test_mongodb_session.py::test_non_string_message_data_is_skipped
    // python tests/extensions/memory/test_mongodb_session.py::test_get_items_limit_skips_corrupt_newest_docs
    // python tests/extensions/memory/test_dapr_session.py::test_get_items_limit_skips_corrupt_newest_entries
    // (Python skips the item; here reading it is a typed error, never a silent gap.)
    it('reading a window that holds it is a StorageError naming it; windows without it, and other sessions, read on', async () => {
      const dbName = `ported-corrupt-${crypto.randomUUID()}`
      const session = make('limit_corrupt_test', dbName)
      const other = make('neighbour', dbName)
      await session.addItems([user('valid 0'), user('valid 1'), user('damaged'), user('valid 3')])
      await other.addItems([user('untouched')])
      await damage(dbName, 'limit_corrupt_test', 2, change)
      const reopened = make('limit_corrupt_test', dbName)
      for (const read of [() => reopened.getItems(), () => reopened.getItems(2)]) {
        const error = await read().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(StorageError)
        expect((error as Error).message).toMatch(MESSAGE)
      }
      expect((await reopened.getItems(1)).map((item) => item.content)).toEqual(['valid 3'])
      expect(await storedTexts(other)).toEqual(['untouched'])
      const found = await searchSessions('valid', { dbName })
      expect(found.find((r) => r.session.sessionId === 'limit_corrupt_test')?.session.problem).toMatch(/not an item/)
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_skips_corrupt_most_recent
    // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_returns_none_when_only_corrupt_docs_remain
    // python tests/extensions/memory/test_dapr_session.py::test_pop_item_skips_corrupt_most_recent
    // python tests/extensions/memory/test_dapr_session.py::test_pop_item_returns_none_after_dropping_only_corrupt_entries
    // (Python drops the damaged item and pops the next valid one; here the IndexedDBSession's
    // popItem() removes only the damaged newest item, as it was stored, and the session reads
    // again. An EncryptedSession reads the newest item before it pops, so it refuses, as the
    // error says, and removes nothing.)
    it("the IndexedDBSession's popItem() removes a damaged newest item, and the rest reads again", async () => {
      const dbName = `ported-corrupt-pop-${crypto.randomUUID()}`
      const session = make('pop_corrupt_test', dbName)
      await session.addItems([user('valid 0'), user('valid 1'), user('damaged')])
      const stored = await damage(dbName, 'pop_corrupt_test', 2, change)
      const reopened = make('pop_corrupt_test', dbName)
      await expect(reopened.getItems()).rejects.toBeInstanceOf(StorageError)
      const store = new IndexedDBSession('pop_corrupt_test', { dbName })
      if (reopened instanceof EncryptedSession) {
        await expect(reopened.popItem()).rejects.toThrow(MESSAGE)
        expect((await exportSession('pop_corrupt_test', { dbName }))?.items).toHaveLength(3)
      }
      const damaged = structuredClone(stored)
      change(damaged)
      expect(await store.popItem()).toEqual(damaged.item)
      expect(await storedTexts(reopened)).toEqual(['valid 0', 'valid 1'])
    })
  })
})
