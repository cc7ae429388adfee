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

/**
 * Posts on `channel` in a task of its own, right after the current one, keeping the order
 * of messages: a write that just committed resolves for its caller first, and the post
 * (a cross-process send) runs while the page waits on its next I/O. The task comes from a
 * MessageChannel, which background tabs do not throttle as they do timers (without one,
 * it posts at once).
 */
export function deferredSender(channel: BroadcastChannel): (message: unknown) => void {
  if (typeof MessageChannel === 'undefined') return (message) => channel.postMessage(message)
  const queued: unknown[] = []
  const { port1, port2 } = new MessageChannel()
  port1.onmessage = () => {
    for (const message of queued.splice(0)) channel.postMessage(message)
  }
  // In Node a listening port keeps the process alive.
  ;(port1 as { unref?: () => void }).unref?.()
  return (message) => {
    if (queued.push(message) === 1) port2.postMessage(0)
  }
}
