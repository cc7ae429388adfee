import { inject } from 'vitest'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { MemorySession } from '../../src/session/memory.js'
import { describeCompaction } from './suite.js'

const serverUrl = inject('apiServerUrl')
describeCompaction('MemorySession', { serverUrl, fresh: () => new MemorySession() })

const dbName = `compaction-node-${Math.random().toString(36).slice(2)}`
let counter = 0
describeCompaction('IndexedDBSession (fake-indexeddb)', { serverUrl, fresh: () => new IndexedDBSession(`long-${++counter}`, { dbName }) })
