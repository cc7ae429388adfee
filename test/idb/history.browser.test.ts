import { afterAll } from 'vitest'
import { IndexedDBSession } from '../../src/index.js'
import { disconnect } from '../../src/idb/database.js'
import { describeBranching } from '../session/support/history-suites.js'
import { describeStoredHistory } from './support/stored-history-suite.js'

const created: string[] = []
const freshDb = () => {
  const name = `history-browser-${Math.random().toString(36).slice(2)}`
  created.push(name)
  return name
}

const branchingDb = freshDb()
describeBranching('IndexedDBSession (Chromium)', (id) => new IndexedDBSession(id, { dbName: branchingDb }), { rewritable: true, positional: true })
describeStoredHistory('IndexedDB in Chromium', freshDb)

afterAll(async () => {
  for (const name of created) {
    await disconnect({ dbName: name })
    indexedDB.deleteDatabase(name)
  }
})
