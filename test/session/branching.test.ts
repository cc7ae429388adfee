import { IndexedDBSession, MemorySession } from '../../src/index.js'
import { describeBranching } from './support/history-suites.js'

const memory = new Map<string, MemorySession>()
describeBranching('MemorySession', (id) => {
  const session = memory.get(id) ?? new MemorySession(id)
  memory.set(id, session)
  return session
}, { rewritable: true, positional: true })

const dbName = `branching-node-${Math.random().toString(36).slice(2)}`
describeBranching('IndexedDBSession (fake-indexeddb)', (id) => new IndexedDBSession(id, { dbName }), { rewritable: true, positional: true })
