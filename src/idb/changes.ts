// Change events across tabs and workers of one origin, over BroadcastChannel (the same
// idea as Dexie's liveQuery, without the query). A write publishes after it commits;
// every subscriber of the database, in this realm or another, hears about it.

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

/** One committed change, as delivered to listeners. */
export interface SessionChange {
  dbName: string
  sessionId: string
  kind: SessionChangeKind
}

/** Stops a subscription. */
export type Unsubscribe = () => void

const channelName = (dbName: string): string => `idb-agents:${dbName}`

function isChange(data: unknown): data is SessionChange {
  const change = data as Partial<SessionChange> | null
  return typeof change?.dbName === 'string' && typeof change.sessionId === 'string' && typeof change.kind === 'string'
}

const publishers = new Map<string, BroadcastChannel>()

/** Tells every subscriber of `change.dbName` (all tabs and workers) about a committed change. */
export function publishChange(change: SessionChange): void {
  if (typeof BroadcastChannel === 'undefined') return
  const name = channelName(change.dbName)
  let channel = publishers.get(name)
  if (!channel) {
    channel = new BroadcastChannel(name)
    // In Node an open channel would keep the process alive; browsers have no unref.
    ;(channel as { unref?: () => void }).unref?.()
    publishers.set(name, channel)
  }
  channel.postMessage(change)
}

/**
 * Calls `listener` after every committed change to any session of database `dbName`, in
 * this tab and every other tab or worker of the origin. Where BroadcastChannel is missing
 * it never fires.
 *
 * @returns a function that stops the subscription
 */
export function onSessionsChanged(listener: (change: SessionChange) => void, options: { dbName?: string } = {}): Unsubscribe {
  if (typeof BroadcastChannel === 'undefined') return () => {}
  const channel = new BroadcastChannel(channelName(options.dbName ?? 'idb-agents'))
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isChange(event.data)) listener(event.data)
  }
  return () => channel.close()
}
