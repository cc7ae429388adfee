// Filling storage until the quota refuses a write, and checking nothing earlier was lost:
// shared by the Storage Bucket test (Chromium) and the whole-origin test (Firefox).
import { expect } from 'vitest'
import { StorageQuotaError, type AgentItem, type IndexedDBSession } from '../../../src/index.js'

export const user = (text: string): AgentItem => ({ role: 'user', content: text })

/** Random text: engines compress IndexedDB values, so repeated characters would fill nothing. */
function randomText(bytes: number): string {
  const chunk = new Uint8Array(bytes)
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(chunk.subarray(at, at + 65536))
  return Array.from(chunk, (b) => b.toString(36)).join('')
}

/** Adds turns of two ~120 KB messages until one is refused; returns the error and the turns tried. */
export async function fillUntilRefused(session: IndexedDBSession, maxTurns: number): Promise<{ error: unknown; turns: number }> {
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

/**
 * Checks the refusal was a StorageQuotaError and that everything before it is intact:
 * `session` started with 'first turn' and holds every whole turn that was accepted,
 * `other` still holds its one item.
 */
export async function expectRefusedWithHistoryKept(
  filled: { error: unknown; turns: number },
  session: IndexedDBSession,
  other: IndexedDBSession,
): Promise<void> {
  expect(filled.error).toBeInstanceOf(StorageQuotaError)
  expect((filled.error as StorageQuotaError).message).toMatch(/nothing was written/)
  const items = await session.getItems()
  expect(items[0]).toEqual(user('first turn'))
  expect(items).toHaveLength(2 * filled.turns - 1)
  expect((await session.getInfo())?.itemCount).toBe(items.length)
  expect(await other.getItems()).toEqual([user('other session')])
}

/**
 * Fills storage completely: ~120 KB turns until one is refused, then single messages of
 * 16 KB, 1 KB and 64 bytes until each is refused, so that no write of any size fits.
 * Returns every item the session holds afterwards.
 */
export async function fillToTheBrim(session: IndexedDBSession, maxTurns: number): Promise<AgentItem[]> {
  const filled = await fillUntilRefused(session, maxTurns)
  expect(filled.error).toBeInstanceOf(StorageQuotaError)
  for (const bytes of [16 * 1024, 1024, 64]) {
    for (let n = 0; ; n++) {
      const refused = await session.addItems([user(`small ${bytes}/${n}:${randomText(bytes)}`)]).then(
        () => false,
        (error: unknown) => {
          if (error instanceof StorageQuotaError) return true
          throw error
        },
      )
      if (refused) break
    }
  }
  return session.getItems()
}
