// Two writers appending to one encrypted session at once (two tabs, two session objects):
// every item lands once, in its writer's order, sealed at the position it sits at.
import { describe, expect, it } from 'vitest'
import { EncryptedSession, IndexedDBSession, PositionConflictError, type AgentItem, type DataKeyProvider, type Session, type UsageTotals } from '../../../src/index.js'
import type { EncryptedEnvelope } from '../../../src/crypto/envelope.js'
import { unique, user } from '../../crypto/support.js'

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

/** `turns` two-item turns labelled `label`, as a writer appends them, all at once. */
export function writeTurns(session: Session, label: string, turns: number): Promise<void[]> {
  return Promise.all(Array.from({ length: turns }, (_, i) => session.addItems([user(`${label}${i}`), assistant(`${label}${i} answer`)])))
}

/** Checks a history of `prefix` items, then the turns of writers `labels`, `turns` each. */
export async function expectWholeHistory(reader: Session, stored: Session, labels: string[], turns: number, prefix: number): Promise<void> {
  const items = await reader.getItems()
  expect(items).toHaveLength(prefix + labels.length * turns * 2)
  const text = (item: AgentItem | undefined): string => {
    if (item === undefined || !('content' in item)) return ''
    return typeof item.content === 'string' ? item.content : ((item.content as Array<{ text?: string }>)[0]?.text ?? '')
  }
  for (const label of labels) {
    const own = items.map(text).filter((t) => new RegExp(`^${label}\\d+$`).test(t))
    expect(own).toEqual(Array.from({ length: turns }, (_, i) => `${label}${i}`)) // once each, in order
  }
  items.forEach((item, i) => {
    if (i >= prefix && /^[a-z]\d+$/.test(text(item))) expect(text(items[i + 1])).toBe(`${text(item)} answer`) // a turn stays whole
  })
  const envelopes = (await stored.getItems()) as unknown as EncryptedEnvelope[]
  expect(envelopes.map((envelope) => envelope.pos)).toEqual(envelopes.map((_, i) => i))
}

/** An IndexedDBSession that counts the position conflicts it reports. */
class ConflictCounting extends IndexedDBSession {
  conflicts = 0
  override async addItemsAt(position: number, items: AgentItem[], usage?: UsageTotals): Promise<void> {
    try {
      return await super.addItemsAt(position, items, usage)
    } catch (error) {
      if (error instanceof PositionConflictError) this.conflicts++
      throw error
    }
  }
}

/** Registers the two-writer tests over IndexedDBSession objects on `dbName`. */
export function describeTwoWriters(name: string, context: { dbName: string; key: DataKeyProvider | CryptoKey }): void {
  const { dbName, key } = context
  describe(`${name}: two writers at once`, () => {
    it('two session objects over one stored session: nothing lost, nothing sealed out of place', async () => {
      const id = unique('writers')
      const stores = [new ConflictCounting(id, { dbName }), new ConflictCounting(id, { dbName })]
      const [first, second] = stores.map((store) => new EncryptedSession(store, { key }))
      await first!.addItems([user('start')])
      await second!.getItems() // the second learns where the history ends…
      await first!.addItems([assistant('the first moved the end')]) // …which the first then moves
      await Promise.all([writeTurns(first!, 'a', 12), writeTurns(second!, 'b', 12)])
      expect(stores[1]!.conflicts).toBeGreaterThan(0) // the second was told, and sealed again
      const stored = new IndexedDBSession(id, { dbName })
      await expectWholeHistory(new EncryptedSession(stored, { key }), stored, ['a', 'b'], 12, 2)
    })
  })
}
