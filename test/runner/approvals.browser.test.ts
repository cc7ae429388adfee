// Human in the loop across reloads, in each engine: a run waits for the approval of
// delete_note, the tab is reloaded, the question is read back from IndexedDB, approved, and
// the run finishes; two tabs approving at once resume it once. Plain and encrypted sessions.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest'
import { commands } from 'vitest/browser'
import { createServerScript } from '../../src/testing/api-server/client.js'
import type { AgentItem } from '../../src/items/types.js'
import type { TabTarget } from '../sync/fixtures/tab.js'
import { expectWholeTurns } from './helpers.js'

const serverUrl = inject('apiServerUrl')
const dbName = `approvals-${crypto.randomUUID()}`

const open: string[] = []
async function openTab(): Promise<string> {
  const id = await commands.openTab()
  open.push(id)
  return id
}
afterEach(async () => {
  for (const id of open.splice(0)) await commands.closeTab(id)
})
afterAll(async () => {
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(dbName)
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
})

const call = <T>(tab: string, method: string, ...args: unknown[]) => commands.tabCall(tab, method, args) as Promise<T>
let n = 0
async function target(): Promise<{ t: TabTarget; requests: () => Promise<unknown[]> }> {
  const script = await createServerScript(serverUrl, [
    { toolCalls: [{ name: 'delete_note', arguments: { title: 'groceries' }, callId: 'call_del' }] },
    "I deleted your 'groceries' note.",
    'A second resume would be a bug.',
  ])
  const t = { dbName, sessionId: `approvals_${++n}`, pendingDb: `${dbName}-pending`, baseURL: script.baseURL }
  return { t, requests: () => script.requests() }
}

describe.each([false, true])('a pending approval survives a reload (encrypted: %s)', (encrypted) => {
  it('asks, is reloaded, still asks, and finishes once approved', async () => {
    const { t, requests } = await target()
    const tab = await openTab()
    const asked = await call(tab, 'runNeedingApproval', t, 'Delete my groceries note', encrypted)
    expect(asked).toEqual([{ toolName: 'delete_note', arguments: '{"title":"groceries"}' }])
    expect(await call(tab, 'approvalItems', t, encrypted)).toEqual([]) // no orphan call stored

    await commands.reloadTab(tab)
    expect(await call(tab, 'waitingApprovals', t, encrypted)).toEqual(asked)
    expect(await call(tab, 'approveAndResume', t, encrypted)).toEqual({ ok: true, output: "I deleted your 'groceries' note." })

    const items = await call<AgentItem[]>(tab, 'approvalItems', t, encrypted)
    expectWholeTurns(items)
    expect(items.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output', 'message'])
    expect(items[2]!.output).toBe("Deleted note 'groceries'")
    expect(await call(tab, 'waitingApprovals', t, encrypted)).toEqual([])
    expect(await requests()).toHaveLength(2)
  })

  it('two tabs approving at once resume it once; the other is told it is stale', async () => {
    const { t, requests } = await target()
    const first = await openTab()
    await call(first, 'runNeedingApproval', t, 'Delete my groceries note', encrypted)
    const second = await openTab()
    await commands.tabStart(first, 'a', 'approveAndResume', [t, encrypted])
    await commands.tabStart(second, 'b', 'approveAndResume', [t, encrypted])
    const outcomes = [await commands.tabResult(first, 'a'), await commands.tabResult(second, 'b')].map((r) => (r.ok ? r.value : r))
    const succeeded = outcomes.filter((o) => (o as { ok: boolean }).ok)
    const refused = outcomes.filter((o) => !(o as { ok: boolean }).ok)
    expect(succeeded).toEqual([{ ok: true, output: "I deleted your 'groceries' note." }])
    expect(refused).toHaveLength(1)
    expect((refused[0] as { name: string }).name).toMatch(/StaleRunStateError|NothingPending/)
    const items = await call<AgentItem[]>(first, 'approvalItems', t, encrypted)
    expect(items.filter((i) => i.type === 'function_call_output')).toHaveLength(1)
    expect(await requests()).toHaveLength(2)
  })
})
