// Issue 12, item 8 in a real `<iframe sandbox="allow-scripts">` (an opaque origin): idb-agents
// loaded there reports StorageUnavailableError everywhere, so the documented fallback to
// MemorySession engages, and a run with a MemorySession works. In today's engines the
// sandboxed frame's `indexedDB` getter returns a factory whose open() throws SecurityError;
// other contexts throw from the getter itself, which the frame checks too (as
// no-indexeddb.test.ts does in Node).
import { expect, it } from 'vitest'
import { runInSandboxedFrame } from '../support/sandboxed-frame.js'

it('in a sandboxed iframe every entry point fails with StorageUnavailableError and MemorySession works', async () => {
  const report = await runInSandboxedFrame(
    ['/src/index.ts', '/src/testing/index.ts'],
    `
    const lib = await import(modules['/src/index.ts'])
    const { ScriptedModel } = await import(modules['/src/testing/index.ts'])
    const outcome = (promise) => promise.then(
      () => 'resolved',
      (error) => error.code + (typeof error.cause?.code === 'string' ? '/' + error.cause.code : '') + ': ' + error.message,
    )
    const agent = (text) => new lib.Agent({ name: 'Assistant', instructions: 'Be brief.', model: new ScriptedModel([text]) })
    const result = {
      origin: self.origin,
      session: await outcome(new lib.IndexedDBSession('chat').getItems()),
      list: await outcome(lib.listSessions()),
      pending: await outcome(new lib.PendingInputStore().list({ sessionId: 'chat' })),
      keys: await outcome(lib.KeyStore.open('keys')),
      runIndexedDB: await outcome(lib.run(agent('Hi'), 'Hi', { session: new lib.IndexedDBSession('chat') })),
    }
    const memory = new lib.MemorySession('chat')
    result.runMemory = (await lib.run(agent('Hello from memory'), 'Hi', { session: memory })).finalOutput
    result.memoryItems = (await memory.getItems()).length
    Object.defineProperty(globalThis, 'indexedDB', { configurable: true, get() { throw new DOMException('The operation is insecure.', 'SecurityError') } })
    result.throwingGetter = await outcome(new lib.IndexedDBSession('chat').getItems())
    result.runThrowingGetter = await outcome(lib.run(agent('Hi'), 'Hi', { session: new lib.IndexedDBSession('chat') }))
    result.retryThrowingGetter = await lib.retryPending(agent('Hi'), new lib.IndexedDBSession('chat')).then((sent) => sent.length, (error) => String(error))
    report(result)
    `,
  )
  const unavailable = (how: string) => new RegExp(`^storage_unavailable: IndexedDB is not available \\(${how}\\).*use MemorySession as a fallback`)
  expect(report).toMatchObject({
    origin: 'null',
    session: expect.stringMatching(unavailable('indexedDB.open threw SecurityError')),
    list: expect.stringMatching(unavailable('indexedDB.open threw SecurityError')),
    pending: expect.stringMatching(unavailable('indexedDB.open threw SecurityError')),
    keys: expect.stringMatching(unavailable('indexedDB.open threw SecurityError')),
    runIndexedDB: expect.stringMatching(/^storage_unavailable\/storage_unavailable: The run stopped: IndexedDB is not available/),
    runMemory: 'Hello from memory',
    memoryItems: 2,
    throwingGetter: expect.stringMatching(unavailable('reading indexedDB threw SecurityError \\(a sandboxed iframe\\?\\)')),
    retryThrowingGetter: 0,
    runThrowingGetter: expect.stringMatching(/^storage_unavailable\/storage_unavailable: The run stopped: IndexedDB is not available \(reading indexedDB threw/),
  })
}, 60_000)
