// Issue 12, item 7 on the browser's own IndexedDB; data-loss.test.ts runs it on fake-indexeddb.
import { describeDataLoss } from './support/data-loss-suite.js'

describeDataLoss('IndexedDB', () => indexedDB)
