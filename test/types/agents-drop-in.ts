// Compiled (never run) by test/package/types.test.ts against @openai/agents' own types: our
// sessions are a drop-in `session` for the SDK's runner, with no type argument.
import { Agent, run, type Session as AgentsSession } from '@openai/agents'
import { EncryptedSession, IndexedDBSession, MemorySession } from 'idb-agents'

const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.' })

export async function dropIn(key: CryptoKey): Promise<void> {
  await run(agent, 'Hello', { session: new IndexedDBSession('user_123') })
  await run(agent, 'Hello', { session: new IndexedDBSession('user_123', { dbName: 'conversations' }) })
  await run(agent, 'Hello', { session: new MemorySession() })
  await run(agent, 'Hello', { session: new EncryptedSession(new IndexedDBSession('user_123'), { key }) })
  const session: AgentsSession = new IndexedDBSession('user_456')
  await session.addItems([{ role: 'user', content: 'Hi' }])
}

// The Python SDK's Sessions guide declares the session first, then passes it: no type argument.
export async function declaredFirst(key: CryptoKey): Promise<void> {
  const session = new IndexedDBSession('conversation_001')
  await run(agent, 'My favorite color is blue.', { session })
  const memory = new MemorySession()
  await run(agent, 'Hi', { session: memory })
  const encrypted = new EncryptedSession(new IndexedDBSession('secret'), { key })
  await run(agent, 'Hi', { session: encrypted })
  // Our own reads still see our item type.
  const items = await session.getItems()
  items[0]?.type satisfies string | undefined
}

// @openai/agents' optional capabilities: the SDK's own guards accept our sessions, and
// their methods are what the SDK calls, with the SDK's own argument types.
import {
  isSessionHistoryRewriteAwareSession as sdkIsRewriteAware,
  isSessionHistoryTransactionAwareSession as sdkIsTransactionAware,
  type SessionHistoryRewriteAwareSession as SdkRewriteAware,
  type SessionHistoryTransactionArgs as SdkTransactionArgs,
  type SessionHistoryTransactionAwareSession as SdkTransactionAware,
} from '@openai/agents'
import { applySessionHistoryMutations, isSessionHistoryTransactionAwareSession } from 'idb-agents'

export async function capabilities(key: CryptoKey, args: SdkTransactionArgs): Promise<void> {
  const indexed: SdkTransactionAware = new IndexedDBSession('user_123')
  const memory: SdkTransactionAware & SdkRewriteAware = new MemorySession()
  await indexed.applyHistoryTransaction(args)
  await memory.applyHistoryMutations({ mutations: [] })
  const compacting: AgentsSession = new IndexedDBSession('user_123')
  await compacting.replaceHistoryWithCompaction?.([{ type: 'compaction', encrypted_content: 'x' }])
  const encrypted = new EncryptedSession(new IndexedDBSession('secret'), { key })
  if (sdkIsTransactionAware(encrypted)) await encrypted.applyHistoryTransaction(args)
  if (sdkIsRewriteAware(encrypted)) await encrypted.applyHistoryMutations({ mutations: [] })
  if (isSessionHistoryTransactionAwareSession(encrypted)) {
    await encrypted.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [{ role: 'user', content: 'Hi' }] } })
  }
  applySessionHistoryMutations([], []) satisfies unknown[]
  await run(agent, 'Hello', { session: encrypted })
  // The Python SDK's advanced-session extras, typed without a guard where the store has them.
  const wrapped = EncryptedSession.wrap(new IndexedDBSession('advanced'), { key })
  await run(agent, 'Hello', { session: wrapped })
  const usage: Array<{ toolName: string; calls: number; turn: number }> = await wrapped.getToolUsage()
  const branchId: string = await new MemorySession().createBranchFromContent('color')
  void usage
  void branchId
}
