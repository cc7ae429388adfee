// A database as schema v5 wrote it, for the tests that open it with newer code: every store
// src/idb/schema.ts `migrate` creates up to version 5 (with their indexes), and one session
// stored one row per item, with two branches, several turns, turn usage and an applied
// operation id.
import { openDB } from 'idb'
import type { AgentItem } from '../../../src/items/types.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const call = (id: string): AgentItem => ({ type: 'function_call', call_id: id, name: 'lookup', arguments: '{}' })
const output = (id: string): AgentItem => ({ type: 'function_call_output', call_id: id, output: `result ${id}` })

/** What {@link writeV5Database} stored, as the session should show it. */
export interface V5Session {
  sessionId: string
  /** The id of the second branch (forked from main at turn 2). */
  editId: string
  /** Each branch's items with the time v5 stored them. */
  branches: Record<'main' | 'edit', Array<{ item: AgentItem; createdAt: number }>>
  /** Usage of each branch's turns, by turn number (1-based). */
  turnUsage: Record<'main' | 'edit', Array<{ requests: number; inputTokens: number; outputTokens: number; totalTokens: number }>>
}

const usage = (n: number) => ({ requests: 1, inputTokens: 10 * n, outputTokens: n, totalTokens: 11 * n })

/**
 * Writes database `dbName` at version 5 holding session `sessionId`:
 * - main (current): turn 1 [seq 0–1], turn 2 [2–5: a tool call and its output], turn 3 [6–7];
 * - edit: main's turn 1, then its own turn 2 [8–11] and turn 3 [12–13] (ranges [[0,2],[8,14]]).
 * Items of one append share a time, as v5 stored them.
 */
export async function writeV5Database(dbName: string, sessionId: string): Promise<V5Session> {
  const db = await openDB(dbName, 5, {
    upgrade(database) {
      database.createObjectStore('sessions', { keyPath: 'id' }).createIndex('byUpdatedAt', ['updatedAt', 'id'])
      database.createObjectStore('items', { keyPath: ['sessionId', 'seq'] }).createIndex('byTurn', ['sessionId', 'turn'])
      database.createObjectStore('usage', { keyPath: ['sessionId', 'seq'] })
      const outbox = database.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true })
      outbox.createIndex('bySession', 'sessionId')
      outbox.createIndex('byOpId', 'opId', { unique: true })
      database.createObjectStore('syncState', { keyPath: 'key' })
      database.createObjectStore('operations', { keyPath: ['sessionId', 'operationId'] }).createIndex('byBranch', ['sessionId', 'branchId'])
      database.createObjectStore('pendingRuns', { keyPath: 'sessionId' })
    },
  })
  // seq → [item, createdAt, turn]
  const rows: Array<[AgentItem, number, number?]> = [
    [user('q1'), 1000, 1],
    [assistant('a1'), 1000],
    [user('q2'), 2000, 2],
    [call('c2'), 2000],
    [output('c2'), 2000],
    [assistant('a2'), 2000],
    [user('q3'), 3000, 3],
    [assistant('a3'), 3000],
    [user('q2 edited'), 4000, 2],
    [call('e2'), 4000],
    [output('e2'), 4000],
    [assistant('a2 edited'), 4000],
    [user('q3 edited'), 5000, 3],
    [assistant('a3 edited'), 5000],
  ]
  const editId = 'branch-v5edit'
  const tx = db.transaction(['sessions', 'items', 'usage', 'operations'], 'readwrite')
  await tx.objectStore('sessions').put({
    id: sessionId,
    title: 'Written by v5',
    createdAt: 1000,
    updatedAt: 5000,
    nextSeq: rows.length,
    etag: 'v5-etag',
    currentBranchId: 'main',
    branches: {
      main: { id: 'main', name: 'main', parentId: null, forkAt: 0, createdAt: 1000, ranges: [[0, 8]], turns: 3 },
      [editId]: { id: editId, name: 'edit', parentId: 'main', forkAt: 2, forkTurn: 2, createdAt: 4000, ranges: [[0, 2], [8, 14]], turns: 3 },
    },
  })
  for (const [seq, [item, createdAt, turn]] of rows.entries()) {
    await tx.objectStore('items').put({ sessionId, seq, createdAt, item, ...(turn === undefined ? {} : { turn }) })
  }
  const usageAt: Array<[number, number]> = [
    [0, 1],
    [2, 2],
    [6, 3],
    [8, 4],
    [12, 5],
  ]
  for (const [seq, n] of usageAt) await tx.objectStore('usage').put({ sessionId, seq, ...usage(n) })
  await tx.objectStore('operations').put({ sessionId, operationId: 'op-v5', branchId: 'main', fingerprint: '{"v":5}', createdAt: 3000 })
  await tx.done
  db.close()
  const shown = (seqs: number[]) => seqs.map((seq) => ({ item: rows[seq]![0], createdAt: rows[seq]![1] }))
  return {
    sessionId,
    editId,
    branches: { main: shown([0, 1, 2, 3, 4, 5, 6, 7]), edit: shown([0, 1, 8, 9, 10, 11, 12, 13]) },
    turnUsage: { main: [usage(1), usage(2), usage(3)], edit: [usage(1), usage(4), usage(5)] },
  }
}
