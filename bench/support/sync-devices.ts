// The SyncedSession measurements, the same in Node (fake-indexeddb) and in Chromium: two
// devices of one user against a sync server at `url` (the live stream between them), then a
// 10,000-item session written by one device and brought to new ones. Asserts counts only.
import { expect } from 'vitest'
import { onSessionsChanged, SyncedSession, syncSessions, type AgentItem } from '../../src/index.js'
import { median } from './measure.js'

export const SYNC_COUNT = 10_000
const filler = 'x'.repeat(200)
const items: AgentItem[] = Array.from({ length: SYNC_COUNT }, (_, i) =>
  i % 2 === 0
    ? { role: 'user', content: `question ${i} ${filler}` }
    : { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${i} ${filler}` }] },
)

/** Measures and returns the report lines: latency (median of `rounds`), push, pull (median of 5). */
export async function measureSyncDevices(url: string, userId: string, rounds: number): Promise<string> {
  const options = { url, headers: { authorization: `Bearer ${userId}` } }
  const phoneDb = `bench-phone-${userId}`
  const laptop = new SyncedSession('latency', { ...options, dbName: `bench-laptop-${userId}` })
  const phone = new SyncedSession('latency', { ...options, dbName: phoneDb })
  const timings: number[] = []
  for (let round = 0; round < rounds + 3; round++) {
    const arrived = new Promise<void>((resolve) => {
      const stop = onSessionsChanged(
        (change) => {
          if (change.kind !== 'add') return
          stop()
          resolve()
        },
        { dbName: phoneDb },
      )
    })
    const started = performance.now()
    await laptop.addItems([items[0]!, items[1]!])
    await arrived
    if (round >= 3) timings.push(performance.now() - started) // the first rounds connect the stream
  }
  expect((await phone.getItems()).length).toBe(2 * (rounds + 3))
  laptop.close()
  phone.close()

  const writer = new SyncedSession('big', { ...options, dbName: `bench-writer-${userId}`, live: false })
  await writer.addItems(items)
  const pushStarted = performance.now()
  await writer.sync()
  const pushMs = performance.now() - pushStarted
  const pulls: number[] = []
  for (let round = 0; round < 5; round++) {
    const dbName = `bench-new-${round}-${userId}`
    const started = performance.now()
    await syncSessions({ ...options, dbName })
    pulls.push(performance.now() - started)
    expect((await new SyncedSession('big', { ...options, dbName, live: false }).getItems()).length).toBe(SYNC_COUNT)
  }
  return (
    `  device-to-device latency (addItems → other device's change event): median ${median(timings).toFixed(1)} ms over ${rounds} (goal < 100 ms)\n` +
    `  push of a 10k-item session (one sync): ${pushMs.toFixed(0)} ms\n` +
    `  pull of a 10k-item session onto a new device (syncSessions): median ${median(pulls).toFixed(0)} ms over 5\n`
  )
}
