import { describe, expect, it, vi } from 'vitest'
import { deferredSender } from '../../src/sync/broadcast.js'

/** A channel that records what is posted on it. */
function recordingChannel(): { channel: BroadcastChannel; posted: unknown[] } {
  const posted: unknown[] = []
  const channel = { postMessage: (message: unknown) => void posted.push(message) } as unknown as BroadcastChannel
  return { channel, posted }
}

describe('deferredSender', () => {
  it('posts after the current task, every message once and in order', async () => {
    const { channel, posted } = recordingChannel()
    const send = deferredSender(channel)
    send('a')
    send('b')
    await Promise.resolve() // the caller's own continuation runs before any post
    expect(posted).toEqual([])
    send('c')
    await vi.waitFor(() => expect(posted).toEqual(['a', 'b', 'c']))
    send('d')
    expect(posted).toHaveLength(3)
    await vi.waitFor(() => expect(posted).toEqual(['a', 'b', 'c', 'd']))
  })

  it('posts at once where there is no MessageChannel', () => {
    const { channel, posted } = recordingChannel()
    const saved = globalThis.MessageChannel
    // @ts-expect-error: a platform without MessageChannel
    delete globalThis.MessageChannel
    try {
      deferredSender(channel)('now')
    } finally {
      globalThis.MessageChannel = saved
    }
    expect(posted).toEqual(['now'])
  })
})
