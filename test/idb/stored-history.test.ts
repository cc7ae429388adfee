import { describeStoredHistory } from './support/stored-history-suite.js'

describeStoredHistory('IndexedDB on fake-indexeddb', () => `history-node-${Math.random().toString(36).slice(2)}`)
