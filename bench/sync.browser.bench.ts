// The browser half of sync (issue 14) in real Chromium, against the sync server on PGlite
// over loopback HTTP (test/support/sync-server-global-setup.ts): device-to-device latency
// of SyncedSession — addItems on one device until the other device's change event, over
// the live stream (goal < 100 ms median) — and pulling a 10,000-item session onto a new
// device (syncSessions into an empty database). The two devices are two databases in one
// page. Prints figures; asserts nothing about time.
import { expect, inject, it } from 'vitest'
import { onSessionsChanged, SyncedSession, syncSessions, type AgentItem } from '../src/index.js'

const url = inject('syncServerUrl')
const ROUNDS = 31
const COUNT = 10_000
const filler = 'x'.repeat(200)
const items: AgentItem[] = Array.from({ length: COUNT }, (_, i) =>
  i % 2 === 0
    ? { role: 'user', content: `question ${i} ${filler}` }
    : { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${i} ${filler}` }] },
)
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

it('SyncedSession in Chromium: device-to-device latency, pull of a 10k-item session', async () => {
  const user = `bench-${Date.now().toString(36)}`
  const options = { url, headers: { authorization: `Bearer ${user}` } }
  const phoneDb = `bench-phone-${user}`
  const laptop = new SyncedSession('latency', { ...options, dbName: `bench-laptop-${user}` })
  const phone = new SyncedSession('latency', { ...options, dbName: phoneDb })
  const timings: number[] = []
  for (let round = 0; round < ROUNDS + 3; round++) {
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
  laptop.close()
  phone.close()

  const writer = new SyncedSession('big', { ...options, dbName: `bench-writer-${user}`, live: false })
  await writer.addItems(items)
  const pushStarted = performance.now()
  await writer.sync()
  const pushMs = performance.now() - pushStarted
  const pulls: number[] = []
  for (let round = 0; round < 5; round++) {
    const dbName = `bench-new-${round}-${user}`
    const started = performance.now()
    await syncSessions({ ...options, dbName })
    pulls.push(performance.now() - started)
    expect((await new SyncedSession('big', { ...options, dbName, live: false }).getItems()).length).toBe(COUNT)
  }
  console.log(
    `\nSyncedSession in Chromium, sync server on PGlite over loopback HTTP\n` +
      `  device-to-device latency (addItems → other device's change event): median ${median(timings).toFixed(1)} ms over ${ROUNDS} (goal < 100 ms)\n` +
      `  push of a 10k-item session (one sync): ${pushMs.toFixed(0)} ms\n` +
      `  pull of a 10k-item session onto a new device (syncSessions): median ${median(pulls).toFixed(0)} ms over 5\n`,
  )
})
