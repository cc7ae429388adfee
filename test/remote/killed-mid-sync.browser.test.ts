// A page killed mid-sync (issue 14): the server committed the push, the page was closed
// before the answer arrived. The device's next sync, from another page of the same browser
// (same IndexedDB), stores nothing twice and loses nothing; another device sees it once.
import { commands } from 'vitest/browser'
import { afterEach, expect, inject, it } from 'vitest'
import { RemoteSession, SyncedSession, type AgentItem } from '../../src/index.js'

const url = inject('syncServerUrl')
const opened: SyncedSession[] = []
afterEach(() => {
  for (const session of opened.splice(0)) session.close()
})

it('a push committed by the server whose page was closed before the answer: the next sync sends nothing twice', async () => {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  const target = { url, userId: `killed-${id}`, sessionId: 'chat', dbName: `killed-${id}` }
  const items: AgentItem[] = Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i}` }))

  const tab = await commands.openTab()
  await commands.tabCall(tab, 'syncUntilCommitted', [target, items])
  await expect.poll(() => commands.tabCall(tab, 'pushCommitted', []), { timeout: 10_000 }).toBe(true)
  await commands.closeTab(tab)

  const headers = { authorization: `Bearer ${target.userId}` }
  expect(await new RemoteSession('chat', { url, headers }).getItems()).toEqual(items) // committed once
  const again = new SyncedSession('chat', { url, headers, dbName: target.dbName, live: false })
  opened.push(again)
  expect(await again.pendingOps()).toBeGreaterThan(0) // the page died before it learned the push landed
  await again.sync()
  expect(await again.pendingOps()).toBe(0)
  expect(await again.getItems()).toEqual(items)
  expect(await new RemoteSession('chat', { url, headers }).getItems()).toEqual(items) // still once
  const other = new SyncedSession('chat', { url, headers, dbName: `${target.dbName}-other`, live: false })
  opened.push(other)
  await other.sync()
  expect(await other.getItems()).toEqual(items)
})
