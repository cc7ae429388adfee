// Change events across tabs and workers of one origin, over BroadcastChannel (the same
// idea as Dexie's liveQuery, without the query). A write publishes after it commits;
// every subscriber of the database, in this realm or another, hears about it.
import { openChannel, type Unsubscribe } from '../sync/broadcast.js'
import { DEFAULT_DB_NAME } from './database.js'

/** What changed in a session. */
export type SessionChangeKind =
  | 'add'
  | 'pop'
  | 'clear'
  | 'replace'
  | 'branch'
  | 'usage'
  | 'rename'
  | 'delete'
  | 'import'
  /** A run paused for approvals was kept or dropped (see `PendingRunsSession`). */
  | 'pending'

/** One committed change, as delivered to listeners. */
export interface SessionChange {
  dbName: string
  sessionId: string
  kind: SessionChangeKind
}

const channelName = (dbName: string): string => `idb-agents:${dbName}`

function isChange(data: unknown): data is SessionChange {
  const change = data as Partial<SessionChange> | null
  return typeof change?.dbName === 'string' && typeof change.sessionId === 'string' && typeof change.kind === 'string'
}

const publishers = new Map<string, BroadcastChannel | undefined>()

/** Tells every subscriber of `change.dbName` (all tabs and workers) about a committed change. */
export function publishChange(change: SessionChange): void {
  const name = channelName(change.dbName)
  if (!publishers.has(name)) publishers.set(name, openChannel(name, { unref: true }))
  publishers.get(name)?.postMessage(change)
}

/**
 * Calls `listener` after every committed change to any session of database `dbName`, in
 * this tab and every other tab or worker of the origin. Where BroadcastChannel is missing
 * it never fires.
 *
 * @param options.dbName - the database to listen to @default 'idb-agents'
 * @returns a function that stops the subscription
 */
export function onSessionsChanged(listener: (change: SessionChange) => void, options: { dbName?: string } = {}): Unsubscribe {
  const channel = openChannel(channelName(options.dbName ?? DEFAULT_DB_NAME))
  if (!channel) return () => {}
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isChange(event.data)) listener(event.data)
  }
  return () => channel.close()
}
