import { inject } from 'vitest'
import { IndexedDBSession } from '../../src/session/indexeddb.js'
import { describeConversations } from './suite.js'

const dbName = `conversations-node-${Math.random().toString(36).slice(2)}`
let counter = 0
describeConversations('Node (fake-indexeddb mirror)', {
  serverUrl: inject('apiServerUrl'),
  freshMirror: () => new IndexedDBSession(`mirror-${++counter}`, { dbName }),
})
