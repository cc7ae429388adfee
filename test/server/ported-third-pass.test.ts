// The generic storage cases of the Python Agents SDK's Redis, MongoDB and Dapr sessions, on
// PostgresSession (PGlite and PostgreSQL): exact strings through jsonb, isolation by user (Redis
// isolates by key prefix), clearing one session only, concurrent calls on one object, and
// created/updated times of the session.
import { expect, it } from 'vitest'
import type { AgentItem } from '../../src/index.js'
import { PostgresSession } from '../../src/server/index.js'
import { describeEngines, uniqueUser } from './support/engines.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ role: 'assistant', content: text })
const textOf = (item: AgentItem | undefined) => (typeof item?.content === 'string' ? item.content : JSON.stringify(item?.content))
const texts = (items: readonly (AgentItem | undefined)[]) => items.map(textOf)

const hostileStrings = [
  "O'Reilly",
  '{"nested": "json"}',
  'Quote: "Hello world"',
  'Line1\nLine2\tTabbed\r\n',
  '\\n\\t\\r Special escapes',
  '\\u0000 written out',
  '"SELECT * FROM users WHERE name = "admin";"',
  "Robert'); DROP TABLE students;--",
  'nul \u0000 inside',
  'lone surrogates \ud800 and \udfff',
  'line separators \u2028 \u2029',
  '',
]

let counter = 0
describeEngines('PostgresSession: other backends\' storage cases (ported)', (engine) => {
  const userId = uniqueUser('third-pass')
  const make = (id = `s-${++counter}`, owner = userId) => new PostgresSession(id, { store: engine.store(), userId: owner })

  // python tests/extensions/memory/test_redis_session.py::test_special_characters_and_json_safety
  // python tests/extensions/memory/test_redis_session.py::test_data_integrity_with_problematic_strings
  // python tests/extensions/memory/test_dapr_session.py::test_data_integrity_with_problematic_strings
  // python tests/extensions/memory/test_mongodb_session.py::test_json_special_characters
  it('gives back strings that break parsers and encodings exactly as stored (NUL, lone surrogates, escapes)', async () => {
    const session = make()
    await session.addItems(hostileStrings.map((text, i) => (i % 2 ? assistant(text) : user(text))))
    expect(texts(await session.getItems())).toEqual(hostileStrings)
    const structured: AgentItem = { role: 'user', content: [{ type: 'input_text', text: hostileStrings.join('|') }], ['key \u0000 with nul']: 'x' }
    await session.addItems([structured])
    expect((await session.getItems(1))[0]).toEqual(structured)
    expect(texts(await make(session.sessionId).getItems())).toEqual([...hostileStrings, textOf(structured)])
  })

  // python tests/extensions/memory/test_redis_session.py::test_key_prefix_isolation
  it('keeps the same session id of two users apart', async () => {
    const [one, two] = [make('same_id', uniqueUser('app1')), make('same_id', uniqueUser('app2'))]
    await one.addItems([user('app1 message')])
    await two.addItems([user('app2 message')])
    expect(texts(await one.getItems())).toEqual(['app1 message'])
    expect(texts(await two.getItems())).toEqual(['app2 message'])
    await two.clearSession()
    expect(texts(await one.getItems())).toEqual(['app1 message'])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_does_not_affect_other_sessions
  it('clearing one session leaves another untouched', async () => {
    const [keep, cleared] = [make(), make()]
    await keep.addItems([user('keep')])
    await cleared.addItems([user('delete')])
    await cleared.clearSession()
    expect(texts(await keep.getItems())).toEqual(['keep'])
    expect(await cleared.getItems()).toEqual([])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_add_items_is_invisible_until_single_document_commit
  it('a read during an add sees the whole batch or none of it', async () => {
    const session = make()
    await session.addItems([user('before')])
    const batch = ['b1', 'b2', 'b3', 'b4']
    const [during] = await Promise.all([session.getItems().then(texts), session.addItems(batch.map(user))])
    expect([['before'], ['before', ...batch]]).toContainEqual(during)
    expect(texts(await session.getItems())).toEqual(['before', ...batch])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_pop_item_atomically_selects_newest_concurrent_batch
  it('a pop during an add takes the newest item of one side, never one from inside the batch', async () => {
    const session = make()
    await session.addItems([user('older')])
    const [popped] = await Promise.all([session.popItem(), session.addItems(['n1', 'n2', 'n3'].map(user))])
    const took = textOf(popped)
    expect(['older', 'n3']).toContain(took)
    expect(texts(await session.getItems())).toEqual(['older', 'n1', 'n2', 'n3'].filter((t) => t !== took))
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_clear_session_hides_add_reserved_before_generation_advance
  // python tests/extensions/memory/test_mongodb_session.py::test_pop_rechecks_generation_after_concurrent_clear
  // (Python's pop returns None there; calls on one object here take effect in the order they
  // were made: the pop returns the item, the clear finds the rest. Nothing comes back.)
  it('an add and a pop already started when a clear starts are cleared with the rest, the item popped once', async () => {
    const session = make()
    await session.addItems([user('old')])
    const adding = session.addItems([user('added before the clear')])
    const popping = session.popItem()
    await session.clearSession()
    await adding
    expect(texts([await popping])).toEqual(['added before the clear'])
    expect(await session.getItems()).toEqual([])
    await session.addItems([user('after clear')])
    expect(texts(await session.getItems())).toEqual(['after clear'])
  })

  // python tests/extensions/memory/test_mongodb_session.py::test_concurrent_pop_item_claims_distinct_items_from_batch
  it('concurrent pops on one object each take a different item, newest first', async () => {
    const session = make()
    await session.addItems(['first', 'second', 'third'].map(user))
    const popped = await Promise.all([session.popItem(), session.popItem(), session.popItem(), session.popItem()])
    expect(texts(popped.slice(0, 3))).toEqual(['third', 'second', 'first'])
    expect(popped[3]).toBeUndefined()
    expect(await session.getItems()).toEqual([])
  })
})

