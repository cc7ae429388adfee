import { describe, expect, it } from 'vitest'
import { HistoryOperationConflictError, HistorySuffixMismatchError, InvalidArgumentError, InvalidItemError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type {
  BranchingSession,
  CompactionReplaceableSession,
  SessionHistoryRewriteAwareSession,
  SessionHistoryTransactionArgs,
  SessionHistoryTransactionAwareSession,
} from '../../session/capabilities.js'
import { assistant, texts, turn, uniqueSessionId, user } from './fixtures.js'

/** What the history-transaction suite needs: `@openai/agents`' history capabilities and branches. */
export type HistoryTransactionSession = SessionHistoryTransactionAwareSession<AgentItem> &
  SessionHistoryRewriteAwareSession<AgentItem> &
  CompactionReplaceableSession<AgentItem> &
  BranchingSession<AgentItem>

/**
 * Opens a session for one test. Called again with the same id, it must return a session
 * on the same stored history (another object over the same database, or the same object).
 */
export type HistoryTransactionSessionFactory = (sessionId: string) => HistoryTransactionSession | Promise<HistoryTransactionSession>

const append = (operationId: string, items: AgentItem[]): SessionHistoryTransactionArgs => ({ operationId, transaction: { type: 'append_items', items } })
const replace = (operationId: string, expectedSuffix: AgentItem[], replacement: AgentItem[]): SessionHistoryTransactionArgs => ({
  operationId,
  transaction: { type: 'replace_suffix', expectedSuffix, replacement },
})
const rejection = (work: Promise<unknown>) => work.then(() => undefined, (error: unknown) => error)

/**
 * Registers a vitest suite that checks `@openai/agents`' history capabilities on a session:
 * `applyHistoryTransaction` (`append_items`, `replace_suffix`) atomic and idempotent per
 * operation id, with typed errors that change nothing; `applyHistoryMutations`
 * (`replace_function_call`); `replaceHistoryWithCompaction`.
 */
export function describeHistoryTransactions(name: string, open: HistoryTransactionSessionFactory): void {
  describe(`${name}: history transactions (@openai/agents)`, () => {
    it('append_items applies once per operation id: a retry, from another session object and with keys in another order, is a no-op', async () => {
      const id = uniqueSessionId('tx-append')
      const session = await open(id)
      await session.addItems(turn(1))
      await session.applyHistoryTransaction(append('op-1', turn(2)))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2'])
      await session.applyHistoryTransaction(append('op-1', turn(2)))
      const reordered = { transaction: { items: turn(2).map((item) => Object.fromEntries(Object.entries(item).reverse())) as AgentItem[], type: 'append_items' as const }, operationId: 'op-1' }
      const again = await open(id)
      await again.applyHistoryTransaction(reordered)
      expect(texts(await again.getItems())).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2'])
      expect((await again.getTurns()).length).toBe(2)
    })

    it('the same operation id with another transaction is a HistoryOperationConflictError, nothing changed', async () => {
      const session = await open(uniqueSessionId('tx-conflict'))
      await session.applyHistoryTransaction(append('op-1', turn(1)))
      for (const other of [append('op-1', turn(2)), replace('op-1', [assistant('answer 1')], [assistant('other')]), append('op-1', [])]) {
        const error = await rejection(session.applyHistoryTransaction(other))
        expect(error).toBeInstanceOf(HistoryOperationConflictError)
        expect(error).toMatchObject({ code: 'history_operation_conflict', operationId: 'op-1' })
      }
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1'])
    })

    it('replace_suffix replaces the newest items when they are the expected ones', async () => {
      const session = await open(uniqueSessionId('tx-replace'))
      await session.addItems([...turn(1), user('question 2'), assistant('draft')])
      await session.applyHistoryTransaction(replace('op-r', [assistant('draft')], [assistant('final'), assistant('and more')]))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2', 'final', 'and more'])
      await session.applyHistoryTransaction(replace('op-r', [assistant('draft')], [assistant('final'), assistant('and more')])) // retried: a no-op
      expect(await session.getItems()).toHaveLength(5)
      // A suffix that reaches back over a turn boundary renumbers turns.
      await session.applyHistoryTransaction(replace('op-r2', [user('question 2'), assistant('final'), assistant('and more')], turn('2b')))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2b', 'answer 2b'])
      expect((await session.getTurns()).map((info) => info.userText)).toEqual(['question 1', 'question 2b'])
      // An empty expected suffix appends; an empty replacement removes.
      await session.applyHistoryTransaction(replace('op-r3', [], [assistant('tail')]))
      await session.applyHistoryTransaction(replace('op-r4', [assistant('tail')], []))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2b', 'answer 2b'])
    })

    it('a suffix that does not match is a HistorySuffixMismatchError: nothing changed, the operation id not recorded', async () => {
      const session = await open(uniqueSessionId('tx-mismatch'))
      await session.addItems(turn(1))
      const before = await session.getItems()
      for (const expected of [[assistant('not stored')], [user('question 1')], [user('x'), ...turn(1)]]) {
        const error = await rejection(session.applyHistoryTransaction(replace('op-m', expected, [assistant('replacement')])))
        expect(error).toBeInstanceOf(HistorySuffixMismatchError)
        expect(error).toMatchObject({ code: 'history_suffix_mismatch', actualLength: 2 })
      }
      expect(await session.getItems()).toEqual(before)
      // The failed attempts recorded nothing: the id is still free for a matching transaction.
      await session.applyHistoryTransaction(replace('op-m', [assistant('answer 1')], [assistant('fixed')]))
      expect(texts(await session.getItems())).toEqual(['question 1', 'fixed'])
    })

    it('refuses bad arguments with a typed error, changing nothing and recording nothing', async () => {
      const session = await open(uniqueSessionId('tx-bad'))
      await session.addItems(turn(1))
      const before = await session.getItems()
      const bad: Array<[unknown, unknown]> = [
        [{ operationId: '', transaction: { type: 'append_items', items: [] } }, InvalidArgumentError],
        [{ operationId: '  ', transaction: { type: 'append_items', items: [] } }, InvalidArgumentError],
        [{ operationId: 7, transaction: { type: 'append_items', items: [] } }, InvalidArgumentError],
        [{ operationId: 'op-b', transaction: { type: 'delete_all' } }, InvalidArgumentError],
        [{ operationId: 'op-b', transaction: { type: 'append_items', items: [], extra: 1 } }, InvalidArgumentError],
        [{ operationId: 'op-b', transaction: { type: 'replace_suffix', replacement: [] } }, InvalidArgumentError],
        [{ operationId: 'op-b', transaction: { type: 'append_items', items: 'no' } }, InvalidArgumentError],
        [{ operationId: 'op-b', transaction: null }, InvalidArgumentError],
        [null, InvalidArgumentError],
        [{ operationId: 'op-b', transaction: { type: 'append_items', items: [user('ok'), { type: 'note', at: new Date() }] } }, InvalidItemError],
      ]
      for (const [args, type] of bad) {
        await expect(session.applyHistoryTransaction(args as SessionHistoryTransactionArgs), JSON.stringify(args) ?? String(args)).rejects.toBeInstanceOf(type)
      }
      expect(await session.getItems()).toEqual(before)
      await session.applyHistoryTransaction(append('op-b', [user('now it applies')]))
      expect(await session.getItems()).toHaveLength(3)
    })

    it('keeps operation ids through popItem; clearSession forgets those of the branch it empties', async () => {
      const session = await open(uniqueSessionId('tx-clear'))
      await session.applyHistoryTransaction(append('op-c', turn(1)))
      await session.popItem()
      await session.applyHistoryTransaction(append('op-c', turn(1))) // still applied: a no-op
      expect(texts(await session.getItems())).toEqual(['question 1'])
      await session.clearSession()
      await session.applyHistoryTransaction(append('op-c', turn(1)))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1'])
    })

    it('applies on the current branch; deleting a branch forgets its operation ids, other branches keep theirs', async () => {
      const session = await open(uniqueSessionId('tx-branch'))
      await session.addItems([...turn(1), ...turn(2)])
      await session.applyHistoryTransaction(append('op-main', turn(3)))
      const branchId = await session.createBranchFromTurn(2)
      await session.applyHistoryTransaction(append('op-branch', turn('2b')))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2b', 'answer 2b'])
      await session.applyHistoryTransaction(append('op-main', turn(3))) // applied on main already: a no-op here too
      expect(await session.getItems()).toHaveLength(4)
      await session.switchToBranch('main')
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2', 'question 3', 'answer 3'])
      await session.deleteBranch(branchId)
      await session.applyHistoryTransaction(append('op-branch', [assistant('on main now')]))
      await session.applyHistoryTransaction(append('op-main', turn(3)))
      expect(texts(await session.getItems(2))).toEqual(['answer 3', 'on main now'])
    })

    it('of two session objects applying one operation at once, it lands exactly once', async () => {
      const id = uniqueSessionId('tx-race')
      const [first, second] = [await open(id), await open(id)]
      await first.addItems(turn(1))
      await Promise.all([first.applyHistoryTransaction(append('op-x', turn(2))), second.applyHistoryTransaction(append('op-x', turn(2)))])
      expect(texts(await first.getItems())).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2'])
    })

    it('applyHistoryMutations replaces a function call (SDK callId or wire call_id), drops its repeats, and refuses bad mutations', async () => {
      const session = await open(uniqueSessionId('tx-mutations'))
      const sdkCall = { type: 'function_call', callId: 'c1', name: 'lookup', arguments: '{"q":1}' } as AgentItem
      const wireCall = { type: 'function_call', call_id: 'c2', name: 'lookup', arguments: '{}' } as AgentItem
      await session.addItems([user('q'), sdkCall, { type: 'function_call_result', callId: 'c1', output: 'r' } as AgentItem, sdkCall, wireCall, assistant('a')])
      const fixed = { type: 'function_call', callId: 'c1', name: 'lookup', arguments: '{"q":2}' } as AgentItem
      await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'c1', replacement: fixed }] })
      let items = await session.getItems()
      expect(items).toHaveLength(5)
      expect(items[1]).toEqual(fixed)
      expect(items[3]).toEqual(wireCall)
      const wireFixed = { ...wireCall, arguments: '{"x":1}' } as AgentItem
      await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'c2', replacement: wireFixed }] })
      await session.applyHistoryMutations({ mutations: [{ type: 'replace_function_call', callId: 'unknown', replacement: wireFixed }] })
      items = await session.getItems()
      expect(items[3]).toEqual(wireFixed)
      expect(items).toHaveLength(5)
      for (const bad of [{ mutations: [{ type: 'drop', callId: 'c1' }] }, { mutations: [{ type: 'replace_function_call', callId: 'c1', replacement: user('not a call') }] }, {}]) {
        await expect(session.applyHistoryMutations(bad as never)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      expect(await session.getItems()).toEqual(items)
    })

    it('replaceHistoryWithCompaction replaces the history with a compaction item and what follows; anything else is refused', async () => {
      const session = await open(uniqueSessionId('tx-compaction'))
      await session.addItems([...turn(1), ...turn(2)])
      const before = await session.getItems()
      await expect(session.replaceHistoryWithCompaction([])).rejects.toBeInstanceOf(InvalidArgumentError)
      await expect(session.replaceHistoryWithCompaction(turn(3))).rejects.toBeInstanceOf(InvalidArgumentError)
      expect(await session.getItems()).toEqual(before)
      const compacted = [{ type: 'compaction', encrypted_content: 'opaque' } as AgentItem, ...turn(2)]
      await session.replaceHistoryWithCompaction(compacted)
      expect(await session.getItems()).toEqual(compacted)
      await session.addItems(turn(3))
      expect(await session.getItems()).toHaveLength(5)
    })
  })
}
