// EncryptedSession over SyncedSession and RemoteSession: the server stores envelopes only.
// The test reads every table of the server and finds none of the plain text.
import { afterEach, describe, expect, it } from 'vitest'
import { EncryptedSession, RemoteSession, SyncedSession, type AgentItem } from '../../src/index.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { deviceOptions, testServer } from './support/server.js'

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
