// Sessions in databases whose quota a test can fill (quota-factory.ts), each closed after the test.
import { afterEach } from 'vitest'
import { IndexedDBSession } from '../../../src/index.js'
import { disconnect, toLocation } from '../../../src/idb/database.js'
import { quotaFactory, type QuotaControl } from './quota-factory.js'

/** One such database: its quota control, where it is, and a session in it by id. */
export interface QuotaStore {
  quota: QuotaControl
  where: { dbName: string; indexedDB: IDBFactory }
  session: (id: string) => IndexedDBSession
}

/**
 * Returns a maker of fresh quota-controlled databases named `<prefix>-<random>`; call it at
 * the top of a file or inside a `describe`, whose tests then close what they opened.
 */
export function quotaStores(prefix: string): () => QuotaStore {
  const opened: Array<QuotaStore['where']> = []
  afterEach(async () => {
    for (const where of opened.splice(0)) await disconnect(toLocation(where))
  })
  return () => {
    const quota = quotaFactory()
    const where = { dbName: `${prefix}-${Math.random().toString(36).slice(2)}`, indexedDB: quota.factory }
    opened.push(where)
    return { quota, where, session: (id) => new IndexedDBSession(id, where) }
  }
}
