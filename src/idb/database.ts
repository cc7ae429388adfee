// The one way idb-agents opens an IndexedDB database (sessions, pending input, key store):
// typed open failures, `blocked` as UpgradeBlockedError, close on `versionchange` so other
// tabs can upgrade, and the browser's "I discarded your data" (`dataLoss`) surfaced.
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb'
import {
  IdbAgentsError,
  StorageDataLostError,
  StorageError,
  StorageQuotaError,
  StorageUnavailableError,
  UpgradeBlockedError,
} from '../errors.js'
import { notifyStorageDataLost, notifyStorageUpgradeNeeded } from './database-events.js'

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
export function toLocation(options: DatabaseOptions, defaultName: string = DEFAULT_DB_NAME): DatabaseLocation {
  return { dbName: options.dbName ?? defaultName, factory: options.indexedDB }
}

/** A database's schema: the version this code writes and how to reach it from an older one. */
export interface DatabaseSpec<Schema extends DBSchema> {
  version: number
  /**
   * Brings the database from `oldVersion` to `version`. Must carry every old record over:
   * history is never hidden or dropped by an upgrade. Awaits IndexedDB requests only.
   */
  upgrade(
    db: IDBPDatabase<Schema>,
    oldVersion: number,
    newVersion: number,
    transaction: IDBPTransaction<Schema, StoreNames<Schema>[], 'versionchange'>,
  ): Promise<void> | void
}

/** An open connection, and whether the browser discarded the database while opening it. */
interface Opened<Schema extends DBSchema> {
  db: IDBPDatabase<Schema>
  dataLost: StorageDataLostError | undefined
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined
}

/**
 * The IndexedDB factory of a location: its own, else the global `indexedDB`.
 * @throws {@link StorageUnavailableError} when there is none, or reading the global throws
 *   (some sandboxed or privacy-restricted contexts)
 */
export function resolveFactory(location: DatabaseLocation): IDBFactory {
  let factory: IDBFactory | undefined = location.factory
  if (!factory) {
    try {
      // Sandboxed iframes and some private modes throw from the getter itself.
      factory = typeof indexedDB === 'undefined' || indexedDB === null ? undefined : indexedDB
    } catch (error) {
      throw new StorageUnavailableError(`reading indexedDB threw ${errorName(error) ?? String(error)} (a sandboxed iframe?)`, error)
    }
  }
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

async function open<Schema extends DBSchema>(factory: IDBFactory, dbName: string, spec: DatabaseSpec<Schema>): Promise<Opened<Schema>> {
  const request = openRequest(factory, dbName, spec.version)
  let dataLost: StorageDataLostError | undefined
  request.onupgradeneeded = (event) => {
    // Chromium reports a database it had to discard (damaged after a crash) this way.
    const loss = (event as IDBVersionChangeEvent & { dataLoss?: string; dataLossMessage?: string }).dataLoss
    if (loss === 'total') {
      const message = (event as { dataLossMessage?: string }).dataLossMessage
      dataLost = new StorageDataLostError(dbName, message || undefined)
    }
    const upgrade = wrap(request.transaction!) as unknown as IDBPTransaction<Schema, StoreNames<Schema>[], 'versionchange'>
    upgrade.done.catch(() => {}) // a failed upgrade is reported by the open request
    // Called synchronously: the versionchange transaction must still be active.
    const abort = () => upgrade.abort() // the open request then fails and the database keeps its old version
    try {
      Promise.resolve(spec.upgrade(wrap(request.result) as unknown as IDBPDatabase<Schema>, event.oldVersion, spec.version, upgrade)).catch(abort)
    } catch {
      abort()
    }
  }
  const opening = wrap(request) as unknown as Promise<IDBPDatabase<Schema>>
  const blocked = new Promise<never>((_, reject) => {
    request.onblocked = () => reject(new UpgradeBlockedError(dbName))
  })
  let db: IDBPDatabase<Schema>
  try {
    db = await Promise.race([opening, blocked])
  } catch (error) {
    // A blocked open may still succeed later, when the other tab lets go: close it then.
    opening.then((late) => late.close(), () => {})
    throw openFailure(dbName, error)
  }
  if (dataLost) notifyStorageDataLost({ dbName, message: dataLost.message })
  return { db, dataLost }
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
  if (name === 'QuotaExceededError' || name === 'AbortError') {
    return new StorageError(
      `Opening database "${dbName}" was aborted by the browser; storage may be full. Free space or reload, then try again.`,
      error,
    )
  }
  return new StorageUnavailableError(`opening "${dbName}" failed with ${name ?? String(error)}`, error)
}

/**
 * Opens a connection of its own to a database (the key store keeps one). It closes itself
 * when another tab upgrades or deletes the database, and tells `onStorageUpgradeNeeded`.
 *
 * @throws {@link StorageDataLostError} when the browser discarded the database while
 *   opening it (the connection is closed; opening again gives the new, empty database)
 * @throws {@link UpgradeBlockedError}, {@link StorageUnavailableError}, {@link StorageError}
 */
export async function openDatabase<Schema extends DBSchema>(location: DatabaseLocation, spec: DatabaseSpec<Schema>): Promise<IDBPDatabase<Schema>> {
  const factory = resolveFactory(location)
  const { db, dataLost } = await open(factory, location.dbName, spec)
  db.addEventListener('versionchange', (event) => {
    db.close()
    notifyStorageUpgradeNeeded({ dbName: location.dbName, oldVersion: event.oldVersion, newVersion: event.newVersion })
  })
  if (dataLost) {
    db.close()
    throw dataLost
  }
  return db
}

// One shared connection per (factory, database name) in this realm: sessions of the same
// database reuse it. It is closed and forgotten when another tab needs to upgrade the
// schema, and forgotten when the browser drops it; the next operation opens a new one.
const connections = new WeakMap<IDBFactory, Map<string, Promise<IDBPDatabase<never>>>>()

function forget(factory: IDBFactory, dbName: string, close: boolean): Promise<void> {
  const perFactory = connections.get(factory)
  const current = perFactory?.get(dbName)
  perFactory?.delete(dbName)
  if (!close || !current) return Promise.resolve()
  return current.then((db) => db.close(), () => {})
}

/**
 * The shared connection to a database, opened (and upgraded) on first use.
 * @throws {@link StorageDataLostError} to the calls that were waiting for the open in which
 *   the browser discarded the database; later calls get the (new, empty) database
 */
export function connect<Schema extends DBSchema>(location: DatabaseLocation, spec: DatabaseSpec<Schema>): Promise<IDBPDatabase<Schema>> {
  const factory = resolveFactory(location)
  let perFactory = connections.get(factory)
  if (!perFactory) connections.set(factory, (perFactory = new Map()))
  const existing = perFactory.get(location.dbName)
  if (existing) return existing as unknown as Promise<IDBPDatabase<Schema>>
  const map = perFactory
  const opening = open(factory, location.dbName, spec).then(({ db, dataLost }) => {
    db.addEventListener('versionchange', (event) => {
      void forget(factory, location.dbName, true)
      notifyStorageUpgradeNeeded({ dbName: location.dbName, oldVersion: event.oldVersion, newVersion: event.newVersion })
    })
    db.addEventListener('close', () => void forget(factory, location.dbName, false))
    if (!dataLost) return db
    // Keep the connection for the next call; the calls waiting now learn what happened.
    if (map.get(location.dbName) === (opening as unknown)) map.set(location.dbName, Promise.resolve(db as unknown as IDBPDatabase<never>))
    throw dataLost
  })
  map.set(location.dbName, opening as unknown as Promise<IDBPDatabase<never>>)
  opening.catch((error: unknown) => {
    if (!(error instanceof StorageDataLostError) && map.get(location.dbName) === (opening as unknown)) map.delete(location.dbName)
  })
  return opening
}

/** Closes and forgets this realm's shared connection to a database (the next operation reopens it). */
export function disconnect(location: DatabaseLocation): Promise<void> {
  return forget(resolveFactory(location), location.dbName, true)
}

/** Errors after which a fresh connection can succeed (Safari drops backgrounded ones). */
function isConnectionLost(error: unknown): boolean {
  const name = errorName(error)
  return name === 'InvalidStateError' || name === 'UnknownError' || name === 'TransactionInactiveError'
}

/**
 * Runs `operation` on the shared connection and turns IndexedDB failures into typed
 * errors. A lost connection is reopened and the operation run once more: a failed
 * transaction committed nothing, so the retry cannot apply anything twice.
 *
 * @param action - what was being done, for error messages ("adding items to session x")
 */
export async function withDatabase<Schema extends DBSchema, T>(
  location: DatabaseLocation,
  spec: DatabaseSpec<Schema>,
  action: string,
  operation: (db: IDBPDatabase<Schema>) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(await connect(location, spec))
    } catch (error) {
      if (error instanceof IdbAgentsError) throw error
      if (errorName(error) === 'QuotaExceededError') {
        // Firefox keeps failing later writes on a connection that hit the quota.
        void disconnect(location)
        throw new StorageQuotaError(error)
      }
      if (attempt === 0 && isConnectionLost(error)) {
        await disconnect(location)
        continue
      }
      const name = errorName(error) ?? 'Error'
      const detail = error instanceof Error ? error.message.replace(/\.+$/, '') : String(error)
      throw new StorageError(`IndexedDB failed while ${action}: ${name}: ${detail}. Nothing was changed.`, error)
    }
  }
}
