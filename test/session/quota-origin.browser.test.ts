// The quota checks of indexeddb.browser.test.ts for engines without Storage Buckets: here the
// whole origin's quota is the small one (Firefox, whose provider lowers its temporary-storage
// limit so that the origin gets 10 MB). Firefox is also the engine that, after a first
// QuotaExceededError, failed later writes until the database was reopened
// (../shared/PITFALLS.md), hence the second test.
import { afterEach, describe, expect, it } from 'vitest'
import { IndexedDBSession, StorageQuotaError, type AgentItem } from '../../src/index.js'
import { disconnect } from '../../src/session/indexeddb-connection.js'
import { capabilities, lacks, originQuota } from '../support/capabilities.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })

// Random text: engines compress IndexedDB values, so repeated characters would fill nothing.
function randomText(bytes: number): string {
  const chunk = new Uint8Array(bytes)
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(chunk.subarray(at, at + 65536))
  return Array.from(chunk, (b) => b.toString(36)).join('')
}

/** Adds turns of about 240 KB until the quota refuses one; returns the error and the turns tried. */
async function fill(session: IndexedDBSession): Promise<{ error: unknown; turns: number }> {
  const maxTurns = Math.ceil((2 * originQuota!) / (240 * 1024))
  let error: unknown
  let turns = 0
  for (; turns < maxTurns && !error; turns++) {
    const turn = [user(`${turns}:${randomText(64 * 1024)}`), user(`${turns}:${randomText(64 * 1024)}`)]
    await session.addItems(turn).catch((e: unknown) => {
      error = e
    })
  }
  return { error, turns }
}

const created: string[] = []
afterEach(async () => {
  for (const dbName of created.splice(0)) {
    await disconnect({ dbName })
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(dbName)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    })
  }
})

function sessions() {
  const dbName = `quota-origin-${Math.random().toString(36).slice(2)}`
  created.push(dbName)
  return { session: new IndexedDBSession('big', { dbName }), other: new IndexedDBSession('other', { dbName }) }
}

describe('IndexedDBSession at a full origin quota', () => {
  it('turns a full quota into StorageQuotaError and keeps all earlier history', async ({ skip }) => {
    skip(!capabilities.smallOriginQuota, lacks('smallOriginQuota'))
    const { session, other } = sessions()
    await session.addItems([user('first turn')])
    await other.addItems([user('other session')])
    const { error, turns } = await fill(session)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect((error as StorageQuotaError).message).toMatch(/nothing was written/)
    const items = await session.getItems()
    expect(items[0]).toEqual(user('first turn'))
    expect(items).toHaveLength(2 * turns - 1)
    expect((await session.getInfo())?.itemCount).toBe(items.length)
    expect(await other.getItems()).toEqual([user('other session')])
  }, 120_000)

  it('writes again once space is freed by clearing the full session', async ({ skip }) => {
    skip(!capabilities.smallOriginQuota, lacks('smallOriginQuota'))
    const { session, other } = sessions()
    // The same steps as the Storage Bucket test in indexeddb.browser.test.ts.
    await session.addItems([user('first turn')])
    await other.addItems([user('other session')])
    expect((await fill(session)).error).toBeInstanceOf(StorageQuotaError)
    expect((await session.getItems())[0]).toEqual(user('first turn'))
    await session.clearSession()
    await session.addItems([user('after freeing space')])
    expect(await session.getItems()).toEqual([user('after freeing space')])
    await other.addItems([user('other again')])
    expect(await other.getItems()).toEqual([user('other session'), user('other again')])
  }, 120_000)
})
