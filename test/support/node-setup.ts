// Node has no IndexedDB: fake-indexeddb stands in for logic tests. Durability, blocking,
// quota and crypto are proven in the browser project, never here.
import 'fake-indexeddb/auto'
