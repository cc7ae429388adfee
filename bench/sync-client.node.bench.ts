// The browser half of sync (issue 14), measured in Node with fake-indexeddb as the local
// store, against the real handler served over loopback HTTP on PostgreSQL (PGlite when the
// test cluster is absent): device-to-device latency of SyncedSession — addItems on one
// device until the other device's change event, live stream in between (goal < 100 ms
// median) — and pulling a 10,000-item session onto a new device (syncSessions). Prints
// figures; asserts nothing about time. fake-indexeddb is slower than a browser's IndexedDB,
// so the local part is, if anything, overstated.
import { randomUUID } from 'node:crypto'
import { expect, inject, it } from 'vitest'
import { onSessionsChanged, SyncedSession, syncSessions, type AgentItem } from '../src/index.js'
import { createSyncHandler, insecureDevAuthorize, PostgresStore, serveNode } from '../src/server/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31)
const COUNT = 10_000
const filler = 'x'.repeat(200)
const items: AgentItem[] = Array.from({ length: COUNT }, (_, i) =>
  i % 2 === 0
    ? { role: 'user', content: `question ${i} ${filler}` }
    : { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${i} ${filler}` }] },
)

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

it('SyncedSession: device-to-device latency on loopback, pull of a 10k-item session', async () => {
  const url = inject('postgresUrl')
  const store = new PostgresStore(url === '' ? {} : url)
  await store.ready()
  const server = await serveNode(createSyncHandler({ store, authorize: insecureDevAuthorize, maxBodyBytes: 64 * 1024 * 1024 }))
  const userId = `bench-${randomUUID().slice(0, 8)}`
  const options = { url: server.url, headers: { authorization: `Bearer ${userId}` } }

  const laptop = new SyncedSession('latency', { ...options, dbName: `bench-laptop-${userId}` })
  const phone = new SyncedSession('latency', { ...options, dbName: `bench-phone-${userId}` })
  const timings: number[] = []
  for (let round = 0; round < ROUNDS + 3; round++) {
    const arrived = new Promise<void>((resolve) => {
      const stop = onSessionsChanged(
        (change) => {
          if (change.kind !== 'add') return
          stop()
          resolve()
        },
        { dbName: `bench-phone-${userId}` },
      )
    })
    const started = performance.now()
    await laptop.addItems([items[0]!, items[1]!])
    await arrived
    if (round >= 3) timings.push(performance.now() - started) // the first rounds connect the stream
  }
  expect((await phone.getItems()).length).toBe(2 * (ROUNDS + 3))
  laptop.close()
  phone.close()

  // A 10k-item session written by one device, then brought to a new device.
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
    expect((await new SyncedSession('big', { ...options, dbName, live: false }).getItems()).length).toBe(COUNT)
  }
  await server.close()
  await store.close()

  console.log(
    `\nSyncedSession over loopback HTTP, ${url === '' ? 'PGlite' : 'PostgreSQL'}, fake-indexeddb in Node\n` +
      `  device-to-device latency (addItems → other device's change event): median ${median(timings).toFixed(1)} ms over ${ROUNDS} (goal < 100 ms)\n` +
      `  push of a 10k-item session (one sync): ${pushMs.toFixed(0)} ms\n` +
      `  pull of a 10k-item session onto a new device (syncSessions): median ${median(pulls).toFixed(0)} ms over 5\n`,
  )
}, 600_000)
