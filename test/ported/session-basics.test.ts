// The basic session contract as the Python and JavaScript Agents SDKs test it (SQLiteSession,
// AsyncSQLiteSession, SQLAlchemySession, AdvancedSQLiteSession, MemorySession), ported to
// every session kind here.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedSession, IndexedDBSession, InvalidItemError, type AgentItem } from '../../src/index.js'
import { allKinds, dataKey } from './support/kinds.js'
import { assistant, storedTexts, texts, user } from './support/items.js'

afterEach(() => {
  vi.restoreAllMocks()
})

for (const kind of allKinds) {
  describe(`${kind.name}: basic operations (ported)`, () => {
    // python tests/memory/test_session.py::test_sqlite_session_memory_direct
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_sqlalchemy_session_direct_ops
    // python tests/extensions/memory/test_async_sqlite_session.py::test_async_sqlite_session_basic_flow
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_advanced_session_basic_functionality
    it('stores items in order, pops the newest, and clears', async () => {
      const session = kind.make()
      await session.addItems([user('Hello'), assistant('Hi there!')])
      const stored = await session.getItems()
      expect(stored.map((i) => i.role)).toEqual(['user', 'assistant'])
      expect(texts(stored)).toEqual(['Hello', 'Hi there!'])
      expect(texts([(await session.popItem())!])).toEqual(['Hi there!'])
      expect(await storedTexts(session)).toEqual(['Hello'])
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
    })

    // python tests/memory/test_session.py::test_sqlite_session_memory_pop_item
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_pop_from_empty_session
    // python tests/extensions/memory/test_async_sqlite_session.py::test_async_sqlite_session_pop_from_empty_session
    it('pops newest first down to empty, then returns undefined', async () => {
      const session = kind.make()
      expect(await session.popItem()).toBeUndefined()
      await session.addItems([user('Hello'), assistant('Hi there!'), user('How are you?')])
      const popped: string[] = []
      for (let i = 0; i < 3; i++) popped.push(texts([(await session.popItem())!])[0]!)
      expect(popped).toEqual(['How are you?', 'Hi there!', 'Hello'])
      expect(await session.popItem()).toBeUndefined()
      expect(await session.getItems()).toEqual([])
    })

    // python tests/memory/test_session.py::test_session_memory_pop_different_sessions
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_session_isolation
    it('keeps sessions with different ids apart, pops included', async () => {
      const one = kind.make()
      const two = kind.sibling!(one)
      await one.addItems([user('Session 1 message')])
      await two.addItems([user('Session 2 message 1'), user('Session 2 message 2')])
      expect(texts([(await two.popItem())!])).toEqual(['Session 2 message 2'])
      expect(await storedTexts(one)).toEqual(['Session 1 message'])
      expect(await storedTexts(two)).toEqual(['Session 2 message 1'])
    })

    // python tests/memory/test_session.py::test_sqlite_session_get_items_with_limit
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_get_items_with_limit
    // python tests/extensions/memory/test_async_sqlite_session.py::test_async_sqlite_session_get_items_with_limit_more_than_available
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_get_items_limit_returns_fewer_when_history_exhausted
    it('returns the newest `limit` items oldest first; all when the limit exceeds the history; none for 0', async () => {
      const session = kind.make()
      const contents = ['Message 1', 'Response 1', 'Message 2', 'Response 2', 'Message 3', 'Response 3']
      await session.addItems(contents.map((text, i) => (i % 2 === 0 ? user(text) : assistant(text))))
      expect(await storedTexts(session)).toEqual(contents)
      expect(texts(await session.getItems(2))).toEqual(['Message 3', 'Response 3'])
      expect(texts(await session.getItems(4))).toEqual(['Message 2', 'Response 2', 'Message 3', 'Response 3'])
      expect(texts(await session.getItems(10))).toEqual(contents)
      expect(await session.getItems(0)).toEqual([])
    })

    // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'returns an empty array for non-positive limits without listing items'
    it('returns nothing for a negative limit', async () => {
      const session = kind.make()
      await session.addItems([user('kept')])
      expect(await session.getItems(-1)).toEqual([])
      expect(await storedTexts(session)).toEqual(['kept'])
    })

    // python tests/memory/test_session.py::test_get_items_uses_session_settings_limit
    // python tests/memory/test_session.py::test_get_items_explicit_limit_overrides_session_settings
    // python tests/extensions/memory/test_encrypt_session.py::test_session_settings_get_items_uses_underlying_limit
    it('uses the settings limit as the default window, and an explicit limit wins', async () => {
      const session = kind.make({ settings: { limit: 3 } })
      await session.addItems(Array.from({ length: 10 }, (_, i) => user(`Message ${i}`)))
      expect(await storedTexts(session)).toEqual(['Message 7', 'Message 8', 'Message 9'])
      expect(texts(await session.getItems(2))).toEqual(['Message 8', 'Message 9'])
      expect(await session.getItems(Infinity)).toHaveLength(10)
    })

    // python tests/memory/test_session.py::test_sqlite_session_unicode_content
    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_unicode_content
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_sqlalchemy_session_defaults_to_escaped_non_ascii_storage
    it('round-trips non-ASCII text', async () => {
      const session = kind.make()
      const contents = ['こんにちは', '😊👍', 'Привет', 'Special chars: áéíóú', 'café']
      await session.addItems(contents.map(user))
      expect(await storedTexts(session)).toEqual(contents)
    })

    // python tests/memory/test_session.py::test_sqlite_session_special_characters_and_sql_injection
    it('stores quotes and SQL-looking text as plain text', async () => {
      const session = kind.make()
      const contents = ["O'Reilly", 'DROP TABLE sessions;', '"SELECT * FROM users WHERE name = "admin";"', "Robert'); DROP TABLE students;--", 'Normal message']
      await session.addItems(contents.map(user))
      expect(await storedTexts(session)).toEqual(contents)
    })

    // python tests/extensions/memory/test_sqlalchemy_session.py::test_add_empty_items_list
    // python tests/extensions/memory/test_async_sqlite_session.py::test_async_sqlite_session_add_empty_items_list
    it('treats an empty batch as a no-op', async () => {
      const session = kind.make()
      await session.addItems([])
      expect(await session.getItems()).toEqual([])
      await session.addItems([user('one')])
      await session.addItems([])
      expect(await storedTexts(session)).toEqual(['one'])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_add_items_failure_preserves_existing_history
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_add_items_can_retry_after_structure_metadata_failure
    it('stores nothing of a refused batch, keeps the history, and takes the batch once it is fixed', async () => {
      const session = kind.make()
      await session.addItems([user('already saved')])
      const error = await session.addItems([assistant('not saved'), { role: 'user', content: 'bad', at: new Date(0) } as unknown as AgentItem]).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidItemError)
      expect(await storedTexts(session)).toEqual(['already saved'])
      await session.addItems([assistant('not saved'), user('fixed')])
      expect(await storedTexts(session)).toEqual(['already saved', 'not saved', 'fixed'])
    })

    // python tests/memory/test_session.py::test_sqlite_session_concurrent_access
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_concurrent_add_items_preserves_message_structure_for_file_db
    it('keeps every item of concurrent adds, each batch contiguous and in order', async () => {
      const session = kind.make()
      const batches = Array.from({ length: 8 }, (_, worker) => Array.from({ length: 5 }, (_, i) => `worker-${worker}-message-${i}`))
      await Promise.all(batches.map((batch) => session.addItems(batch.map(user))))
      const stored = await storedTexts(session)
      expect([...stored].sort()).toEqual(batches.flat().sort())
      for (const batch of batches) {
        const at = stored.indexOf(batch[0]!)
        expect(stored.slice(at, at + batch.length)).toEqual(batch)
      }
    })

    // js packages/agents-core/test/memorySession.test.ts: 'returns clones so external mutations do not persist'
    it('hands out copies: changing given or returned items changes nothing stored', async () => {
      const session = kind.make()
      const given: AgentItem = { role: 'user', content: [{ type: 'input_text', text: 'original' }] }
      await session.addItems([given])
      ;(given.content as Array<{ text: string }>)[0]!.text = 'changed after add'
      const [returned] = await session.getItems()
      ;(returned!.content as Array<{ text: string }>)[0]!.text = 'changed after get'
      expect(await storedTexts(session)).toEqual(['original'])
    })

    if (kind.reopen) {
      // python tests/memory/test_session.py::test_sqlite_session_memory_direct (history in the store, not the object)
      // python tests/extensions/memory/test_sqlalchemy_session.py::test_concurrent_pop_item_returns_each_row_once
      it('two objects on one stored conversation pop each item once', async () => {
        const writer = kind.make()
        await writer.addItems([user('first'), assistant('second')])
        const other = kind.reopen!(writer)
        expect(await storedTexts(other)).toEqual(['first', 'second'])
        const popped = await Promise.all([writer.popItem(), other.popItem()])
        expect(texts(popped as AgentItem[]).sort()).toEqual(['first', 'second'])
        expect(await writer.getItems()).toEqual([])
      })

      // python tests/extensions/memory/test_sqlalchemy_session.py::test_add_items_concurrent_first_write_after_tables_exist
      // python tests/memory/test_session.py::test_sqlite_session_file_lock_is_shared_across_instances
      it('two objects on one stored conversation adding at once keep every item, each batch whole', async () => {
        const first = kind.make()
        await first.addItems([user('start')])
        const second = kind.reopen!(first)
        const batches = [['a1', 'a2', 'a3'], ['b1', 'b2', 'b3']]
        await Promise.all([first.addItems(batches[0]!.map(user)), second.addItems(batches[1]!.map(user))])
        const stored = await storedTexts(first)
        expect(stored[0]).toBe('start')
        expect([...stored.slice(1)].sort()).toEqual(batches.flat())
        for (const batch of batches) expect(stored.slice(stored.indexOf(batch[0]!), stored.indexOf(batch[0]!) + 3)).toEqual(batch)
        expect(await storedTexts(second)).toEqual(stored)
      })
    }

    if (!kind.remote) {
      // python tests/extensions/memory/test_sqlalchemy_session.py::test_get_items_same_timestamp_consistent_order
      // python tests/extensions/memory/test_sqlalchemy_session.py::test_pop_item_same_timestamp_returns_latest
      // python tests/extensions/memory/test_sqlalchemy_session.py::test_get_items_orders_by_id_for_ties
      // python tests/extensions/memory/test_advanced_sqlite_session.py::test_sequence_ordering
      it('keeps insertion order, and pops the newest, when every item has the same timestamp', async () => {
        vi.spyOn(Date, 'now').mockReturnValue(1_760_000_000_000)
        const session = kind.make()
        await session.addItems([user('older')])
        await session.addItems([{ type: 'reasoning', id: 'rs_same_ts', summary: [] }, assistant('message')])
        expect((await session.getItems()).map((i) => i.type ?? i.role)).toEqual(['user', 'reasoning', 'assistant'])
        expect((await session.getItems(2)).map((i) => i.type ?? i.role)).toEqual(['reasoning', 'assistant'])
        expect(texts([(await session.popItem())!])).toEqual(['message'])
        expect((await session.getItems()).map((i) => i.type ?? i.role)).toEqual(['user', 'reasoning'])
      })
    }
  })
}

// python tests/extensions/memory/test_sqlalchemy_session.py::test_add_items_concurrent_first_access_across_sessions_with_shared_engine
// python tests/extensions/memory/test_sqlalchemy_session.py::test_add_items_concurrent_first_access_with_create_tables
it('first writes of several sessions at once into a database that does not exist yet all land, each in its own session', async () => {
  const freshDb = `ported-fresh-${crypto.randomUUID()}`
  const sessions = [
    new IndexedDBSession('shared_engine_a', { dbName: freshDb }),
    new IndexedDBSession('shared_engine_b', { dbName: freshDb }),
    new EncryptedSession(new IndexedDBSession('shared_engine_c', { dbName: freshDb }), { key: dataKey }),
    new IndexedDBSession('shared_engine_a', { dbName: freshDb }),
  ]
  await Promise.all(sessions.map((session, i) => session.addItems([user(`write ${i}`)])))
  expect((await storedTexts(sessions[0]!)).sort()).toEqual(['write 0', 'write 3'])
  expect(await storedTexts(sessions[1]!)).toEqual(['write 1'])
  expect(await storedTexts(sessions[2]!)).toEqual(['write 2'])
})
