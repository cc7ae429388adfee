// A database as schema v2 wrote it (sessions, items with turn numbers, usage; none of the
// later stores), for the tests that upgrade it.
import { openDB } from 'idb'
import type { AgentItem } from '../../../src/items/types.js'

const USAGE = { requests: 1, inputTokens: 2, outputTokens: 3, totalTokens: 5 }

/** Writes session `sessionId` holding one turn (`question`, `answer`) at schema v2, with `USAGE` on the turn when `withUsage`. */
export async function writeV2Session(dbName: string, sessionId: string, [question, answer]: [AgentItem, AgentItem], withUsage = true): Promise<typeof USAGE> {
  const v2 = await openDB(dbName, 2, {
    upgrade(db) {
      db.createObjectStore('sessions', { keyPath: 'id' }).createIndex('byUpdatedAt', ['updatedAt', 'id'])
      db.createObjectStore('items', { keyPath: ['sessionId', 'seq'] }).createIndex('byTurn', ['sessionId', 'turn'])
      db.createObjectStore('usage', { keyPath: ['sessionId', 'seq'] })
    },
  })
  await v2.put('sessions', {
    id: sessionId,
    createdAt: 1,
    updatedAt: 2,
    nextSeq: 2,
    etag: 'e1',
    currentBranchId: 'main',
    branches: { main: { id: 'main', name: 'main', parentId: null, forkAt: 0, createdAt: 1, ranges: [[0, 2]], turns: 1 } },
  })
  await v2.put('items', { sessionId, seq: 0, createdAt: 1, item: question, turn: 1 })
  await v2.put('items', { sessionId, seq: 1, createdAt: 2, item: answer })
  if (withUsage) await v2.put('usage', { sessionId, seq: 0, ...USAGE })
  v2.close()
  return USAGE
}
