// Sync of one user's chats with the demo's sync server (the dev server's /api/sync, PGlite).
// Synced chats live in a database of their own per user (the server's change feed and the
// outbox are per database, and the demo's local database holds every user's chats), written
// through SyncedSession only. One SyncedSession keeps the live feed open for the whole
// database; the chats' own sessions do not (a stream each would use up the browser's
// connections to the server): every local write wakes this link, which pushes it.
import { onSessionsChanged, SyncedSession, SyncOfflineError, syncSessions, type SyncHeaders } from '../../../src/index.js'

/** The sync server's mount path on the dev server (demo/server/sync-plugin.ts). */
export const SYNC_PATH = '/api/sync'

/** After a failure, how soon to try again (and show how it went). */
const RETRY_STATUS_MS = 10_000

export type SyncState = 'syncing' | 'synced' | 'pending' | 'offline' | 'failed'

export interface SyncStatus {
  state: SyncState
  /** Ops written here and not yet on the server. */
  pending: number
  /** The last failure, while it lasts. */
  error?: Error | undefined
}

/** Where a user's synced chats are kept on this device. */
export const syncedDbName = (user: string): string => `idb-agents-demo-synced-${user}`

/** How a user's requests reach the sync server. DEV ONLY: the server trusts the bearer name. */
export function syncTarget(user: string): { url: string; headers: SyncHeaders } {
  return { url: new URL(SYNC_PATH, location.origin).href, headers: { authorization: `Bearer ${user}` } }
}

export class SyncLink {
  readonly user: string
  readonly dbName: string
  readonly #target: { url: string; headers: SyncHeaders }
  readonly #hub: SyncedSession
  readonly #stop: () => void
  readonly #listeners = new Set<(status: SyncStatus) => void>()
  #status: SyncStatus = { state: 'syncing', pending: 0 }
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = Promise.resolve()
  #closed = false

  constructor(user: string) {
    this.user = user
    this.dbName = syncedDbName(user)
    this.#target = syncTarget(user)
    // Writes nothing itself: it is the database's live feed and its retries (backoff, `online`).
    this.#hub = new SyncedSession(`${user}/.sync-link`, { ...this.#target, dbName: this.dbName, onSyncError: (error) => this.#failed(error) })
    // A write here (or in another tab, or one pulled from the server): push soon, and show it.
    this.#stop = onSessionsChanged(() => this.#soon(), { dbName: this.dbName })
    addEventListener('online', this.#wake)
    addEventListener('offline', this.#wake)
  }

  /** A chat's session: local-first, pushed by this link. */
  session(sessionId: string): SyncedSession {
    return new SyncedSession(sessionId, { ...this.#target, dbName: this.dbName, live: false })
  }

  /** Brings the user's chats from the server (and sends what this device holds that the server lacks). */
  async start(): Promise<void> {
    await this.#run(() => syncSessions({ ...this.#target, dbName: this.dbName }))
  }

  get status(): SyncStatus {
    return this.#status
  }

  /** Calls `listener` with every change of status. @returns stops */
  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#stop()
    this.#hub.close()
    removeEventListener('online', this.#wake)
    removeEventListener('offline', this.#wake)
    this.#listeners.clear()
  }

  readonly #wake = (): void => this.#soon()

  #soon(): void {
    if (this.#closed) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#run(() => this.#hub.sync()).catch(() => {}), 50)
  }

  /** One sync at a time; the status says how it went. */
  #run(sync: () => Promise<void>): Promise<void> {
    const next = this.#running.then(async () => {
      if (this.#closed) return
      try {
        await sync()
        await this.#settle(undefined)
      } catch (error) {
        await this.#settle(error instanceof Error ? error : new Error(String(error)))
        throw error
      }
    })
    this.#running = next.catch(() => {})
    return next
  }

  #failed(error: Error): void {
    void this.#settle(error)
  }

  async #settle(error: Error | undefined): Promise<void> {
    const pending = await this.#hub.pendingOps().catch(() => 0)
    let state: SyncState
    if (error instanceof SyncOfflineError || !navigator.onLine) state = 'offline'
    else if (error) state = 'failed'
    else state = pending > 0 ? 'pending' : 'synced'
    this.#status = { state, pending, error }
    if (this.#closed) return
    for (const listener of this.#listeners) listener(this.#status)
    // The live feed retries by itself; this also brings the status back once the server is.
    if (error) {
      clearTimeout(this.#timer)
      this.#timer = setTimeout(() => this.#soon(), RETRY_STATUS_MS)
    }
  }
}
