// The compaction suite in a real browser: real IndexedDB for transcript and view, the
// openai client reaching the local API server cross-origin as through a proxy.
import { afterAll, inject } from 'vitest'
import { disconnect } from '../../src/idb/database.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { COMPACTED_VIEW_DB_SUFFIX } from '../../src/compaction/compacting-session.js'
import { describeCompaction } from './suite.js'

const dbName = `compaction-browser-${Math.random().toString(36).slice(2)}`
let counter = 0
describeCompaction('IndexedDBSession (browser)', {
  serverUrl: inject('apiServerUrl'),
  fresh: () => new IndexedDBSession(`long-${++counter}`, { dbName }),
})

afterAll(async () => {
  for (const name of [dbName, `${dbName}${COMPACTED_VIEW_DB_SUFFIX}`]) {
    await disconnect({ dbName: name })
    indexedDB.deleteDatabase(name)
  }
})
