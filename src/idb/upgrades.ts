// Schema upgrades across tabs. When another tab opens a database at a newer version, the
// browser sends `versionchange` to every open connection; ours close at once (so the
// upgrade is not blocked) and tell the app here, which should then reload: this tab's
// code is older than the database now is.
import type { Unsubscribe } from './changes.js'

/** A database of this tab had to close because another tab is upgrading or deleting it. */
export interface StorageUpgradeEvent {
  /** The database that closed. */
  dbName: string
  /** Its version as this tab had it open. */
  oldVersion: number
  /** The version the other tab is opening; `null` when it is deleting the database. */
  newVersion: number | null
}

const listeners = new Set<(event: StorageUpgradeEvent) => void>()

/**
 * Calls `listener` when another tab (or worker) upgrades or deletes a database this tab has
 * open. idb-agents has already closed its connection, so the other tab is not blocked; the
 * next operation here reopens the database, and fails with a `StorageError` ("written by a
 * newer version") if this page's code is older than the new schema. Reload the page, or
 * ask the user to:
 *
 * ```ts
 * onStorageUpgradeNeeded(({ newVersion }) => {
 *   if (newVersion !== null) showBanner('A new version of this app was opened in another tab.', () => location.reload())
 * })
 * ```
 *
 * The tab that opens the newer version gets `UpgradeBlockedError` instead when an old tab
 * does not let go (one running another library version that keeps its connection open).
 *
 * @returns a function that stops the subscription
 */
export function onStorageUpgradeNeeded(listener: (event: StorageUpgradeEvent) => void): Unsubscribe {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

/** Tells every listener of {@link onStorageUpgradeNeeded}; called from `versionchange` handlers. */
export function notifyStorageUpgradeNeeded(event: StorageUpgradeEvent): void {
  for (const listener of [...listeners]) {
    try {
      listener(event)
    } catch (error) {
      // One failing listener must not keep the others (or the connection close) from running.
      queueMicrotask(() => {
        throw error
      })
    }
  }
}
