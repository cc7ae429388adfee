import { toLocation, type DatabaseOptions } from '../idb/database.js'
import { SyncClient, type SyncClientOptions } from './client.js'
import { SyncEngine } from './sync-engine.js'

/** Options of {@link syncSessions}. */
export interface SyncSessionsOptions extends SyncClientOptions, DatabaseOptions {}

/**
 * Brings every session of the signed-in user to this device (database `dbName`), and
 * sends what this device wrote that the server lacks: afterwards `listSessions({ dbName })`
 * shows them all. On a new device, or one whose database the browser wiped, it restores
 * everything the server holds. Open each with `new SyncedSession(id, { url, dbName })`.
 *
 * @throws {@link SyncOfflineError}, {@link SyncUnauthorizedError}, {@link SyncError} — what
 *   this device wrote stays in its outbox
 */
export async function syncSessions(options: SyncSessionsOptions): Promise<void> {
  const engine = new SyncEngine(toLocation(options), new SyncClient(options), { live: false })
  await engine.sync()
}
