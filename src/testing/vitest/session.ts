import { describe, expect, it } from 'vitest'
import { InvalidItemError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type { Session } from '../../session/session.js'
import { uniqueSessionId, user } from './fixtures.js'

/** Options of {@link describeSessionConformance}. */
export interface SessionConformanceOptions {
  /**
   * The session rejects items that are not plain JSON with `InvalidItemError` and writes
   * nothing of that batch, as the built-in sessions do (call `toStoredItems` in your
   * `addItems` to get this). Set `false` for a session that stores whatever it is given.
   * @default true
   */
  rejectsInvalidItems?: boolean
  /**
   * Opens the session with a default window (`settings: { limit }`). When given, the suite
   * also checks that `getItems()` honours it and that `getItems(Infinity)` returns every
   * item past it (what compaction and history rewrites read).
   */
  withDefaultLimit?: (sessionId: string, limit: number) => Session<AgentItem> | Promise<Session<AgentItem>>
}

/**
 * Creates a session for one test. Called with the same id more than once when a test
 * needs two instances of one session (to check concurrency); both must see one history.
 */
export type SessionFactory = (sessionId: string) => Session<AgentItem> | Promise<Session<AgentItem>>

const uniqueId = (label: string): string => uniqueSessionId(`conformance-${label}`)
const texts = (items: AgentItem[]): unknown[] => items.map((item) => ('content' in item ? item.content : item.type))

/**
 * Registers a vitest suite that checks `makeSession` keeps the {@link Session} contract:
 * ordering, `limit` edge cases, isolation between ids, pop on empty, clear, copy
 * semantics, all-or-nothing batches, and concurrent adds and pops. Run it against your own
 * session (a Redis- or file-backed one, say) the same way idb-agents runs it against its
 * own:
 *
 * ```ts
 * describeSessionConformance('RedisSession', (id) => new RedisSession(id, client))
 * ```
 */
export function describeSessionConformance(
  name: string,
  makeSession: SessionFactory,
  options: SessionConformanceOptions = {},
): void {
  const rejectsInvalidItems = options.rejectsInvalidItems ?? true

  describe(`${name} keeps the Session contract`, () => {
    it('starts empty and reports its id', async () => {
      const id = uniqueId('empty')
      const session = await makeSession(id)
      expect(session.sessionId).toBe(id)
      expect(await session.getSessionId()).toBe(id)
      expect(await session.getItems()).toEqual([])
      expect(await session.popItem()).toBeUndefined()
    })

    const { withDefaultLimit } = options
    if (withDefaultLimit) {
      it('honours a default window in getItems(), and getItems(Infinity) returns every item past it', async () => {
        const session = await withDefaultLimit(uniqueId('default-window'), 2)
        await session.addItems([user('a'), user('b'), user('c')])
        await session.addItems([user('d')])
        expect(texts(await session.getItems())).toEqual(['c', 'd'])
        expect(texts(await session.getItems(3))).toEqual(['b', 'c', 'd'])
        expect(texts(await session.getItems(Infinity))).toEqual(['a', 'b', 'c', 'd'])
      })
    }

    it('returns items in the order they were added, across calls', async () => {
      const session = await makeSession(uniqueId('order'))
      await session.addItems([user('a'), user('b'), user('c')])
      await session.addItems([user('d')])
      await session.addItems([])
      expect(texts(await session.getItems())).toEqual(['a', 'b', 'c', 'd'])
    })

    it('getItems(limit) returns the newest items, oldest first, with 0, negative and large limits', async () => {
      const session = await makeSession(uniqueId('limit'))
      await session.addItems(['1', '2', '3', '4', '5'].map(user))
      expect(texts(await session.getItems(2))).toEqual(['4', '5'])
      expect(texts(await session.getItems(1))).toEqual(['5'])
      expect(texts(await session.getItems(5))).toEqual(['1', '2', '3', '4', '5'])
      expect(texts(await session.getItems(500))).toEqual(['1', '2', '3', '4', '5'])
      expect(await session.getItems(0)).toEqual([])
      expect(await session.getItems(-3)).toEqual([])
    })

    it('round-trips every kind of Responses input item unchanged', async () => {
      const session = await makeSession(uniqueId('kinds'))
      const items: AgentItem[] = [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Hi ✓ 日本' }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thinking' }], encrypted_content: 'enc' },
        { type: 'function_call', call_id: 'call_1', name: 'save_note', arguments: '{"title":"x"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'Saved' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done', annotations: [] }], status: 'completed' },
        { type: 'compaction', encrypted_content: 'opaque' },
        { type: 'future_item_type', nested: { list: [1, 2.5, null, true, 'x'], empty: {} } },
      ]
      await session.addItems(items)
      expect(await session.getItems()).toEqual(items)
    })

    it('popItem removes and returns the newest item until the session is empty', async () => {
      const session = await makeSession(uniqueId('pop'))
      await session.addItems([user('a'), user('b')])
      expect(await session.popItem()).toEqual(user('b'))
      expect(texts(await session.getItems())).toEqual(['a'])
      expect(await session.popItem()).toEqual(user('a'))
      expect(await session.popItem()).toBeUndefined()
      await session.addItems([user('c')])
      expect(texts(await session.getItems())).toEqual(['c'])
    })

    it('clearSession removes everything and the session stays usable', async () => {
      const session = await makeSession(uniqueId('clear'))
      await session.addItems([user('a'), user('b')])
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
      expect(await session.popItem()).toBeUndefined()
      await session.addItems([user('c')])
      expect(texts(await session.getItems())).toEqual(['c'])
      await session.clearSession()
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
    })

    it('keeps sessions with different ids isolated', async () => {
      const alice = await makeSession(uniqueId('alice'))
      const bob = await makeSession(uniqueId('bob'))
      await alice.addItems([user('alice 1')])
      await bob.addItems([user('bob 1')])
      await alice.addItems([user('alice 2')])
      expect(texts(await alice.getItems())).toEqual(['alice 1', 'alice 2'])
      expect(texts(await bob.getItems())).toEqual(['bob 1'])
      await bob.clearSession()
      expect(texts(await alice.getItems())).toEqual(['alice 1', 'alice 2'])
      expect(await alice.popItem()).toEqual(user('alice 2'))
      expect(await bob.getItems()).toEqual([])
    })

    it('copies items in and out: later changes to caller objects change nothing stored', async () => {
      const session = await makeSession(uniqueId('copy'))
      const parts = [{ type: 'input_text', text: 'original' }]
      const item: AgentItem = { role: 'user', content: parts }
      await session.addItems([item])
      parts[0]!.text = 'changed after add'
      item.role = 'system'
      const [read] = await session.getItems()
      expect(read).toEqual({ role: 'user', content: [{ type: 'input_text', text: 'original' }] })
      ;(read as { role: string }).role = 'assistant'
      expect(await session.getItems()).toEqual([{ role: 'user', content: [{ type: 'input_text', text: 'original' }] }])
    })

    if (rejectsInvalidItems) {
      it('rejects a batch with a non-JSON item as a whole, keeping what was stored', async () => {
        const session = await makeSession(uniqueId('bad-batch'))
        await session.addItems([user('kept')])
        const bad = [user('new 1'), { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', extra: () => 1 }]
        const error = await session.addItems(bad as AgentItem[]).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(InvalidItemError)
        expect((error as InvalidItemError).index).toBe(1)
        expect((error as InvalidItemError).path).toBe('extra')
        await expect(session.addItems([null as unknown as AgentItem])).rejects.toBeInstanceOf(InvalidItemError)
        expect(texts(await session.getItems())).toEqual(['kept'])
      })

      it('rejects holes in a batch or inside an item, naming where, and writes nothing', async () => {
        const session = await makeSession(uniqueId('holes'))
        await session.addItems([user('kept')])
        // eslint-disable-next-line no-sparse-arrays
        const holes: Array<[unknown[], number, string]> = [
          [new Array(1), 0, ''],
          // eslint-disable-next-line no-sparse-arrays
          [[user('a'), , user('b')], 1, ''],
          // eslint-disable-next-line no-sparse-arrays
          [[{ role: 'user', content: [{ type: 'input_text', text: 'x' }, , { type: 'input_text', text: 'y' }] }], 0, 'content[1]'],
        ]
        for (const [batch, index, path] of holes) {
          const error = await session.addItems(batch as AgentItem[]).catch((e: unknown) => e)
          expect(error).toBeInstanceOf(InvalidItemError)
          expect(error).toMatchObject({ index, path })
        }
        expect(await session.getItems()).toEqual([user('kept')])
        await session.addItems([user('after')])
        expect(texts(await session.getItems())).toEqual(['kept', 'after'])
      })

      it('keeps a "__proto__" key as the item\'s own data, and refuses an item whose only shape comes from one', async () => {
        const session = await makeSession(uniqueId('proto-key'))
        const parsed = JSON.parse('{"type":"function_call","call_id":"c1","name":"f","arguments":"{}","__proto__":{"polluted":true}}') as AgentItem
        await session.addItems([parsed])
        const [read] = await session.getItems()
        expect(Object.hasOwn(read!, '__proto__')).toBe(true)
        expect(JSON.stringify(read)).toBe(JSON.stringify(parsed))
        expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
        const disguised = JSON.parse('{"__proto__":{"type":"message","role":"user","content":"hi"}}') as AgentItem
        await expect(session.addItems([disguised])).rejects.toBeInstanceOf(InvalidItemError)
        expect(await session.getItems()).toHaveLength(1)
      })

      it('refuses an item nested too deeply with InvalidItemError, not a RangeError', async () => {
        const session = await makeSession(uniqueId('deep'))
        let deep: unknown = 'bottom'
        for (let i = 0; i < 50_000; i++) deep = { nested: deep }
        const error = await session.addItems([{ type: 'deep', value: deep } as AgentItem]).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(InvalidItemError)
        expect((error as Error).message).toMatch(/levels deep/)
        expect(await session.getItems()).toEqual([])
      })
    }

    it('keeps each concurrent addItems batch whole, contiguous and in order (one and two instances)', async () => {
      const id = uniqueId('concurrent-add')
      const first = await makeSession(id)
      const second = await makeSession(id)
      const batch = (label: string): AgentItem[] => [1, 2, 3].map((n) => user(`${label}-${n}`))
      const labels = ['a', 'b', 'c', 'd', 'e', 'f']
      await Promise.all(labels.map((label, i) => (i % 2 ? second : first).addItems(batch(label))))
      const stored = texts(await first.getItems()) as string[]
      expect(stored).toHaveLength(18)
      expect([...stored].sort()).toEqual(labels.flatMap((label) => texts(batch(label))).sort())
      for (let i = 0; i < stored.length; i += 3) {
        const label = stored[i]!.split('-')[0]!
        expect(stored.slice(i, i + 3)).toEqual(texts(batch(label)))
      }
      expect(await second.getItems()).toEqual(await first.getItems())
    })

    it('never returns the same item from concurrent popItem calls', async () => {
      const id = uniqueId('concurrent-pop')
      const first = await makeSession(id)
      const second = await makeSession(id)
      const all = Array.from({ length: 8 }, (_, n) => user(`item ${n}`))
      await first.addItems(all)
      const popped = await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? second : first).popItem()))
      const found = popped.filter((item) => item !== undefined)
      expect(found).toHaveLength(8)
      expect(texts(found).sort()).toEqual(texts(all).sort())
      expect(await first.getItems()).toEqual([])
    })
  })
}
