// Offline input kept as pending input and sent exactly once (fake-indexeddb; the same with
// a real offline tab, a reload and the `online` event is in tabs.browser.test.ts).
import { afterAll, describe, expect, it, vi } from 'vitest'
import type { AgentItem } from '../../src/items/types.js'
import { generateDataKey } from '../../src/crypto/keys.js'
import { Agent } from '../../src/runner/agent.js'
import { ModelHttpError, OfflineError } from '../../src/model/errors.js'
import { run } from '../../src/runner/runner.js'
import { EncryptedSession } from '../../src/encrypted/encrypted-session.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { MemorySession } from '../../src/session/memory.js'
import { PendingInputStore, type PendingInput } from '../../src/idb/pending-input.js'
import { retryPending, retryPendingWhenOnline } from '../../src/runner/retry-pending.js'
import { PendingInputKeptError } from '../../src/runner/run-guard.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { expectWholeTurns, RecordingSession, userTexts } from '../runner/helpers.js'

const dbName = `pending-${crypto.randomUUID()}`
const pendingDb = `pending-store-${crypto.randomUUID()}`
const deleteDb = (name: string) =>
  new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
afterAll(async () => {
  await deleteDb(dbName)
  await deleteDb(pendingDb)
  await deleteDb('idb-agents-pending')
})

const offline = { disconnect: true } as const
let n = 0
/** A fresh session and store objects, as after a reload. */
function fresh(sessionId: string) {
  return { session: new IndexedDBSession(sessionId, { dbName }), store: new PendingInputStore({ dbName: pendingDb }) }
}
/** The run options of a `fresh()` tab. */
const using = ({ session, store }: ReturnType<typeof fresh>) => ({ session, pendingInput: store })
const user = (text: string): AgentItem => ({ role: 'user', content: text })

describe('offline input is kept, not lost', () => {
  it('run() fails with OfflineError, keeps the input outside the history, and a reload can send it once', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel([offline, 'Sent at last.'])
    const agent = new Agent({ name: 'A', model })
    const before = fresh(sessionId)
    const error = await run(agent, 'Hello from the train', using(before)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OfflineError)
    expect(error).toBeInstanceOf(PendingInputKeptError)
    expect((error as PendingInputKeptError).message).toMatch(/kept as pending input .* Do not send it again yourself\.$/)
    expect(error).toMatchObject({ inputSaved: false, code: 'offline', name: 'PendingInputKeptError' })
    expect(await before.session.getItems()).toEqual([]) // not in the history the model sees
    await before.store.close()

    const after = fresh(sessionId) // reload: new objects, same databases
    const [kept] = await after.store.list({ sessionId, dbName })
    expect(kept).toMatchObject({ sessionId, scope: dbName, state: 'pending', input: [user('Hello from the train')] })

    const sent = await retryPending(agent, after.session, { store: after.store })
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ alreadySent: false, result: { finalOutput: 'Sent at last.' } })
    expect(await retryPending(agent, after.session, { store: after.store })).toEqual([])
    expect(await after.store.list({ sessionId, dbName })).toEqual([])
    const items = await after.session.getItems()
    expect(userTexts(items)).toEqual(['Hello from the train'])
    expect(items).toHaveLength(2)
    expect(model.requests).toHaveLength(2) // the offline attempt and the one send
  })

  it('keeps input by default for an IndexedDBSession, never for an EncryptedSession or MemorySession', async () => {
    const agent = new Agent({ name: 'A', model: new ScriptedModel([offline, offline, offline]) })
    const defaultStore = new PendingInputStore()
    const plain = new IndexedDBSession(`s${++n}`, { dbName })
    await expect(run(agent, 'kept', { session: plain })).rejects.toBeInstanceOf(PendingInputKeptError)
    expect(await defaultStore.list({ sessionId: plain.sessionId, dbName })).toHaveLength(1)

    const encrypted = new EncryptedSession(new IndexedDBSession(`s${++n}`, { dbName }), { key: await generateDataKey() })
    const memory = new MemorySession(`s${++n}`)
    for (const session of [encrypted, memory]) {
      const error = await run(agent, 'secret', { session }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OfflineError)
      expect(error).not.toBeInstanceOf(PendingInputKeptError)
      expect((error as OfflineError).message).toContain('safe to run the same input again')
      expect(await defaultStore.list({ sessionId: session.sessionId })).toEqual([])
    }
    await defaultStore.close()
  })

  it('pendingInput: false keeps nothing; an explicit store keeps even a MemorySession\'s input', async () => {
    const agent = new Agent({ name: 'A', model: new ScriptedModel([offline, offline]) })
    const store = new PendingInputStore({ dbName: pendingDb })
    const off = new IndexedDBSession(`s${++n}`, { dbName })
    await expect(run(agent, 'x', { session: off, pendingInput: false })).rejects.not.toBeInstanceOf(PendingInputKeptError)
    const memory = new MemorySession(`s${++n}`)
    await expect(run(agent, 'y', { session: memory, pendingInput: store })).rejects.toBeInstanceOf(PendingInputKeptError)
    expect((await store.list({ sessionId: memory.sessionId })).map((p) => p.input)).toEqual([[user('y')]])
  })

  it('does not keep input a failed run already saved (it is in the history: resume instead)', async () => {
    const store = new PendingInputStore({ dbName: pendingDb })
    const model = new ScriptedModel([{ toolCalls: [{ name: 'missing', arguments: {} }] }, offline])
    const { session } = fresh(`s${++n}`)
    const error = await run(new Agent({ name: 'A', model }), 'half', { session, pendingInput: store }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OfflineError)
    expect(error).not.toBeInstanceOf(PendingInputKeptError)
    expect(error).toMatchObject({ inputSaved: true })
    expect(await store.list({ sessionId: session.sessionId, dbName })).toEqual([])
  })
})

describe('retryPending sends each input once', () => {
  it('two retries at once (two tabs) send it once', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel([offline, 'once', 'twice?!'])
    const agent = new Agent({ name: 'A', model })
    await run(agent, 'only once', using(fresh(sessionId))).catch(() => {})
    const tab1 = fresh(sessionId)
    const tab2 = fresh(sessionId)
    const [a, b] = await Promise.all([
      retryPending(agent, tab1.session, { store: tab1.store }),
      retryPending(agent, tab2.session, { store: tab2.store }),
    ])
    expect(a.length + b.length).toBe(1)
    expect(userTexts(await tab1.session.getItems())).toEqual(['only once'])
    expect(model.requests).toHaveLength(2)
  })

  it('sends in order, stops at a failure and keeps the rest pending in order; never rewinds the session', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel([offline, offline, 'first answer', { status: 400 }, 'second answer'])
    const agent = new Agent({ name: 'A', model })
    const { session, store } = fresh(sessionId)
    await run(agent, 'one', { session, pendingInput: store }).catch(() => {})
    await run(agent, 'two', { session, pendingInput: store }).catch(() => {})
    const recording = new RecordingSession(session)
    Object.defineProperty(recording, 'indexedDBLocation', { value: { dbName } }) // declares the IndexedDBBackedSession capability
    await expect(retryPending(agent, recording, { store })).rejects.toBeInstanceOf(ModelHttpError)
    expect(userTexts(await session.getItems())).toEqual(['one'])
    expect((await store.list({ sessionId, dbName })).map((p) => [p.state, p.input])).toEqual([['pending', [user('two')]]])
    await retryPending(agent, recording, { store })
    expect(userTexts(await session.getItems())).toEqual(['one', 'two'])
    expect(recording.pops).toBe(0) // python #3852: a retry never rewinds
    expectWholeTurns(await session.getItems())
  })

  it('a tab that closed after its turn was saved but before deleting the record: found, not sent again', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel(['earlier', 'must not be asked'])
    const agent = new Agent({ name: 'A', model })
    const { session, store } = fresh(sessionId)
    await run(agent, 'Same text', { session }) // an earlier identical message
    const record = await store.add({ sessionId, dbName }, [user('Same text')])
    // The dead tab claimed it at history length 2, then its run saved the turn.
    const claimed = await store.claim(record, { owner: 'closed-tab', at: 0, historyLength: 2 })
    expect(claimed).toBeDefined()
    await session.addItems([user('Same text'), { role: 'assistant', content: 'the dead tab got this' }])
    const sent = await retryPending(agent, session, { store })
    expect(sent).toMatchObject([{ alreadySent: true, result: undefined, pending: { id: record.id } }])
    expect(model.requests).toHaveLength(1)
    expect(await store.list({ sessionId, dbName })).toEqual([])
  })

  it('finds an input a closed tab already saved even when the session reads a limited window by default', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel(['a1', 'a2', 'must not be asked'])
    const agent = new Agent({ name: 'A', model })
    const { store } = fresh(sessionId)
    const session = new IndexedDBSession(sessionId, { dbName, settings: { limit: 2 } })
    await run(agent, 'first', { session })
    await run(agent, 'second', { session })
    const record = await store.add({ sessionId, dbName }, [user('third')])
    const claimed = await retryPendingClaimAsDeadTab(store, record, session)
    expect(claimed).toBeDefined()
    await session.addItems([user('third'), { role: 'assistant', content: 'the dead tab got this' }])
    const sent = await retryPending(agent, session, { store })
    expect(sent).toMatchObject([{ alreadySent: true }])
    expect(model.requests).toHaveLength(2)
    expect(userTexts(await session.getItems(Infinity))).toEqual(['first', 'second', 'third'])
  })

  it('a tab that closed mid-send, before anything was saved: sent once, not lost', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel(['earlier', 'now sent'])
    const agent = new Agent({ name: 'A', model })
    const { session, store } = fresh(sessionId)
    await run(agent, 'Same text', { session })
    const record = await store.add({ sessionId, dbName }, [user('Same text')])
    await store.claim(record, { owner: 'closed-tab', at: 0, historyLength: 2 })
    const sent = await retryPending(agent, session, { store })
    expect(sent).toMatchObject([{ alreadySent: false, result: { finalOutput: 'now sent' } }])
    expect(userTexts(await session.getItems())).toEqual(['Same text', 'Same text'])
  })

  it('without Web Locks, leaves a fresh claim of another live tab alone', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel(['not me'])
    const { session, store } = fresh(sessionId)
    const record = await store.add({ sessionId, dbName }, [user('in flight elsewhere')])
    await store.claim(record, { owner: 'live-tab', at: Date.now(), historyLength: 0 })
    expect(await retryPending(new Agent({ name: 'A', model }), session, { store })).toEqual([])
    expect(model.requests).toHaveLength(0)
    expect((await store.get(record.id))?.state).toBe('sending')
  })

  it('a claim succeeds once: the second claimer of the same record state gets nothing', async () => {
    const store = new PendingInputStore({ dbName: pendingDb })
    const record = await store.add({ sessionId: `s${++n}` }, [user('x')])
    const claims = await Promise.all([
      store.claim(record, { owner: 'a', at: 1, historyLength: 0 }),
      store.claim(record, { owner: 'b', at: 1, historyLength: 0 }),
    ])
    expect(claims.filter(Boolean)).toHaveLength(1)
  })

  it('retryPendingWhenOnline retries on `online` and reports failures', async () => {
    const sessionId = `s${++n}`
    const model = new ScriptedModel([offline, offline, 'finally'])
    const agent = new Agent({ name: 'A', model })
    const { session, store } = fresh(sessionId)
    await run(agent, 'queued', { session, pendingInput: store }).catch(() => {})
    const errors: unknown[] = []
    const sentBatches: PendingInput[][] = []
    let heard!: () => void
    const events = new Promise<void>((resolve) => (heard = resolve))
    let settled = 0
    // Node has no window: a stand-in for the `online` event's target.
    const window = new EventTarget()
    vi.stubGlobal('addEventListener', window.addEventListener.bind(window))
    vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window))
    const stop = retryPendingWhenOnline(agent, session, {
      store,
      onError: (error) => (errors.push(error), ++settled === 2 && heard()),
      onSent: (sent) => (sentBatches.push(sent.map((s) => s.pending)), ++settled === 2 && heard()),
    })
    window.dispatchEvent(new Event('online')) // the first (immediate) attempt is offline
    await events
    stop()
    vi.unstubAllGlobals()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(OfflineError)
    expect(sentBatches.map((b) => b.map((p) => p.input))).toEqual([[[user('queued')]]])
    expect(userTexts(await session.getItems())).toEqual(['queued'])
  })
})

/** Claims `record` as a tab would just before sending: at the session's whole history length. */
async function retryPendingClaimAsDeadTab(store: PendingInputStore, record: PendingInput, session: IndexedDBSession) {
  return store.claim(record, { owner: 'closed-tab', at: 0, historyLength: (await session.getItems(Infinity)).length })
}
