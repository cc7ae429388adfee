// `@openai/agents`' history transactions (`applyHistoryTransaction`: append_items and
// replace_suffix, idempotent per operation id) as the JavaScript Agents SDK's own
// MemorySession tests pin them down, ported to every session kind here that offers them.
// What those tests check of the SDK's logger, SharedArrayBuffer and typed-array copies has
// no counterpart: items here are plain JSON.
import { describe, expect, it } from 'vitest'
import {
  HistoryOperationConflictError,
  HistorySuffixMismatchError,
  InvalidArgumentError,
  InvalidItemError,
  isSessionHistoryTransactionAwareSession,
  type AgentItem,
  type SessionHistoryTransactionArgs,
  type SessionHistoryTransactionAwareSession,
} from '../../src/index.js'
import { historyKinds } from './support/kinds.js'
import { storedTexts, user } from './support/items.js'

const append = (operationId: string, items: AgentItem[]): SessionHistoryTransactionArgs => ({ operationId, transaction: { type: 'append_items', items } })
const replace = (operationId: string, expectedSuffix: AgentItem[], replacement: AgentItem[]): SessionHistoryTransactionArgs => ({
  operationId,
  transaction: { type: 'replace_suffix', expectedSuffix, replacement },
})
/** A user message in the SDK's shape: content as `input_text` parts. */
const message = (text: string): AgentItem => ({ role: 'user', content: [{ type: 'input_text', text }] })
const rejection = (work: Promise<unknown>) => work.then(() => undefined, (error: unknown) => error)

for (const kind of historyKinds) {
  describe(`${kind.name}: history transactions (ported)`, () => {
    async function make(...items: AgentItem[]): Promise<SessionHistoryTransactionAwareSession> {
      const session = kind.make()
      if (!isSessionHistoryTransactionAwareSession(session)) throw new Error(`${kind.name} has no applyHistoryTransaction`)
      if (items.length > 0) await session.addItems(items)
      return session
    }

    // js packages/agents-core/test/memorySession.test.ts: 'applies append transactions idempotently'
    it('keeps an applied append as it was given, and a retry after later writes is still a no-op', async () => {
      const session = await make(message('start'))
      const appended = message('committed')
      await session.applyHistoryTransaction(append('operation-append-1', [appended]))
      appended.content = 'mutated'
      await session.addItems([message('later')])
      await session.applyHistoryTransaction(append('operation-append-1', [message('committed')]))
      expect(await storedTexts(session)).toEqual(['start', 'committed', 'later'])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'replaces an exact history suffix idempotently'
    it('a retried replace_suffix is a no-op even when its expected suffix is no longer the newest', async () => {
      const session = await make(message('start'), message('blocked'))
      const transaction = replace('operation-replace-1', [message('blocked')], [message('accepted')])
      await session.applyHistoryTransaction(transaction)
      await session.addItems([message('later')])
      await session.applyHistoryTransaction(transaction)
      expect(await storedTexts(session)).toEqual(['start', 'accepted', 'later'])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'rejects a suffix mismatch without recording the operation'
    it('a mismatched suffix records no operation: the same id then replaces the whole history', async () => {
      const session = await make(message('start'))
      const error = await rejection(session.applyHistoryTransaction(replace('operation-replace-after-conflict', [message('different')], [message('accepted')])))
      expect(error).toBeInstanceOf(HistorySuffixMismatchError)
      expect(await storedTexts(session)).toEqual(['start'])
      await session.applyHistoryTransaction(replace('operation-replace-after-conflict', [message('start')], [message('accepted')]))
      expect(await storedTexts(session)).toEqual(['accepted'])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'records an empty append transaction'
    it('records an empty append: the same id with items afterwards is a conflict', async () => {
      const session = await make()
      await session.applyHistoryTransaction(append('operation-empty', []))
      const error = await rejection(session.applyHistoryTransaction(append('operation-empty', [message('unexpected')])))
      expect(error).toBeInstanceOf(HistoryOperationConflictError)
      expect(await session.getItems()).toEqual([])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'rejects invalid transaction input before mutation'
    // js packages/agents-core/test/memorySession.test.ts: 'rejects unsupported transaction metadata before mutation'
    it('refuses items that are not JSON objects (a number, a cycle, a BigInt, a hole) and records nothing', async () => {
      const session = await make(message('start'))
      const cycle: Record<string, unknown> = {}
      cycle.self = cycle
      const bad: Array<[string, unknown[]]> = [
        ['operation-number', [42]],
        ['operation-cycle', [{ ...message('cyclic'), providerData: cycle }]],
        ['operation-bigint', [{ ...message('bigint'), providerData: { value: 42n } }]],
        ['operation-sparse', new Array(1)],
        ['operation-sparse-tail', [message('first'), , message('third')]],
      ]
      for (const [operationId, items] of bad) {
        const error = await rejection(session.applyHistoryTransaction(append(operationId, items as AgentItem[])))
        expect(error, operationId).toBeInstanceOf(InvalidItemError)
      }
      expect(await storedTexts(session)).toEqual(['start'])
      // Nothing was recorded: every id is still free.
      for (const [operationId] of bad) await session.applyHistoryTransaction(append(operationId, [message(operationId)]))
      expect(await session.getItems()).toHaveLength(1 + bad.length)
    })

    // js packages/agents-core/test/memorySession.test.ts: 'rejects unexpected transaction fields before mutation'
    it('refuses unknown fields on either transaction type, and the id stays free', async () => {
      const session = await make(message('start'))
      const unexpected = [
        { operationId: 'operation-unexpected-append-field', transaction: { type: 'append_items', items: [message('unsupported')], metadata: { attempt: 1 } } },
        { operationId: 'operation-unexpected-suffix-field', transaction: { type: 'replace_suffix', expectedSuffix: [message('start')], replacement: [message('unsupported')], metadata: { attempt: 1 } } },
      ]
      for (const args of unexpected) {
        await expect(session.applyHistoryTransaction(args as SessionHistoryTransactionArgs)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      expect(await storedTexts(session)).toEqual(['start'])
      await session.applyHistoryTransaction(append('operation-unexpected-append-field', [message('retry')]))
      await session.applyHistoryTransaction(append('operation-unexpected-suffix-field', [message('again')]))
      expect(await storedTexts(session)).toEqual(['start', 'retry', 'again'])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'does not expose transaction content in snapshot errors'
    it('names no content of a refused item in the error message', async () => {
      const session = await make()
      const item = { ...message('unsupported'), providerData: { secret: Symbol('api-key-secret') } }
      const error = await rejection(session.applyHistoryTransaction(append('operation-sensitive-invalid', [item as unknown as AgentItem])))
      expect(error).toBeInstanceOf(InvalidItemError)
      expect((error as Error).message).not.toContain('api-key-secret')
      expect(await session.getItems()).toEqual([])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'canonicalizes ordinary object prototypes for retries and suffixes'
    it('matches an item with a null-prototype object to its stored copy, for a retry and as an expected suffix', async () => {
      const session = await make()
      const appended = { ...message('canonical'), providerData: Object.assign(Object.create(null) as Record<string, unknown>, { source: 'provider' }) }
      await session.applyHistoryTransaction(append('operation-canonical-append', [appended as AgentItem]))
      const [roundTripped] = await session.getItems()
      await session.applyHistoryTransaction(append('operation-canonical-append', [roundTripped!]))
      await session.applyHistoryTransaction(replace('operation-canonical-replace', [appended as AgentItem], [message('replaced')]))
      expect(await storedTexts(session)).toEqual(['replaced'])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'rejects unsupported cloned values without recording the operation' (typed array)
    it('refuses a typed array inside an item, recording nothing', async () => {
      const session = await make()
      const item = { ...message('unsupported-typed-array'), providerData: { values: new Uint16Array([300]) } }
      await expect(session.applyHistoryTransaction(append('operation-rejected-clone', [item as unknown as AgentItem]))).rejects.toBeInstanceOf(InvalidItemError)
      await session.applyHistoryTransaction(append('operation-rejected-clone', [message('accepted-after-rejections')]))
      expect(await storedTexts(session)).toEqual(['accepted-after-rejections'])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'rejects non-enumerable metadata before mutation'
    // (we keep only what JSON keeps: a non-enumerable property is not part of the item, so it
    // is stored without it rather than refused, as JSON.stringify would send it)
    it('stores an item with a non-enumerable property as JSON would send it', async () => {
      const session = await make(message('start'))
      const item = message('hidden metadata')
      Object.defineProperty(item, 'providerData', { enumerable: false, value: { hidden: true } })
      await session.applyHistoryTransaction(append('operation-non-enumerable', [item]))
      expect(await session.getItems()).toEqual([message('start'), message('hidden metadata')])
    })

    // js packages/agents-core/test/memorySession.test.ts: 'reads the transaction envelope once and redacts accessor errors' (read once)
    it('reads the operation id once, so a getter that changes its answer cannot split one transaction', async () => {
      const session = await make()
      let reads = 0
      const args = { transaction: { type: 'append_items', items: [message('once')] } } as unknown as SessionHistoryTransactionArgs
      Object.defineProperty(args, 'operationId', {
        enumerable: true,
        get: () => (++reads === 1 ? 'operation-read-once' : `changed-${reads}`),
      })
      await session.applyHistoryTransaction(args)
      expect(reads).toBe(1)
      await session.applyHistoryTransaction(append('operation-read-once', [message('once')]))
      expect(await storedTexts(session)).toEqual(['once'])
    })
  })
}
