// Issue 12, item 7 on fake-indexeddb; data-loss.browser.test.ts runs the same suite in the browsers.
import { describeDataLoss } from './support/data-loss-suite.js'

describeDataLoss('fake-indexeddb', () => indexedDB)
