// Envelopes bound to their position (issue 12, item 5): history changed through the raw
// IndexedDB records — items swapped, replayed, removed, moved between branches — is a
// DecryptionError naming the item, whatever onUndecryptable says. Run in Node
// (fake-indexeddb) and in the real browsers, over IndexedDBSession.
import { describe, expect, it } from 'vitest'
import {
  DecryptionError,
  EncryptedSession,
  IndexedDBSession,
  type AgentItem,
  type DataKeyProvider,
  type EncryptedSessionOptions,
} from '../../../src/index.js'
import { rejectionOf, unique, user } from '../../crypto/support.js'
import { readRaw, tamper } from './raw-idb.js'

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

export interface PositionSuiteContext {
  dbName: string
  key: DataKeyProvider | CryptoKey
}

/** Registers the tamper tests on `context.dbName`. */
export function describePositionBinding(name: string, context: PositionSuiteContext): void {
  const { dbName, key } = context
  const open = (id: string, options: Partial<EncryptedSessionOptions> = {}, settings?: { limit: number }) =>
    EncryptedSession.wrap(new IndexedDBSession(id, { dbName, ...(settings ? { settings } : {}) }), { key, ...options })

  /** Three turns, positions 0–5, sequence numbers 0–5 on main. */
  async function threeTurns(options: Partial<EncryptedSessionOptions> = {}) {
    const id = unique('pos')
    const session = open(id, options)
    await session.addItems([user('q1'), assistant('a1')])
    await session.addItems([user('q2'), assistant('a2')])
    await session.addItems([user('q3'), assistant('a3')])
    return { id, session }
  }

  async function outOfPlace(read: Promise<unknown>, index: number, expected: number, found: number) {
    const error = await rejectionOf(read)
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error).toMatchObject({ code: 'decryption_failed', reason: 'out_of_place', index, expectedPosition: expected, foundPosition: found })
    expect((error as Error).message).toContain(`sealed at position ${found} but is stored at position ${expected}`)
    return error as DecryptionError
  }

  describe(`${name}: envelopes bound to their position`, () => {
    it('writes each envelope with its position in clear, bound into its authenticated data', async () => {
      const { id, session } = await threeTurns()
      const branch = await session.createBranchFromTurn(2)
      await session.addItems([user('q2b'), assistant('a2b')])
      const { record, rows } = await readRaw(dbName, id)
      expect([...rows.values()].map((row) => [row.seq, row.item.v, row.item.pos])).toEqual([
        [0, 3, 0], [1, 3, 1], [2, 3, 2], [3, 3, 3], [4, 3, 4], [5, 3, 5],
        [6, 3, 2], [7, 3, 3], // the branch's own turn, after its two shared items
      ])
      expect(record.branches[branch]!.ranges).toEqual([[0, 2], [6, 8]])
    })

    it('two items swapped: DecryptionError naming the first, even with onUndecryptable: skip; nothing changed', async () => {
      const { id } = await threeTurns()
      await tamper(dbName, id, ({ rows }) => {
        const [a1, a2] = [rows.get(1)!, rows.get(3)!]
        ;[a1.item, a2.item] = [a2.item, a1.item]
      })
      const before = await readRaw(dbName, id)
      for (const options of [{}, { onUndecryptable: 'skip' as const }]) {
        const session = open(id, options)
        const error = await outOfPlace(session.getItems(), 1, 1, 3)
        expect(error.message).toMatch(/Item 1 of 6 read from session .*swapped, duplicated or removed outside idb-agents/)
        expect(error.message).not.toMatch(/onUndecryptable/)
        await outOfPlace(session.getTurns(), 1, 1, 3)
        await outOfPlace(session.findTurns('a1'), 1, 1, 3)
        await outOfPlace(session.getTimedItems(), 1, 1, 3)
        await outOfPlace(session.getItems(10), 1, 1, 3) // more than stored: the window starts the history
        await outOfPlace(session.getItems(5), 0, 1, 3) // a window of positions 1–5: the item at its start is named
        expect(await session.getItems(2)).toEqual([user('q3'), assistant('a3')]) // a window not holding them
        await outOfPlace(session.reencryptItems(), 1, 1, 3) // a rewrite must not seal them again as if in place
        await outOfPlace(session.exportPlaintext(), 1, 1, 3)
      }
      expect(await readRaw(dbName, id)).toEqual(before)
    })

    it('an item replayed (a row duplicated into the branch): DecryptionError naming the copy', async () => {
      const { id } = await threeTurns()
      await tamper(dbName, id, ({ record, rows }) => {
        rows.set(6, { ...structuredClone(rows.get(1)!), seq: 6 })
        record.branches.main!.ranges = [[0, 3], [6, 7], [3, 6]]
        record.nextSeq = 7
      })
      await outOfPlace(open(id).getItems(), 3, 3, 1)
      // Replayed at the end, it looks like a new newest item: still out of place.
      const other = await threeTurns()
      await tamper(dbName, other.id, ({ record, rows }) => {
        rows.set(6, { ...structuredClone(rows.get(4)!), seq: 6, turn: 4 })
        record.branches.main!.ranges = [[0, 7]]
        record.branches.main!.turns = 4
        record.nextSeq = 7
      })
      await outOfPlace(open(other.id).getItems(), 6, 6, 4)
      await outOfPlace(open(other.id).getItems(2), 1, 6, 4) // beside the item before it
    })

    it('a middle item removed, the ranges mended so that the store does not notice: DecryptionError naming the next', async () => {
      const { id } = await threeTurns()
      await tamper(dbName, id, ({ record, rows }) => {
        rows.delete(3)
        record.branches.main!.ranges = [[0, 3], [4, 6]]
      })
      expect(await new IndexedDBSession(id, { dbName }).getItems()).toHaveLength(5) // the store sees nothing wrong
      await outOfPlace(open(id).getItems(), 3, 3, 4)
      await outOfPlace(open(id, { onUndecryptable: 'skip' }).getTurns(), 3, 3, 4)
    })

    it('the oldest item removed: the history starts at 1, which a window reaching the start refuses', async () => {
      const { id } = await threeTurns()
      await tamper(dbName, id, ({ record, rows }) => {
        rows.delete(0)
        for (const row of rows.values()) if (row.turn !== undefined) row.turn -= 1
        record.branches.main!.ranges = [[1, 6]]
        record.branches.main!.turns = 2
      })
      await outOfPlace(open(id).getItems(), 0, 0, 1)
      await outOfPlace(open(id).getItems(6), 0, 0, 1) // fewer than asked: this is the start
      expect(await open(id).getItems(5)).toHaveLength(5) // as many as asked: nothing says where the history starts
      // Under a default window of the store that holds it all, the count tells that the window is the whole history.
      await outOfPlace(open(id, {}, { limit: 10 }).getItems(), 0, 0, 1)
    })

    it('a default window of the store is not mistaken for a shortened history', async () => {
      const { id } = await threeTurns()
      expect(await open(id, {}, { limit: 3 }).getItems()).toEqual([assistant('a2'), user('q3'), assistant('a3')])
      expect(await open(id, {}, { limit: 6 }).getItems()).toHaveLength(6)
    })

    it('an item moved from one branch to another: DecryptionError naming it', async () => {
      const { id, session } = await threeTurns()
      const branch = await session.createBranchFromTurn(2)
      await session.addItems([user('q2b'), assistant('a2b')]) // seq 6–7, positions 2–3
      await tamper(dbName, id, ({ record }) => {
        record.branches[branch]!.ranges = [[0, 2], [6, 7]]
        record.branches.main!.ranges = [[0, 6], [7, 8]] // a2b, sealed at 3, now at main's position 6
        record.currentBranchId = 'main'
      })
      await outOfPlace(open(id).getItems(), 6, 6, 3)
    })

    it('expired items count: one removed among them shifts the live ones, which is noticed', async () => {
      let now = 1_000_000
      const id = unique('pos-ttl')
      const writer = open(id, { now: () => now })
      await writer.addItems([user('old q'), assistant('old a')])
      now += 10_000
      await writer.addItems([user('new q'), assistant('new a')])
      const reader = () => open(id, { ttl: 5_000, now: () => now })
      expect(await reader().getItems()).toEqual([user('new q'), assistant('new a')])
      await tamper(dbName, id, ({ record, rows }) => {
        rows.delete(1)
        record.branches.main!.ranges = [[0, 1], [2, 4]]
      })
      await outOfPlace(reader().getItems(), 1, 1, 2)
    })

    it('untouched histories read whole after pops, clears, branch changes and replaceItems', async () => {
      const { session } = await threeTurns()
      expect(await session.popItem()).toEqual(assistant('a3'))
      await session.addItems([assistant('a3, again')])
      const branch = await session.createBranchFromTurn(3, 'retry')
      await session.addItems([user('q3b')])
      await session.switchToBranch('main')
      await session.addItems([user('q4')])
      await session.switchToBranch(branch)
      expect(await session.getItems()).toEqual([user('q1'), assistant('a1'), user('q2'), assistant('a2'), user('q3b')])
      await session.deleteBranch(branch)
      expect(await session.getItems()).toEqual([user('q1'), assistant('a1'), user('q2'), assistant('a2'), user('q3'), assistant('a3, again'), user('q4')])
      await session.replaceItems([user('fresh')])
      await session.addItems([assistant('start')])
      expect(await session.getItems()).toEqual([user('fresh'), assistant('start')])
      await session.clearSession()
      await session.addItems([user('after clear')])
      expect(await session.getItems()).toEqual([user('after clear')])
    })
  })
}
