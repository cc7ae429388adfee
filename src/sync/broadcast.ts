// BroadcastChannel, where there is one: messages to every other tab and worker of the origin.

/**
 * A channel to every other realm (tab, worker) of the origin, or `undefined` where there is
 * none. In Node an open channel keeps the process alive; `unref` lets it exit (for channels
 * that only send, or listeners that must not hold the process).
 */
export function openChannel(name: string, options: { unref?: boolean } = {}): BroadcastChannel | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined
  const channel = new BroadcastChannel(name)
  if (options.unref) (channel as { unref?: () => void }).unref?.()
  return channel
}

/** Stops a subscription. */
export type Unsubscribe = () => void
