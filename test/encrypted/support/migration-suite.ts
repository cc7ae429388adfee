// A database written by idb-agents before envelopes carried their position (format 2, from
// commit 27883ed: fixtures/v2-session.json) is upgraded in place on every branch: on the
// first write of an EncryptedSession, or by reencryptItems(). Node and browsers alike.
import { describe, expect, it } from 'vitest'
import {
  DecryptionError,
  EncryptedSession,
  importSession,
  IndexedDBSession,
  type AgentItem,
  type SessionExport,
} from '../../../src/index.js'
import { rejectionOf, user } from '../../crypto/support.js'
import fixture from '../fixtures/v2-session.json'
import { readRaw, tamper, type RawSession } from './raw-idb.js'

const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

const main: AgentItem[] = [
  { role: 'system', content: 'You keep notes.' },
  user('Where did I put my passport?'),
  assistant('In the top drawer.'),
  user('And my keys?'),
  { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":"keys"}' },
  { type: 'function_call_output', call_id: 'c1', output: 'hook by the door' },
  assistant('On the hook by the door.'),
  user('And my wallet?'),
  assistant('In your coat.'),
]
const branched: AgentItem[] = [...main.slice(0, 3), user('Where are my car keys?'), assistant('In the car.')]

const legacyKey = (): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', Uint8Array.from(fixture.keyHex.match(/../g)!, (h) => parseInt(h, 16)), 'AES-GCM', false, ['encrypt', 'decrypt'])

/** What a rewrite must keep of every row: where it is, its time, its turn. */
const kept = (raw: RawSession) => [...raw.rows.values()].map((row) => [row.seq, row.createdAt, row.turn, row.item.at, row.item.kid])

/** Registers the migration tests on `dbName`. */
export function describeLegacyMigration(name: string, context: { dbName: string }): void {
  const { dbName } = context
  const branchId = fixture.doc.session.branches[1]!.id

  describe(`${name}: a history written with envelope format 2`, () => {
    it('reads as it was, then the first write upgrades every branch in place, keeping times, turns, usage and titles', async () => {
      await importSession(fixture.doc as SessionExport, { dbName, replace: true })
      const id = fixture.doc.session.id
      const key = await legacyKey()
      const inner = new IndexedDBSession(id, { dbName })
      const session = EncryptedSession.wrap(inner, { key })
      expect(await session.getItems()).toEqual(main)
      const before = await readRaw(dbName, id)
      expect([...before.rows.values()].every((row) => row.item.v === 2 && row.item.pos === undefined)).toBe(true)
      const turnsBefore = await session.getTurns()
      const usageBefore = await session.getSessionUsage()

      await session.addItems([user('Thanks!')])

      const after = await readRaw(dbName, id)
      expect(kept({ ...after, rows: new Map([...after.rows].filter(([seq]) => seq < 11)) })).toEqual(kept(before))
      expect([...after.rows.values()].map((row) => [row.seq, row.item.v, row.item.pos])).toEqual([
        ...main.map((_, i) => [i, 3, i]),
        [9, 3, 3], [10, 3, 4], // the branch's own turn, after the three items it shares with main
        [11, 3, 9], // the new item
      ])
      expect(await session.getItems()).toEqual([...main, user('Thanks!')])
      expect((await session.getTurns()).slice(0, 3)).toEqual(turnsBefore)
      expect(await session.getSessionUsage()).toEqual(usageBefore)
      expect(await inner.getStoredTitle()).toBe('Passport and keys') // a clear title stays as it was
      await session.switchToBranch(branchId)
      expect(await session.getItems()).toEqual(branched)
      expect((await session.listBranches()).map((b) => b.name)).toEqual(['main', 'asked differently'])

      // Upgraded once: a later writer rewrites nothing, and a swap is now noticed.
      const upgraded = await readRaw(dbName, id)
      await EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key }).addItems([assistant('more on the branch')])
      const again = await readRaw(dbName, id)
      expect([...upgraded.rows.values()].map((row) => row.item.ct)).toEqual([...again.rows.values()].slice(0, upgraded.rows.size).map((row) => row.item.ct))
      await tamper(dbName, id, ({ rows }) => {
        ;[rows.get(2)!.item, rows.get(6)!.item] = [rows.get(6)!.item, rows.get(2)!.item]
      })
      const error = await rejectionOf(EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key }).getItems())
      expect(error).toBeInstanceOf(DecryptionError)
      expect(error).toMatchObject({ reason: 'out_of_place', index: 2 })
    })

    it('reencryptItems() upgrades it too, without a write', async () => {
      await importSession(fixture.doc as SessionExport, { dbName, replace: true })
      const session = EncryptedSession.wrap(new IndexedDBSession(fixture.doc.session.id, { dbName }), { key: await legacyKey() })
      expect(await session.reencryptItems()).toBe(11)
      const raw = await readRaw(dbName, fixture.doc.session.id)
      expect([...raw.rows.values()].map((row) => [row.item.v, row.item.pos])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 3, 4].map((pos) => [3, pos]))
      expect(await session.getItems()).toEqual(main)
      expect(await session.reencryptItems()).toBe(0)
    })
  })
}
