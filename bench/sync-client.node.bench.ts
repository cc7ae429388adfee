// The browser half of sync (issue 14), measured in Node with fake-indexeddb as the local
// store, against the real handler served over loopback HTTP on PostgreSQL (PGlite when the
// test cluster is absent): device-to-device latency of SyncedSession — addItems on one
// device until the other device's change event, live stream in between (goal < 100 ms
// median) — and pulling a 10,000-item session onto a new device (syncSessions). Prints
// figures; asserts nothing about time. fake-indexeddb is slower than a browser's IndexedDB,
// so the local part is, if anything, overstated.
import { randomUUID } from 'node:crypto'
import { inject, it } from 'vitest'
import { createSyncHandler, insecureDevAuthorize, PostgresStore, serveNode } from '../src/server/index.js'
import { measureSyncDevices } from './support/sync-devices.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31)

it('SyncedSession: device-to-device latency on loopback, pull of a 10k-item session', async () => {
  const url = inject('postgresUrl')
  const store = new PostgresStore(url === '' ? {} : url)
  await store.ready()
  const server = await serveNode(createSyncHandler({ store, authorize: insecureDevAuthorize, maxBodyBytes: 64 * 1024 * 1024 }))
  const figures = await measureSyncDevices(server.url, `bench-${randomUUID().slice(0, 8)}`, ROUNDS)
  await server.close()
  await store.close()
  console.log(`\nSyncedSession over loopback HTTP, ${url === '' ? 'PGlite' : 'PostgreSQL'}, fake-indexeddb in Node\n${figures}`)
}, 600_000)
