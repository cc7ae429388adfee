// A database whose storage fills quickly, for the full-quota tests: a 2 MB Storage Bucket
// in Chromium, the small origin quota of Firefox (see vite.config.ts).
import { disconnect, toLocation } from '../../../src/idb/database.js'
import { capabilities, originQuota } from '../../support/capabilities.js'

function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = factory.deleteDatabase(name)
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}

/**
 * A database named `<prefix>-<random>` in small storage, or `undefined` in an engine without
 * any; `cleanups` gets what removes it. `maxTurns`: more ~120 KB turns than fit.
 */
export async function smallStorage(
  prefix: string,
  cleanups: Array<() => Promise<void>>,
): Promise<{ dbName: string; indexedDB: IDBFactory; maxTurns: number } | undefined> {
  const dbName = `${prefix}-${Math.random().toString(36).slice(2)}`
  if (capabilities.storageBuckets) {
    const bucketName = `${prefix}-${Math.random().toString(36).slice(2)}`
    const bucket = await navigator.storageBuckets.open(bucketName, { quota: 2_000_000 })
    const where = { dbName, indexedDB: bucket.indexedDB }
    cleanups.push(async () => {
      await disconnect(toLocation(where))
      await navigator.storageBuckets.delete(bucketName)
    })
    return { ...where, maxTurns: 50 }
  }
  if (!capabilities.smallOriginQuota) return undefined
  const where = { dbName, indexedDB }
  cleanups.push(async () => {
    await disconnect(toLocation(where))
    await deleteDatabase(indexedDB, dbName)
  })
  return { ...where, maxTurns: Math.ceil((2 * originQuota!) / (120 * 1024)) }
}
