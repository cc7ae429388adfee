// storageStatus and requestPersistentStorage against the browser's real StorageManager.
import { describe, expect, it } from 'vitest'
import { requestPersistentStorage, storageStatus } from '../../src/sync/storage-health.js'

// Firefox answers persist() only after the user responds to a permission prompt, which
// headless automation never does.
const promptsForPersistence = /Firefox\//.test(navigator.userAgent)
const skipNote = promptsForPersistence ? ' (skipped: Firefox asks the user with a permission prompt automation cannot answer)' : ''

// The WebKit MiniBrowser of the test suite has no StorageManager (navigator.storage).
const noStorageManager = typeof navigator.storage?.estimate !== 'function'
const noManagerNote = noStorageManager ? ' (skipped: this engine has no navigator.storage.estimate())' : ''

describe('storage health in a real browser', () => {
  it.skipIf(!noStorageManager)('without a StorageManager: unknown fields, and persistence not granted', async () => {
    expect(await storageStatus()).toEqual({ usage: undefined, quota: undefined, usageRatio: undefined, persisted: undefined })
    expect(await requestPersistentStorage()).toBe(false)
  })

  it.skipIf(noStorageManager)(`reports usage within quota, and whether storage is persistent${noManagerNote}`, async () => {
    const status = await storageStatus()
    expect(status.quota).toBeGreaterThan(0)
    expect(status.usage).toBeGreaterThanOrEqual(0)
    expect(status.usage!).toBeLessThanOrEqual(status.quota!)
    expect(status.usageRatio).toBeCloseTo(status.usage! / status.quota!)
    expect(typeof status.persisted).toBe('boolean')
  })

  it.skipIf(promptsForPersistence || noStorageManager)(`requestPersistentStorage answers with the state persisted() then reports${skipNote}${noManagerNote}`, async () => {
    const granted = await requestPersistentStorage()
    expect(typeof granted).toBe('boolean')
    expect((await storageStatus()).persisted).toBe(granted)
  })
})
