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
