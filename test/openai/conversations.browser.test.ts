// OpenAIConversationsSession in a real browser, mirrored into real IndexedDB.
import { afterAll, inject } from 'vitest'
import { disconnect } from '../../src/idb/database.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { describeConversations } from './conversations-suite.js'

const dbName = `conversations-browser-${Math.random().toString(36).slice(2)}`
let counter = 0
describeConversations('browser (IndexedDB mirror)', {
  serverUrl: inject('apiServerUrl'),
  freshMirror: () => new IndexedDBSession(`mirror-${++counter}`, { dbName }),
})

afterAll(async () => {
  await disconnect({ dbName })
  indexedDB.deleteDatabase(dbName)
})
