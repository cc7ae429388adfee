import { inject } from 'vitest'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { describeConversations } from './conversations-suite.js'

const dbName = `conversations-node-${Math.random().toString(36).slice(2)}`
let counter = 0
describeConversations('Node (fake-indexeddb mirror)', {
  serverUrl: inject('apiServerUrl'),
  freshMirror: () => new IndexedDBSession(`mirror-${++counter}`, { dbName }),
})
