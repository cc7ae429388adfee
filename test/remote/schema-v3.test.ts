// Schema v3 (the outbox and sync state of SyncedSession) adds stores only: a database
// written by v2 opens with every item, turn, branch and usage row as it was.
import { writeV2Session } from '../idb/support/v2-database.js'
import { SCHEMA_VERSION } from '../../src/idb/schema.js'
import { openDB } from 'idb'
import { expect, it } from 'vitest'
import { IndexedDBSession, type AgentItem } from '../../src/index.js'

it('a v2 database upgrades with its history untouched and the sync stores of v3 added', async () => {
  const dbName = `v2-${Math.random().toString(36).slice(2)}`
  const items: AgentItem[] = [{ role: 'user', content: 'Hi' }, { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello' }] } as AgentItem]
  await writeV2Session(dbName, 'kept', [items[0]!, items[1]!])

  const session = new IndexedDBSession('kept', { dbName })
  expect(await session.getItems()).toEqual(items)
  expect(await session.getTurnUsage(1)).toEqual({ requests: 1, inputTokens: 2, outputTokens: 3, totalTokens: 5 })

  const v3 = await openDB(dbName)
  expect(v3.version).toBe(SCHEMA_VERSION)
  expect([...v3.objectStoreNames].sort()).toEqual(['items', 'operations', 'outbox', 'pendingRuns', 'sessions', 'syncState', 'usage'])
  expect([...v3.transaction('outbox').store.indexNames].sort()).toEqual(['byOpId', 'bySession'])
  v3.close()
})
