// Many tabs in each engine: real pages of the test page's browser (test/support/tab-commands.ts,
// one driver per engine) beside this test's own page. Change events, the run lock (Web Locks),
// concurrent writes, offline input with a closed tab and the `online` event, and schema upgrades.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest'
import { commands } from 'vitest/browser'
import type { AgentItem } from '../../src/items/types.js'
import { Agent } from '../../src/runner/agent.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { OpenAIProvider } from '../../src/openai/provider.js'
import { Runner } from '../../src/runner/runner.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import type { SessionChange } from '../../src/idb/changes.js'
import { PendingInputStore } from '../../src/idb/pending-input.js'
import { isRunLocked, runLockMode } from '../../src/sync/run-lock.js'
import { onStorageUpgradeNeeded, type StorageUpgradeEvent } from '../../src/idb/database-events.js'
import { createServerScript } from '../../src/testing/api-server/client.js'
import type { ScriptedTurn } from '../../src/testing/script.js'
import { expectWholeTurns, userTexts } from '../runner/helpers.js'
import { capabilities, lacks } from '../support/capabilities.js'
import type { TabTarget } from './fixtures/tab.js'

const serverUrl = inject('apiServerUrl')
const dbName = `tabs-${crypto.randomUUID()}`
const pendingDb = `tabs-pending-${crypto.randomUUID()}`

const open: string[] = []
async function openTab(): Promise<string> {
  const id = await commands.openTab()
  open.push(id)
  return id
}
async function closeTab(id: string): Promise<void> {
  open.splice(open.indexOf(id), 1)
  await commands.closeTab(id)
}
afterEach(async () => {
  for (const id of open.splice(0)) await commands.closeTab(id)
})
afterAll(async () => {
  for (const name of [dbName, pendingDb]) {
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(name)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    })
  }
})

let n = 0
async function target(turns: ScriptedTurn[] = []): Promise<TabTarget & { script: Awaited<ReturnType<typeof createServerScript>> }> {
  const script = await createServerScript(serverUrl, turns)
  return { dbName, pendingDb, sessionId: `tabs_${++n}`, baseURL: script.baseURL, script }
}
const call = <T>(tab: string, method: string, ...args: unknown[]) => commands.tabCall(tab, method, args) as Promise<T>
const plain = ({ dbName, sessionId, pendingDb, baseURL }: TabTarget): TabTarget => ({ dbName, sessionId, pendingDb, baseURL })
const runnerFor = (baseURL: string) =>
  new Runner({ modelProvider: new OpenAIProvider({ client: createOpenAIClient({ baseURL, maxRetries: 0 }) }) })

/** Resolves with the first value `listen` hands its callback, or rejects after `ms`. */
function first<T>(listen: (callback: (value: T) => void) => () => void, ms = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error(`nothing heard within ${ms} ms`))), ms)
    const stop = listen((value) => {
      clearTimeout(timer)
      stop()
      resolve(value)
    })
  })
}

describe('two tabs', () => {
  it('uses Web Locks here', () => {
    expect(runLockMode()).toBe('web-locks')
  })

  it("a write in one tab is heard by the other tab's subscriber", async () => {
    const t = await target()
    const tab = await openTab()
    const session = new IndexedDBSession(t.sessionId, { dbName })
    const heard = first<SessionChange>((callback) => session.subscribe(callback))
    await call(tab, 'add', plain(t), [{ role: 'user', content: 'from the other tab' }])
    expect(await heard).toEqual({ dbName, sessionId: t.sessionId, kind: 'add' })
    expect(userTexts(await session.getItems())).toEqual(['from the other tab'])
  })

  it('both tabs send at once: two whole turns, one after the other', async () => {
    const turns: ScriptedTurn[] = [{ toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }] }, 'Done.']
    const t = await target(turns)
    const mine = await createServerScript(serverUrl, turns)
    const tab = await openTab()
    await commands.tabStart(tab, 'send', 'run', [plain(t), 'from tab'])
    const here = await runnerFor(mine.baseURL).run(new Agent({ name: 'A' }), 'from page', {
      session: new IndexedDBSession(t.sessionId, { dbName }),
    })
    expect(here.finalOutput).toBe('Done.')
    expect(await commands.tabResult(tab, 'send')).toMatchObject({ ok: true, value: { ok: true, output: 'Done.' } })
    const items = await new IndexedDBSession(t.sessionId, { dbName }).getItems()
    expectWholeTurns(items)
    expect(items.map((i) => i.role ?? i.type)).toEqual([
      'user', 'function_call', 'function_call_output', 'assistant',
      'user', 'function_call', 'function_call_output', 'assistant',
    ])
    // Whoever went second saw the first whole turn in its first request.
    const firstRequests = [(await t.script.requests())[0]!, (await mine.requests())[0]!]
    const inputs = firstRequests.map((r) => (r.body as { input: AgentItem[] }).input)
    const [earlier, later] = inputs[0]!.length < inputs[1]!.length ? inputs : [inputs[1]!, inputs[0]!]
    expect(earlier).toHaveLength(1)
    expect(later).toHaveLength(5) // the other's user, call, output and answer, then its own input
    expectWholeTurns(later!)
    expect(userTexts(later!)).toEqual(userTexts(items))
  })

  it('2 tabs × 100 concurrent adds lose and duplicate nothing', async () => {
    const t = await target()
    const tab = await openTab()
    const session = new IndexedDBSession(t.sessionId, { dbName })
    await Promise.all([
      commands.tabCall(tab, 'addConcurrently', [plain(t), 'tab-', 100]),
      Promise.all(Array.from({ length: 100 }, (_, i) => session.addItems([{ role: 'user', content: `page-${i}` }]))),
    ])
    const texts = userTexts(await session.getItems())
    expect(texts).toHaveLength(200)
    const expected = [...Array.from({ length: 100 }, (_, i) => `tab-${i}`), ...Array.from({ length: 100 }, (_, i) => `page-${i}`)]
    expect([...texts].sort()).toEqual(expected.sort())
  })

  it('closing a tab while it holds the run lock frees it', async () => {
    const t = await target([{ text: 'this answer never finishes', stream: { stallAfter: 1 } }])
    const mine = await createServerScript(serverUrl, ['Mine.'])
    const tab = await openTab()
    await call(tab, 'startStalledRun', plain(t))
    await expect.poll(() => isRunLocked(t.sessionId)).toBe(true) // the tab's run holds it
    const session = new IndexedDBSession(t.sessionId, { dbName })
    let finished = false
    const waiting = runnerFor(mine.baseURL)
      .run(new Agent({ name: 'A' }), 'after the tab', { session })
      .finally(() => (finished = true))
    // The page's run waits for the lock: its model was not asked yet.
    expect(await mine.requests()).toEqual([])
    expect(finished).toBe(false)
    await closeTab(tab)
    expect((await waiting).finalOutput).toBe('Mine.')
    expect(userTexts(await session.getItems())).toEqual(['after the tab']) // the stalled turn saved nothing
    expect(await isRunLocked(t.sessionId)).toBe(false)
  })

  it('an abort releases the held lock', async () => {
    const t = await target([{ text: 'stalls', stream: { stallAfter: 1 } }])
    const controller = new AbortController()
    const session = new IndexedDBSession(t.sessionId, { dbName })
    const stream = await runnerFor(t.baseURL).run(new Agent({ name: 'A' }), 'abort me', { session, stream: true, signal: controller.signal })
    const consumed = (async () => {
      for await (const _ of stream) void _
    })()
    await expect.poll(() => isRunLocked(t.sessionId)).toBe(true)
    controller.abort()
    await expect(consumed).rejects.toMatchObject({ name: 'AbortError' })
    expect(await isRunLocked(t.sessionId)).toBe(false)
  })
})

describe('offline tab', () => {
  it('offline send, tab closed, a new tab goes online: the message is sent once and the history is whole', async ({ skip }) => {
    skip(!capabilities.tabOffline, lacks('tabOffline'))
    const t = await target(['Got your message.'])
    const tab = await openTab()
    await commands.setTabOffline(tab, true)
    expect(await call(tab, 'online')).toBe(false)
    expect(await call(tab, 'run', plain(t), 'Written on the train')).toMatchObject({ ok: false, name: 'PendingInputKeptError' })
    expect(await t.script.requests()).toEqual([]) // failed fast, before any request
    expect(await call(tab, 'items', plain(t))).toEqual([])
    await closeTab(tab) // the reload: this page is gone, the input is on disk

    const reopened = await openTab()
    expect(await call<unknown[]>(reopened, 'pending', plain(t))).toHaveLength(1)
    await commands.setTabOffline(reopened, true)
    await commands.tabStart(reopened, 'retry', 'retryWhenOnline', [plain(t)]) // nothing to do while offline
    await commands.setTabOffline(reopened, false) // `online` fires
    expect(await commands.tabResult(reopened, 'retry')).toEqual({ ok: true, value: { ok: true, sent: ['Got your message.'] } })

    const requests = await t.script.requests()
    expect(requests).toHaveLength(1)
    expect(userTexts((requests[0]!.body as { input: AgentItem[] }).input)).toEqual(['Written on the train'])
    const items = await new IndexedDBSession(t.sessionId, { dbName }).getItems()
    expect(userTexts(items)).toEqual(['Written on the train'])
    expect(items).toHaveLength(2)
    expect(await new PendingInputStore({ dbName: pendingDb }).list({ sessionId: t.sessionId, dbName })).toEqual([])
  })

  it('two tabs retrying the same pending input at once send it once', async () => {
    const t = await target(['Once.', 'Twice would be a bug.'])
    const store = new PendingInputStore({ dbName: pendingDb })
    await store.add({ sessionId: t.sessionId, dbName }, [{ role: 'user', content: 'only once please' }])
    const [a, b] = [await openTab(), await openTab()]
    await commands.tabStart(a, 'r', 'retry', [plain(t)])
    await commands.tabStart(b, 'r', 'retry', [plain(t)])
    const results = [await commands.tabResult(a, 'r'), await commands.tabResult(b, 'r')]
    expect(results.map((r) => (r.ok ? (r.value as unknown[]).length : r.error)).sort()).toEqual([0, 1])
    expect(await t.script.requests()).toHaveLength(1)
    expect(userTexts(await new IndexedDBSession(t.sessionId, { dbName }).getItems())).toEqual(['only once please'])
  })
})

describe('schema upgrade from another tab', () => {
  it('closes this tab\'s connection so the upgrade goes through, and tells the app to reload', async () => {
    const upgradeDb = `tabs-upgrade-${crypto.randomUUID()}`
    const session = new IndexedDBSession('s', { dbName: upgradeDb })
    await session.addItems([{ role: 'user', content: 'before the upgrade' }])
    const tab = await openTab()
    const heard = first<StorageUpgradeEvent>((callback) => onStorageUpgradeNeeded(callback))
    expect(await call(tab, 'openAtVersion', upgradeDb, 1000)).toBe('opened')
    expect(await heard).toMatchObject({ dbName: upgradeDb, newVersion: 1000 })
    // This page's code is now older than the database: a clear error, not a hang.
    await expect(session.getItems()).rejects.toThrow(/newer version of idb-agents/)
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(upgradeDb)
      request.onsuccess = request.onerror = () => resolve()
    })
  })
})
