// Issue 12, item 8: where reading the global `indexedDB` throws (some sandboxed or
// privacy-restricted contexts), every entry point says StorageUnavailableError, so the
// documented fallback to MemorySession engages. In real sandboxed iframes (where open()
// throws instead) the same is checked by sandboxed-frame.browser.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  Agent,
  deleteSession,
  IndexedDBSession,
  KeyStore,
  listSessions,
  MemorySession,
  PendingInputStore,
  retryPending,
  run,
  StorageUnavailableError,
} from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'

const original = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')!

function makeIndexedDBThrow(): void {
  Object.defineProperty(globalThis, 'indexedDB', {
    configurable: true,
    get() {
      throw new DOMException('The operation is insecure.', 'SecurityError')
    },
  })
}

function restoreIndexedDB(): void {
  Object.defineProperty(globalThis, 'indexedDB', original)
}

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StorageUnavailableError)
  expect(error).toMatchObject({ code: 'storage_unavailable' })
  expect((error as Error).message).toMatch(/reading indexedDB threw SecurityError.*use MemorySession as a fallback/)
}

describe('a global indexedDB whose getter throws', () => {
  beforeEach(makeIndexedDBThrow)
  afterEach(restoreIndexedDB)

  it('IndexedDBSession, the session list and deleteSession fail with StorageUnavailableError', async () => {
    const session = new IndexedDBSession('chat', { dbName: 'sandboxed' })
    await expectUnavailable(session.getItems())
    await expectUnavailable(session.addItems([{ role: 'user', content: 'hi' }]))
    await expectUnavailable(listSessions({ dbName: 'sandboxed' }))
    await expectUnavailable(deleteSession('chat', { dbName: 'sandboxed' }))
  })

  it('PendingInputStore and KeyStore.open fail with StorageUnavailableError', async () => {
    await expectUnavailable(new PendingInputStore().list({ sessionId: 'chat' }))
    await expectUnavailable(KeyStore.open('sandboxed-keys'))
  })

  it('retryPending finds no pending input to send instead of throwing the raw SecurityError', async () => {
    const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel(['Hello!']) })
    expect(await retryPending(agent, new IndexedDBSession('chat', { dbName: 'sandboxed' }))).toEqual([])
  })

  it('run() with an IndexedDBSession fails with StorageUnavailableError, never the raw SecurityError', async () => {
    const session = new IndexedDBSession('chat', { dbName: 'sandboxed' })
    const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel(['Hello!']) })
    // run() reports what stopped it as a RunError with the same code and the error as cause.
    const error = await run(agent, 'Hi', { session }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'storage_unavailable', inputSaved: false })
    await expectUnavailable(Promise.reject((error as Error).cause))
  })

  it('the fallback works: run() with a MemorySession', async () => {
    const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel(['Hello!']) })
    const session = new MemorySession('chat')
    const result = await run(agent, 'Hi', { session })
    expect(result.finalOutput).toBe('Hello!')
    expect(await session.getItems()).toHaveLength(2)
  })

  it('KeyStore.destroy of a store opened before fails with StorageUnavailableError', async () => {
    restoreIndexedDB()
    const keys = await KeyStore.open(`keys-${Math.random().toString(36).slice(2)}`)
    makeIndexedDBThrow()
    await expectUnavailable(keys.destroy())
  })
})
