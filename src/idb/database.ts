import { wrap } from 'idb'
import {
  IdbAgentsError,
  StorageError,
  StorageQuotaError,
  StorageUnavailableError,
  UpgradeBlockedError,
} from '../errors.js'
import { migrate, SCHEMA_VERSION, type AgentsDatabase } from './schema.js'
import { notifyStorageUpgradeNeeded } from './upgrades.js'

/** The database name used when none is given. */
export const DEFAULT_DB_NAME = 'idb-agents'

/** Which IndexedDB database a session or helper works on. */
export interface DatabaseOptions {
  /**
   * The database; many sessions share one, each isolated by id (the twin of
   * SQLiteSession's `db_path`).
   * @default 'idb-agents'
   */
  dbName?: string
  /**
   * The IndexedDB factory holding the database. Pass a Storage Bucket's `bucket.indexedDB`
   * (`await navigator.storageBuckets.open('chats', { persisted: true })`) to give
   * conversations their own quota and eviction policy.
   * @default globalThis.indexedDB
   */
  indexedDB?: IDBFactory
}

/** Where a database lives: its name, and the IndexedDB factory that holds it. */
export interface DatabaseLocation {
  dbName: string
  factory?: IDBFactory | undefined
}

/** The location {@link DatabaseOptions} name. */
export function toLocation(options: DatabaseOptions): DatabaseLocation {
  return { dbName: options.dbName ?? DEFAULT_DB_NAME, factory: options.indexedDB }
}

// One shared connection per (factory, database name) in this realm: sessions of the same
// database reuse it. It is closed and forgotten when another tab needs to upgrade the
// schema, and forgotten when the browser drops it; the next operation opens a new one.
const connections = new WeakMap<IDBFactory, Map<string, Promise<AgentsDatabase>>>()

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined
}

/** Errors after which a fresh connection can succeed (Safari drops backgrounded ones). */
function isConnectionLost(error: unknown): boolean {
  const name = errorName(error)
  return name === 'InvalidStateError' || name === 'UnknownError' || name === 'TransactionInactiveError'
}

function isQuotaError(error: unknown): boolean {
  return errorName(error) === 'QuotaExceededError'
}

function resolveFactory(location: DatabaseLocation): IDBFactory {
  const factory = location.factory ?? (typeof indexedDB === 'undefined' ? undefined : indexedDB)
  if (!factory) throw new StorageUnavailableError('this environment has no indexedDB')
  return factory
}

function openRequest(factory: IDBFactory, dbName: string, version: number): IDBOpenDBRequest {
  try {
    return factory.open(dbName, version)
  } catch (error) {
    throw new StorageUnavailableError(`indexedDB.open threw ${errorName(error) ?? String(error)}`, error)
  }
}

async function open(factory: IDBFactory, dbName: string, version: number): Promise<AgentsDatabase> {
  const request = openRequest(factory, dbName, version)
  request.onupgradeneeded = (event) => {
    const upgrade = wrap(request.transaction!)
    upgrade.done.catch(() => {}) // a failed upgrade is reported by the open request
    migrate(wrap(request.result) as AgentsDatabase, event.oldVersion, version, upgrade as never).catch(() => {
      // The open request then fails with AbortError and the database keeps its old version.
      upgrade.abort()
    })
  }
  const opening = wrap(request) as Promise<AgentsDatabase>
  const blocked = new Promise<never>((_, reject) => {
    request.onblocked = () => reject(new UpgradeBlockedError(dbName))
  })
  let db: AgentsDatabase
  try {
    db = await Promise.race([opening, blocked])
  } catch (error) {
    // A blocked open may still succeed later, when the other tab lets go: close it then.
    opening.then((late) => late.close(), () => {})
    throw openFailure(dbName, error)
  }
  db.addEventListener('versionchange', (event) => {
    void forget(factory, dbName, true)
    notifyStorageUpgradeNeeded({ dbName, oldVersion: event.oldVersion, newVersion: event.newVersion })
  })
  db.addEventListener('close', () => void forget(factory, dbName, false))
  return db
}

function openFailure(dbName: string, error: unknown): IdbAgentsError {
  if (error instanceof IdbAgentsError) return error
  const name = errorName(error)
  if (name === 'VersionError') {
    return new StorageError(
      `Database "${dbName}" was written by a newer version of idb-agents than this page runs. Reload the page to get the new version.`,
      error,
    )
  }
  if (isQuotaError(error) || name === 'AbortError') {
    return new StorageError(
      `Opening database "${dbName}" was aborted by the browser; storage may be full. Free space or reload, then try again.`,
      error,
    )
  }
  return new StorageUnavailableError(`opening "${dbName}" failed with ${name ?? String(error)}`, error)
}

function forget(factory: IDBFactory, dbName: string, close: boolean): Promise<void> {
  const perFactory = connections.get(factory)
  const current = perFactory?.get(dbName)
  perFactory?.delete(dbName)
  if (!close || !current) return Promise.resolve()
  return current.then((db) => db.close(), () => {})
}

/** The shared connection to a database, opened (and upgraded) on first use. */
export function connect(location: DatabaseLocation, version: number = SCHEMA_VERSION): Promise<AgentsDatabase> {
  const factory = resolveFactory(location)
  let perFactory = connections.get(factory)
  if (!perFactory) connections.set(factory, (perFactory = new Map()))
  let connection = perFactory.get(location.dbName)
  if (!connection) {
    const opening = open(factory, location.dbName, version)
    perFactory.set(location.dbName, opening)
    opening.catch(() => {
      if (perFactory.get(location.dbName) === opening) perFactory.delete(location.dbName)
    })
    connection = opening
  }
  return connection
}

/** Closes and forgets this realm's connection to a database (the next operation reopens it). */
export function disconnect(location: DatabaseLocation): Promise<void> {
  return forget(resolveFactory(location), location.dbName, true)
}

/**
 * Runs `operation` on the shared connection and turns IndexedDB failures into typed
 * errors. A lost connection is reopened and the operation run once more: a failed
 * transaction committed nothing, so the retry cannot apply anything twice.
 *
 * @param action - what was being done, for error messages ("adding items to session x")
 */
export async function withDatabase<T>(
  location: DatabaseLocation,
  action: string,
  operation: (db: AgentsDatabase) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(await connect(location))
    } catch (error) {
      if (error instanceof IdbAgentsError) throw error
      if (isQuotaError(error)) {
        // Firefox keeps failing later writes on a connection that hit the quota.
        void disconnect(location)
        throw new StorageQuotaError(error)
      }
      if (attempt === 0 && isConnectionLost(error)) {
        await disconnect(location)
        continue
      }
      const name = errorName(error) ?? 'Error'
      const detail = error instanceof Error ? error.message : String(error)
      throw new StorageError(`IndexedDB failed while ${action}: ${name}: ${detail}. Nothing was changed.`, error)
    }
  }
}
