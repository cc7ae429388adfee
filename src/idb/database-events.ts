// What the browser does to a database behind the app's back, told to the app:
// - another tab opens it at a newer version: the browser sends `versionchange` to every
//   open connection; ours close at once (so the upgrade is not blocked) and the app should
//   reload, since this tab's code is older than the database now is;
// - the browser discarded it as damaged (Chromium, after a crash: `dataLoss: 'total'`).
import type { Unsubscribe } from '../sync/broadcast.js'

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
const lossListeners = new Set<(event: StorageDataLostEvent) => void>()

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
  notify(listeners, event)
}

/** The browser discarded a database of this origin because it was damaged. */
export interface StorageDataLostEvent {
  /** The database that was discarded and opened again, empty. */
  dbName: string
  /** The `StorageDataLostError` message: what was lost and what to tell the user. */
  message: string
}

/**
 * Calls `listener` when the browser reports, while opening one of idb-agents' databases
 * (sessions, pending input, key store), that it discarded it as damaged — Chromium does
 * after a crash killed it mid-write (`dataLoss: 'total'`). The history that was kept only
 * on this device is gone; tell the user ("your history on this device was lost by the
 * browser") and restore from another copy (an export, a synced server) if there is one.
 * The operation that opened the database also rejects once with `StorageDataLostError`.
 *
 * @returns a function that stops the subscription
 */
export function onStorageDataLost(listener: (event: StorageDataLostEvent) => void): Unsubscribe {
  lossListeners.add(listener)
  return () => {
    lossListeners.delete(listener)
  }
}

/** Tells every listener of {@link onStorageDataLost}. */
export function notifyStorageDataLost(event: StorageDataLostEvent): void {
  notify(lossListeners, event)
}

function notify<E>(targets: Set<(event: E) => void>, event: E): void {
  for (const listener of [...targets]) {
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
