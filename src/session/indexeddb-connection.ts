import { openDB } from 'idb'
import {
  IdbAgentsError,
  StorageError,
  StorageQuotaError,
  StorageUnavailableError,
  UpgradeBlockedError,
} from '../errors.js'
import { migrate, SCHEMA_VERSION, type AgentsDatabase, type AgentsDB } from './indexeddb-schema.js'

// One shared connection per database name in this realm: sessions of the same database
// reuse it. It is closed (and forgotten) when another tab needs to upgrade the schema, and
// forgotten when the browser drops it; the next operation opens a new one.
const connections = new Map<string, Promise<AgentsDatabase>>()

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined
}

/** Errors after which a fresh connection can succeed (Safari drops backgrounded ones). */
function isConnectionLost(error: unknown): boolean {
  const name = errorName(error)
  return name === 'InvalidStateError' || name === 'UnknownError' || name === 'TransactionInactiveError'
}

function isQuotaError(error: unknown): boolean {
  const name = errorName(error)
  if (name === 'QuotaExceededError') return true
  // A transaction aborted for quota reports AbortError whose transaction carries the reason.
  const cause = error instanceof Error ? error.cause : undefined
  return cause !== undefined && errorName(cause) === 'QuotaExceededError'
}

async function open(dbName: string, version: number): Promise<AgentsDatabase> {
  if (typeof indexedDB === 'undefined' || indexedDB === null) {
    throw new StorageUnavailableError('this environment has no indexedDB')
  }
  let rejectBlocked: (error: Error) => void = () => {}
  const blocked = new Promise<never>((_, reject) => {
    rejectBlocked = reject
  })
  let opening: Promise<AgentsDatabase>
  try {
    opening = openDB<AgentsDB>(dbName, version, {
      upgrade: (db, oldVersion, _newVersion, transaction) => migrate(db, oldVersion, transaction),
      blocked: () => rejectBlocked(new UpgradeBlockedError(dbName)),
      blocking: () => forget(dbName, true),
      terminated: () => forget(dbName, false),
    })
  } catch (error) {
    throw new StorageUnavailableError(`indexedDB.open threw ${errorName(error) ?? String(error)}`, error)
  }
  try {
    return await Promise.race([opening, blocked])
  } catch (error) {
    // A blocked open may still succeed later, when the other tab lets go: close it then.
    opening.then((db) => db.close(), () => {})
    if (error instanceof IdbAgentsError) throw error
    const name = errorName(error)
    if (name === 'VersionError') {
      throw new StorageError(
        `Database "${dbName}" was written by a newer version of idb-agents than this page runs. Reload the page to get the new version.`,
        error,
      )
    }
    if (isQuotaError(error) || name === 'AbortError') {
      throw new StorageError(
        `Opening database "${dbName}" was aborted by the browser; storage may be full. Free space or reload, then try again.`,
        error,
      )
    }
    throw new StorageUnavailableError(`opening "${dbName}" failed with ${name ?? String(error)}`, error)
  }
}

function forget(dbName: string, close: boolean): void {
  const current = connections.get(dbName)
  connections.delete(dbName)
  if (close) current?.then((db) => db.close(), () => {})
}

/** The shared connection to `dbName`, opened (and upgraded) on first use. */
export function connect(dbName: string, version: number = SCHEMA_VERSION): Promise<AgentsDatabase> {
  let connection = connections.get(dbName)
  if (!connection) {
    connection = open(dbName, version)
    connections.set(dbName, connection)
    connection.catch(() => {
      if (connections.get(dbName) === connection) connections.delete(dbName)
    })
  }
  return connection
}

/** Closes and forgets this realm's connection to `dbName` (the next operation reopens it). */
export function disconnect(dbName: string): void {
  forget(dbName, true)
}

/**
 * Runs `operation` on the shared connection and turns IndexedDB failures into typed
 * errors. A lost connection is reopened and the operation run once more: a failed
 * transaction committed nothing, so the retry cannot apply anything twice.
 *
 * @param action - what was being done, for error messages ("adding items to session x")
 */
export async function withDatabase<T>(
  dbName: string,
  action: string,
  operation: (db: AgentsDatabase) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(await connect(dbName))
    } catch (error) {
      if (error instanceof IdbAgentsError) throw error
      if (isQuotaError(error)) {
        // Firefox keeps failing later writes on a connection that hit the quota.
        forget(dbName, true)
        throw new StorageQuotaError(error)
      }
      if (attempt === 0 && isConnectionLost(error)) {
        forget(dbName, true)
        continue
      }
      const name = errorName(error) ?? 'Error'
      const detail = error instanceof Error ? error.message : String(error)
      throw new StorageError(`IndexedDB failed while ${action}: ${name}: ${detail}. Nothing was changed.`, error)
    }
  }
}
