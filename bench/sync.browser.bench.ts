// The browser half of sync (issue 14) in real Chromium, against the sync server on PGlite
// over loopback HTTP (test/support/sync-server-global-setup.ts): device-to-device latency
// of SyncedSession — addItems on one device until the other device's change event, over
// the live stream (goal < 100 ms median) — and pulling a 10,000-item session onto a new
// device (syncSessions into an empty database). The two devices are two databases in one
// page. Prints figures; asserts nothing about time.
import { inject, it } from 'vitest'
import { measureSyncDevices } from './support/sync-devices.js'

const url = inject('syncServerUrl')
const ROUNDS = 31

it('SyncedSession in Chromium: device-to-device latency, pull of a 10k-item session', async () => {
  const figures = await measureSyncDevices(url, `bench-${Date.now().toString(36)}`, ROUNDS)
  console.log(`\nSyncedSession in Chromium, sync server on PGlite over loopback HTTP\n${figures}`)
})
