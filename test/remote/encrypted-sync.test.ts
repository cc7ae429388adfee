// EncryptedSession over SyncedSession and RemoteSession: the server stores envelopes only.
// The test reads every table of the server and finds none of the plain text.
import { openDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'
import { DecryptionError, EncryptedSession, InvalidArgumentError, RemoteSession, SyncedSession, type AgentItem } from '../../src/index.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { deviceOptions, testServer } from './support/server.js'
import { tamper } from '../encrypted/support/raw-idb.js'

const TABLES = [
  'idb_agents_users',
  'idb_agents_sessions',
  'idb_agents_branches',
  'idb_agents_items',
  'idb_agents_usage',
  'idb_agents_operations',
  'idb_agents_changes',
  'idb_agents_tombstones',
  'idb_agents_key_records',
]

const secret = (n: number): AgentItem[] => [
  { role: 'user', content: `the launch code is swordfish-${n}` },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `noted, swordfish-${n}` }] } as AgentItem,
]

const key = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])

const opened: SyncedSession[] = []
afterEach(() => {
  for (const session of opened.splice(0)) session.close()
})

describeEngines('End-to-end encryption over the sync server', (engine) => {
  const server = testServer(engine.store)

  /** Every row of every table of the server, as JSON text. */
  async function serverText(): Promise<string> {
    const dumps = await engine.store().read(async (tx) =>
      Promise.all(TABLES.map(async (table) => (await tx.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${table} t`)).rows.map((r) => r.row).join('\n'))),
    )
    return dumps.join('\n')
  }

  describe('EncryptedSession over SyncedSession', () => {
    it('the server holds envelopes only; a second device with the key reads the plain history', async () => {
      const userId = uniqueUser('e2e')
      const dataKey = await key()
      const synced = (dbName: string) => {
        const session = new SyncedSession(`secret-${userId}`, { ...deviceOptions(server, userId), dbName, live: false })
        opened.push(session)
        return session
      }
      const laptopStore = synced(`e2e-laptop-${userId}`)
      const laptop = new EncryptedSession(laptopStore, { key: dataKey })
      await laptop.addItems(secret(1))
      await laptop.addItems(secret(2))
      expect(laptop.setTitle).toBeTypeOf('function') // EncryptedSession offers titles over a TitledSession
      await laptop.setTitle!('swordfish plans')
      await laptopStore.sync()

      const text = await serverText()
      expect(text).toContain('"type":"encrypted"') // the envelopes are there …
      expect(text).not.toMatch(/swordfish/) // … and no plain text: items, title, changes, op results

      const phoneStore = synced(`e2e-phone-${userId}`)
      await phoneStore.sync()
      const phone = new EncryptedSession(phoneStore, { key: dataKey })
      expect(await phone.getItems()).toEqual([...secret(1), ...secret(2)])
    })
  })

  describe('two devices appending offline to one encrypted session', () => {
    /** A device of `userId`: its SyncedSession (no live sync: only `sync()` moves anything) and the EncryptedSession over it. */
    function device(userId: string, name: string, dataKey: CryptoKey) {
      const dbName = `e2e-${name}-${userId}`
      const store = new SyncedSession(`shared-${userId}`, { ...deviceOptions(server, userId), dbName, live: false })
      opened.push(store)
      return { dbName, store, session: new EncryptedSession(store, { key: dataKey }) }
    }

    it('both sync, in either order, over several rounds: both read every turn whole, in the server order; the server holds envelopes only', async () => {
      const userId = uniqueUser('e2e-offline')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems(secret(0))
      await laptop.store.sync()
      await phone.store.sync()
      let n = 1
      for (const [first, second] of [
        [laptop, phone],
        [phone, laptop],
        [laptop, phone],
      ] as const) {
        // Offline: both append, the first one twice.
        const firstTurns = [secret(n++), secret(n++)]
        const secondTurn = secret(n++)
        for (const turn of firstTurns) await first.session.addItems(turn)
        await second.session.addItems(secondTurn)
        const before = await laptop.session.getItems()
        await first.store.sync()
        await second.store.sync() // refused as out of place, pulled, sealed again, pushed
        await first.store.sync()
        const expected = [...before.slice(0, before.length - (first === laptop ? 4 : 2)), ...firstTurns.flat(), ...secondTurn]
        expect(await laptop.session.getItems()).toEqual(expected)
        expect(await phone.session.getItems()).toEqual(expected)
        expect(await laptop.store.pendingOps()).toBe(0)
        expect(await phone.store.pendingOps()).toBe(0)
        expect(await laptop.store.refusedOps()).toEqual([])
      }
      const turns = await laptop.session.getItems()
      expect(turns).toHaveLength(2 * n)
      // A third device reads the server's copy: every envelope at the position it was sealed for.
      const tablet = device(userId, 'tablet', dataKey)
      await tablet.store.sync()
      expect(await tablet.session.getItems()).toEqual(turns)
      const text = await serverText()
      expect(text).toContain('"type":"encrypted"')
      expect(text).not.toMatch(/swordfish/)
    })

    it('the device that pushed second reads its moved items right after its own sync', async () => {
      const userId = uniqueUser('e2e-rebase')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems(secret(1))
      await phone.session.addItems(secret(2))
      await laptop.store.sync()
      // The phone's push is refused (length_mismatch), its sync pulls: its items moved behind the laptop's, sealed again, pushed.
      await phone.store.sync()
      expect(await phone.session.getItems()).toEqual([...secret(1), ...secret(2)])
      await laptop.store.sync()
      expect(await laptop.session.getItems()).toEqual([...secret(1), ...secret(2)])
    })

    it('items moved down by a pop and a clear of another device are sealed again too', async () => {
      const userId = uniqueUser('e2e-shrink')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems([...secret(1), ...secret(2)])
      await laptop.store.sync()
      await phone.store.sync()
      // Offline: the laptop pops the newest item, the phone appends a turn (its items now one place lower).
      await laptop.session.popItem()
      await phone.session.addItems(secret(3))
      await laptop.store.sync()
      await phone.store.sync()
      await laptop.store.sync()
      const afterPop = [...secret(1), secret(2)[0]!, ...secret(3)]
      expect(await laptop.session.getItems()).toEqual(afterPop)
      expect(await phone.session.getItems()).toEqual(afterPop)
      // Offline again: the laptop clears, the phone appends; its turn survives the clear, at position 0.
      await laptop.session.clearSession()
      await phone.session.addItems(secret(4))
      await laptop.store.sync()
      await phone.store.sync()
      await laptop.store.sync()
      expect(await laptop.session.getItems()).toEqual(secret(4))
      expect(await phone.session.getItems()).toEqual(secret(4))
      expect(await serverText()).not.toMatch(/swordfish/)
    })

    it('an item swapped in the local store is still out of place after the sync', async () => {
      const userId = uniqueUser('e2e-swap')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems(secret(1))
      await phone.session.addItems([...secret(2), ...secret(3)])
      // Someone with the phone's database but not the key swaps two of its pending rows.
      await tamper(phone.dbName, phone.store.sessionId, ({ rows }) => {
        const seqs = [...rows.keys()].sort((a, b) => a - b)
        expect(seqs).toHaveLength(4)
        ;[rows.get(seqs[1]!)!.item, rows.get(seqs[2]!)!.item] = [rows.get(seqs[2]!)!.item, rows.get(seqs[1]!)!.item]
      })
      await laptop.store.sync()
      await phone.store.sync()
      // The outbox's copy was sealed again and pushed: the server and the laptop are whole …
      await laptop.store.sync()
      expect(await laptop.session.getItems()).toEqual([...secret(1), ...secret(2), ...secret(3)])
      // … the swapped rows were not made to fit: reading them here is still a DecryptionError.
      const error = await phone.session.getItems().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DecryptionError)
      expect((error as DecryptionError).reason).toBe('out_of_place')

      // After the sync too: swapping two synced rows of the laptop is out of place.
      await tamper(laptop.dbName, laptop.store.sessionId, ({ rows }) => {
        const seqs = [...rows.keys()].sort((a, b) => a - b)
        ;[rows.get(seqs[0]!)!.item, rows.get(seqs[2]!)!.item] = [rows.get(seqs[2]!)!.item, rows.get(seqs[0]!)!.item]
      })
      const swapped = await laptop.session.getItems().catch((e: unknown) => e)
      expect(swapped).toBeInstanceOf(DecryptionError)
      expect((swapped as DecryptionError).reason).toBe('out_of_place')
    })

    it('an envelope swapped in the outbox is not sealed again: the sync fails, everything is kept', async () => {
      const userId = uniqueUser('e2e-outbox-swap')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems(secret(1))
      await phone.session.addItems(secret(2))
      const db = await openDB(phone.dbName)
      const [entry] = await db.getAll('outbox')
      const items = entry.op.items as unknown[]
      await db.put('outbox', { ...entry, op: { ...entry.op, items: [items[1], items[0]] } })
      db.close()
      await laptop.store.sync()
      const error = await phone.store.sync().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DecryptionError)
      expect((error as DecryptionError).reason).toBe('out_of_place')
      expect(await phone.store.pendingOps()).toBe(1) // kept, unsent
      await laptop.store.sync()
      expect(await laptop.session.getItems()).toEqual(secret(1)) // nothing out of place reached the server
      expect(await serverText()).not.toMatch(/swordfish/)
    })

    it('a copy of stored envelopes queued in the outbox is not sealed again: refused, kept, never sent', async () => {
      const userId = uniqueUser('e2e-replay')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems(secret(1))
      await laptop.store.sync()
      await phone.store.sync()
      // Someone with the phone's database but not the key queues the stored turn again, as if new.
      const db = await openDB(phone.dbName)
      const stored = (await db.getAll('items')).filter((row) => row.sessionId === phone.store.sessionId)
      const opId = crypto.randomUUID()
      const op = { opId, sessionId: phone.store.sessionId, kind: 'append', branchId: 'main', items: stored.map((row) => row.item), expectedLength: 0 }
      await db.add('outbox', { sessionId: phone.store.sessionId, opId, op, localSeq: 2 ** 40 + 100 })
      db.close()
      await phone.store.sync()
      expect(await phone.store.refusedOps()).toEqual([expect.objectContaining({ kind: 'append', code: 'conflict' })])
      await laptop.store.sync()
      expect(await laptop.session.getItems()).toEqual(secret(1)) // no replayed turn on the server
      expect(await phone.session.getItems()).toEqual(secret(1))
    })

    it('a reseal that fails keeps everything, and the next sync seals and pushes', async () => {
      const userId = uniqueUser('e2e-reseal-fails')
      const dataKey = await key()
      const laptop = device(userId, 'laptop', dataKey)
      const phone = device(userId, 'phone', dataKey)
      await laptop.session.addItems(secret(1))
      await phone.session.addItems([...secret(2), ...secret(3)])
      await laptop.store.sync()
      const db = await openDB(phone.dbName)
      const before = { outbox: await db.getAll('outbox'), items: (await db.getAll('items')).filter((row) => row.sessionId === phone.store.sessionId && row.seq >= 2 ** 40) }
      db.close()
      // A handler that fails (a key store locked meanwhile, say).
      phone.store.setResealHandler(async () => {
        throw new Error('key store locked')
      })
      await expect(phone.store.sync()).rejects.toThrow('key store locked')
      const after = await openDB(phone.dbName)
      // The append was refused as out of place (nothing stored under its id); it waits, unchanged, not refused for good.
      const waiting = await after.getAll('outbox')
      expect(waiting.map((entry) => entry.op)).toEqual(before.outbox.map((entry) => entry.op))
      expect(waiting.map((entry) => [entry.resealDue, entry.rejected])).toEqual([[true, undefined]])
      // The pending rows are as written (the pull renumbered their turns: the laptop's came first).
      const rows = (await after.getAll('items')).filter((row) => row.seq >= 2 ** 40)
      expect(rows.map((row) => [row.seq, row.item])).toEqual(before.items.map((row) => [row.seq, row.item]))
      after.close()
      await laptop.store.sync()
      expect(await laptop.session.getItems()).toEqual(secret(1))
      // The key is back: wrapping the session again sets its handler; the next sync completes.
      const reopened = new EncryptedSession(phone.store, { key: dataKey })
      await phone.store.sync()
      await laptop.store.sync()
      expect(await reopened.getItems()).toEqual([...secret(1), ...secret(2), ...secret(3)])
      expect(await laptop.session.getItems()).toEqual([...secret(1), ...secret(2), ...secret(3)])
      expect(await phone.store.pendingOps()).toBe(0)
    })
  })

  it('a reseal handler that returns the wrong number of items: InvalidArgumentError, nothing changed', async () => {
    // Plain items (no EncryptedSession): the handler is called directly; the other tests scan the server for secrets.
    const plain = (n: number): AgentItem[] => [{ role: 'user', content: `hello ${n}` }, { role: 'user', content: `again ${n}` }]
    const userId = uniqueUser('e2e-short-handler')
    const sessionId = `short-${userId}`
    const laptop = new SyncedSession(sessionId, { ...deviceOptions(server, userId), dbName: `short-laptop-${userId}`, live: false })
    const phone = new SyncedSession(sessionId, { ...deviceOptions(server, userId), dbName: `short-phone-${userId}`, live: false })
    opened.push(laptop, phone)
    await laptop.addItemsAt(0, plain(1))
    await phone.addItemsAt(0, plain(2))
    phone.setResealHandler(async ({ items }) => items.slice(1))
    await laptop.sync()
    const db = await openDB(`short-phone-${userId}`)
    const before = (await db.getAll('outbox')).map((entry) => entry.op)
    const error = await phone.sync().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).toMatch(/returned 1 items for 2 items\. Nothing was changed/)
    expect((await db.getAll('outbox')).map((entry) => entry.op)).toEqual(before)
    db.close()
    // A handler that does its job (here: plain items, no encryption) lets the next sync finish.
    phone.setResealHandler(async ({ items }) => items)
    await phone.sync()
    await laptop.sync()
    expect(await laptop.getItems()).toEqual([...plain(1), ...plain(2)])
    expect(await phone.getItems()).toEqual([...plain(1), ...plain(2)])
  })

  describe('EncryptedSession over RemoteSession', () => {
    it('the server holds envelopes only', async () => {
      const userId = uniqueUser('e2e-remote')
      const session = new EncryptedSession(new RemoteSession(`remote-secret-${userId}`, deviceOptions(server, userId)), { key: await key() })
      await session.addItems(secret(3))
      expect(await session.getItems()).toEqual(secret(3))
      expect(await serverText()).not.toMatch(/swordfish/)
    })
  })
})
