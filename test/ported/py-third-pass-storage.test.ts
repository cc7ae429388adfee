// The generic storage cases of the Python Agents SDK's other session backends (Redis, MongoDB,
// Dapr): exact strings through the store, clearing one session only, and what concurrent
// reads, adds, pops and clears on one session object may see. Ported to every session kind.
import { describe, expect, it } from 'vitest'
import { EncryptedSession, IndexedDBSession, type AgentItem } from '../../src/index.js'
import { allKinds, dataKey } from './support/kinds.js'
import { assistant, hostileStrings, storedTexts, texts, user } from './support/items.js'

for (const kind of allKinds) {
  describe(`${kind.name}: other backends' storage cases (ported)`, () => {
    // python tests/extensions/memory/test_redis_session.py::test_special_characters_and_json_safety
    // python tests/extensions/memory/test_redis_session.py::test_data_integrity_with_problematic_strings
    // python tests/extensions/memory/test_dapr_session.py::test_special_characters_and_json_safety
    // python tests/extensions/memory/test_dapr_session.py::test_data_integrity_with_problematic_strings
    // python tests/extensions/memory/test_mongodb_session.py::test_json_special_characters
    it('gives back strings that break parsers and encodings exactly as stored (NUL, lone surrogates, escapes)', async () => {
      const session = kind.make()
      await session.addItems(hostileStrings.map((text, i) => (i % 2 ? assistant(text) : user(text))))
      expect(await storedTexts(session)).toEqual(hostileStrings)
      // and in a structured part, where a store may treat the text differently
      const structured: AgentItem = { role: 'user', content: [{ type: 'input_text', text: hostileStrings.join('|') }] }
      await session.addItems([structured])
      expect(texts(await session.getItems(1))).toEqual([hostileStrings.join('|')])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_clear_does_not_affect_other_sessions
    it('clearing one session leaves another untouched', async () => {
      const keep = kind.make()
      const cleared = kind.sibling!(keep)
      await keep.addItems([user('keep')])
      await cleared.addItems([user('delete')])
      await cleared.clearSession()
      expect(await storedTexts(keep)).toEqual(['keep'])
      expect(await cleared.getItems()).toEqual([])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_get_items_empty_session
    // python tests/extensions/memory/test_mongodb_session.py::test_multiple_add_calls_accumulate
    it('a new session reads empty; separate adds accumulate in order', async () => {
      const session = kind.make()
      expect(await session.getItems()).toEqual([])
      await session.addItems([user('a')])
      await session.addItems([assistant('b')])
      await session.addItems([user('c')])
      expect(await storedTexts(session)).toEqual(['a', 'b', 'c'])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_concurrent_pop_item_claims_distinct_items_from_batch
    it('concurrent pops on one object each take a different item, newest first, then undefined', async () => {
      const session = kind.make()
      const batch = ['first', 'second', 'third'].map(user)
      await session.addItems(batch)
      const popped = await Promise.all([session.popItem(), session.popItem(), session.popItem(), session.popItem()])
      // Position by position: the first three pops each take an item, only the fourth finds none.
      expect(popped.slice(0, 3).every((item) => item !== undefined)).toBe(true)
      expect(texts(popped.slice(0, 3) as AgentItem[])).toEqual(['third', 'second', 'first'])
      expect(popped[3]).toBeUndefined()
      expect(await session.getItems()).toEqual([])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_add_items_is_invisible_until_single_document_commit
    // (Python asserts the batch is seen whole or not at all; calls on one object here take
    // effect in the order they were made, so a read made after the add sees all of it.)
    it('a read made while an add is in flight sees the whole batch', async () => {
      const session = kind.make()
      await session.addItems([user('before')])
      const batch = ['b1', 'b2', 'b3', 'b4']
      const adding = session.addItems(batch.map(user))
      const [during] = await Promise.all([storedTexts(session), adding])
      expect(during).toEqual(['before', ...batch])
      expect(await storedTexts(session)).toEqual(['before', ...batch])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_atomically_selects_newest_concurrent_batch
    it('a pop made while an add is in flight takes the newest item of that batch', async () => {
      const session = kind.make()
      await session.addItems([user('older')])
      const adding = session.addItems(['n1', 'n2', 'n3'].map(user))
      const [popped] = await Promise.all([session.popItem(), adding])
      expect(texts([popped!])).toEqual(['n3'])
      expect(await storedTexts(session)).toEqual(['older', 'n1', 'n2'])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_clear_session_hides_add_reserved_before_generation_advance
    it('an add already started when a clear starts is cleared with the rest', async () => {
      const session = kind.make()
      await session.addItems([user('stored')])
      const adding = session.addItems([user('old')])
      await session.clearSession()
      await adding
      expect(await session.getItems()).toEqual([])
      await session.addItems([user('after clear')])
      expect(await storedTexts(session)).toEqual(['after clear'])
    })

    // python tests/extensions/memory/test_mongodb_session.py::test_pop_rechecks_generation_after_concurrent_clear
    // (Python returns None: its pop checks the generation after the clear. Here calls on one
    // object take effect in the order they were made, so the pop, made first, returns the
    // item and the clear then finds nothing; either way the item is gone exactly once.)
    it('a pop already started when a clear starts returns the item once, and the session ends empty', async () => {
      const session = kind.make()
      await session.addItems([user('old')])
      const popping = session.popItem()
      await session.clearSession()
      expect(texts([(await popping)!])).toEqual(['old'])
      expect(await session.getItems()).toEqual([])
      expect(await session.popItem()).toBeUndefined()
    })
  })
}

// python tests/extensions/memory/test_redis_session.py::test_key_prefix_isolation
// (Redis isolates by key prefix; IndexedDB by database name.)
describe('the same session id in two databases (ported)', () => {
  it('keeps their histories apart, plain and encrypted', async () => {
    const [app1, app2] = [`app1-${crypto.randomUUID()}`, `app2-${crypto.randomUUID()}`]
    const pairs = [
      [new IndexedDBSession('same_id', { dbName: app1 }), new IndexedDBSession('same_id', { dbName: app2 })],
      [
        new EncryptedSession(new IndexedDBSession('same_enc_id', { dbName: app1 }), { key: dataKey }),
        new EncryptedSession(new IndexedDBSession('same_enc_id', { dbName: app2 }), { key: dataKey }),
      ],
    ] as const
    for (const [one, two] of pairs) {
      await one.addItems([user('app1 message')])
      await two.addItems([user('app2 message')])
      expect(await storedTexts(one)).toEqual(['app1 message'])
      expect(await storedTexts(two)).toEqual(['app2 message'])
      await two.clearSession()
      expect(await storedTexts(one)).toEqual(['app1 message'])
    }
  })
})
