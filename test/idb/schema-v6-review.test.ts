// Adversarial review of schema v6 (docs/schema-v6.md): cases where the stored rows stop
// keeping a rule the design relies on. Node + fake-indexeddb, full quota simulated by
// support/quota-factory.ts as in free-space.test.ts.
import { describe, expect, it, vi } from 'vitest'
import { exportSession, importSession, type AgentItem } from '../../src/index.js'
import { quotaStores } from './support/quota-store.js'
import { itemsOf, rawRows } from './support/raw-rows.js'

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
const call = (id: string): AgentItem => ({ type: 'function_call', call_id: id, name: 'lookup', arguments: '{}' })
const output = (id: string): AgentItem => ({ type: 'function_call_output', call_id: id, output: `result ${id}` })
/** A tool turn: the user message, a call, its output and the answer (one append). */
const toolTurn = (n: number): AgentItem[] => [user(`q${n}`), call(`c${n}`), output(`c${n}`), assistant(`a${n}`)]

const store = quotaStores('v6-review')

/** How many items the row holding `seq` holds. */
async function rowSizeAt(dbName: string, sessionId: string, seq: number): Promise<number | undefined> {
  const row = (await rawRows(dbName, sessionId)).find((r) => seq >= r.seq && seq < r.seq + itemsOf(r).length)
  return row && itemsOf(row).length
}

describe('schema v6: the newest item of an append keeps a row of its own', () => {
  // docs/schema-v6.md: "The newest item of an append gets a row of its own ... so popItem can
  // still free it" at a full quota. Writes that repack rows (writeItems) pack it back in.

  it('baseline: right after an append, popItem at a full quota frees the newest item', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    await chat.addItems(toolTurn(1))
    expect(await rowSizeAt(where.dbName, 'chat', 3)).toBe(1)
    quota.full = true
    quota.roomAfterDelete = true
    expect(await chat.popItem()).toEqual(assistant('a1'))
    expect(await chat.getItems()).toEqual(toolTurn(1).slice(0, 3))
  })

  it('after rewriteItems (items unchanged in meaning), popItem at a full quota still frees the newest item', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    await chat.addItems(toolTurn(1))
    // A rewrite one item for one item, as EncryptedSession's reencryptItems/key rotation does.
    await chat.rewriteItems(async (items) => items.map((item) => ({ ...item })))
    expect(await chat.getItems()).toEqual(toolTurn(1))
    quota.full = true
    quota.roomAfterDelete = true
    // Observed: StorageQuotaError, the rewrite having packed the newest item into the row before it.
    expect(await chat.popItem()).toEqual(assistant('a1'))
    expect(await chat.getItems()).toEqual(toolTurn(1).slice(0, 3))
  })

  it('after exportSession + importSession, popItem at a full quota still frees the newest item', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    await chat.addItems(toolTurn(1))
    const doc = await exportSession('chat', where)
    await importSession(doc, { ...where, sessionId: 'copy' })
    const copy = session('copy')
    expect(await copy.getItems()).toEqual(toolTurn(1))
    quota.full = true
    quota.roomAfterDelete = true
    // Observed: StorageQuotaError, the import having packed the newest item into the row before it.
    expect(await copy.popItem()).toEqual(assistant('a1'))
    expect(await copy.getItems()).toEqual(toolTurn(1).slice(0, 3))
  })
  it('after rewriteItems, clearSession at a full quota still frees a branch whose own items were whole rows', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    vi.useFakeTimers({ toFake: ['Date'] }) // both appends in one millisecond
    vi.setSystemTime(7_000_000)
    try {
      await chat.addItems([user('q1'), assistant('a1'), assistant('a2')])
      // A branch before turn 1: its own item (seq 3) follows main's newest (seq 2) in a row of its own.
      const branch = await chat.createBranchFromTurn(1, 'b')
      await chat.addItems([assistant('x')])
      await chat.rewriteItems(async (items) => items.map((item) => ({ ...item })))
      expect(await chat.getCurrentBranchId()).toBe(branch)
    } finally {
      vi.useRealTimers()
    }
    quota.full = true
    quota.roomAfterDelete = true
    // Observed: StorageQuotaError, the rewrite having packed the branch's own item into main's row.
    await chat.clearSession()
    expect(await chat.getItems()).toEqual([])
    await chat.switchToBranch('main')
    expect(await chat.getItems()).toEqual([user('q1'), assistant('a1'), assistant('a2')])
  })
})

describe('rewriteItems racing the full-quota fallback of popItem', () => {
  // free-space.ts: transaction 1 deletes the freed rows and leaves the record (and its etag)
  // as it was; when transaction 2 is refused, popItem still returns (readers settle the
  // record). rewriteItems checks only the etag before writing back every item it read.

  it('an item popped at a full quota while a rewrite is under way is not written back', async () => {
    const { quota, where, session } = store()
    const chat = session('chat')
    const otherTab = session('chat')
    await chat.addItems(toolTurn(1))
    await chat.rewriteItems(async (items) => {
      quota.full = true // transaction 2 of the pop is refused; the pop still counts (exact)
      expect(await otherTab.popItem()).toEqual(assistant('a1'))
      quota.full = false // room again (something else deleted)
      return items
    })
    expect(await chat.getItems()).toEqual(toolTurn(1).slice(0, 3))
    // Observed: the popped item is stored again at seq 3, packed into row 0, though no branch shows it.
    const stored = (await rawRows(where.dbName, 'chat')).flatMap(itemsOf)
    expect(stored, 'items stored').toEqual(toolTurn(1).slice(0, 3))
  })

  it('after such a rewrite, appends keep working', async () => {
    const { quota, session } = store()
    const chat = session('chat')
    const otherTab = session('chat')
    await chat.addItems(toolTurn(1))
    await chat.rewriteItems(async (items) => {
      quota.full = true
      await otherTab.popItem()
      quota.full = false
      return items
    })
    expect(await chat.popItem()).toEqual(output('c1'))
    // The branch ends at seq 2 again: the next append takes seqs 2 and 3.
    // Observed: the add of the row at seq 3 fails (a row holding the resurrected item is there).
    await chat.addItems([assistant('x'), assistant('y')])
    expect(await chat.getItems()).toEqual([user('q1'), call('c1'), assistant('x'), assistant('y')])
  })
})
