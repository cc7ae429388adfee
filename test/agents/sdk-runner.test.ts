// @openai/agents' runner calls our applyHistoryTransaction when an output guardrail trips
// after tools ran (it keeps the executed calls, atomically, under an operation id): checked
// in Node for every session kind, non-streamed and streamed, against the local API server.
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool, type AgentInputItem, type Session as AgentsSession } from '@openai/agents'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { EncryptedSession, IndexedDBSession, MemorySession, OpenAIConversationsSession, type SessionHistoryTransactionArgs } from '../../src/index.js'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'

const dbName = `sdk-runner-node-${Math.random().toString(36).slice(2)}`
const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
const scripts: ServerScript[] = []
let counter = 0

beforeAll(() => setTracingDisabled(true))
afterAll(async () => {
  for (const script of scripts) await script.dispose()
})

type Transactional = AgentsSession & { applyHistoryTransaction(args: SessionHistoryTransactionArgs, runContext?: unknown): Promise<void> }

/** Records the operation ids the runner applies, then lets the session apply them. */
function recording<T extends Transactional>(session: T): { session: T; operations: string[] } {
  const operations: string[] = []
  const apply = session.applyHistoryTransaction.bind(session)
  Object.defineProperty(session, 'applyHistoryTransaction', {
    value: (args: SessionHistoryTransactionArgs) => {
      operations.push(`${args.transaction.type} ${args.operationId}`)
      return apply(args)
    },
  })
  return { session, operations }
}

const memory = new Map<string, MemorySession>()
const kinds: Array<[string, (id: string) => Transactional]> = [
  // The same object again: a MemorySession holds its history itself.
  ['MemorySession', (id) => (memory.get(id) ?? memory.set(id, new MemorySession(id)).get(id)!) as unknown as Transactional],
  ['IndexedDBSession', (id) => new IndexedDBSession(id, { dbName }) as unknown as Transactional],
  ['EncryptedSession over IndexedDBSession', (id) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key }) as unknown as Transactional],
]

const shapes = (items: AgentInputItem[]) => items.map((item) => ('role' in item ? item.role : item.type))

describe.each(kinds)('@openai/agents output guardrails with %s', (_name, open) => {
  for (const stream of [false, true]) {
    it(`${stream ? 'streamed' : 'non-streamed'}: the executed tool call is saved through applyHistoryTransaction, once`, async () => {
      const script = await createServerScript(inject('apiServerUrl'), [{ toolCalls: [{ name: 'lookup', arguments: { q: 'secret' } }] }, 'The secret is 42.'])
      scripts.push(script)
      const client = new OpenAI({ baseURL: script.baseURL, apiKey: 'test-key', maxRetries: 0 })
      const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }) })
      const lookup = tool({ name: 'lookup', description: 'Looks up', parameters: z.object({ q: z.string() }), execute: async ({ q }) => `result for ${q}` })
      const agent = new Agent({
        name: 'Guarded',
        model: 'gpt-4.1',
        tools: [lookup],
        outputGuardrails: [{ name: 'no-secrets', execute: async () => ({ tripwireTriggered: true, outputInfo: {} }) }],
      })
      const id = `guard-${++counter}`
      const { session, operations } = recording(open(id))
      const run = async () => {
        if (!stream) return runner.run(agent, 'Tell me the secret', { session })
        const result = await runner.run(agent, 'Tell me the secret', { session, stream: true })
        const reader = (result.toStream() as unknown as ReadableStream<unknown>).getReader()
        while (!(await reader.read()).done);
        await result.completed
        return result
      }
      await expect(run()).rejects.toThrow(/guardrail/i)
      expect(operations.length).toBeGreaterThan(0)
      expect(operations.every((entry) => entry.startsWith('append_items '))).toBe(true)
      expect(shapes(await open(id).getItems())).toEqual(['user', 'function_call', 'function_call_result'])
    })
  }
})

// @openai/agents' runner calls a session's prepareHistoryItemForModelInput on the history it
// sends (as for its own OpenAIConversationsSession): ours strips the conversation's msg_ ids.
describe('@openai/agents with our OpenAIConversationsSession', () => {
  it('sends the stored assistant message back without its msg_ id, which getItems keeps', async () => {
    const script = await createServerScript(inject('apiServerUrl'), ['Blue, noted.', 'Blue.'])
    scripts.push(script)
    const client = new OpenAI({ baseURL: script.baseURL, apiKey: 'test-key', maxRetries: 0 })
    const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }) })
    const agent = new Agent({ name: 'Memory Bot', model: 'gpt-4.1' })
    const conversation = new OpenAIConversationsSession({ client })
    // Our item type is the API's wire JSON, not the SDK's protocol union: cast as for the kinds above.
    const session = conversation as unknown as AgentsSession
    await runner.run(agent, 'My favorite color is blue.', { session })
    const assistant = (await conversation.getItems()).find((item) => item.role === 'assistant')
    expect(assistant?.id).toMatch(/^msg_/)
    await runner.run(agent, 'Which color?', { session })
    const requests = (await script.requests()).filter((r) => r.method === 'POST' && r.path === '/v1/responses')
    const sent = (requests[1]!.body as { input: Array<Record<string, unknown>> }).input
    expect(sent.map((item) => item.role)).toEqual(['user', 'assistant', 'user'])
    expect(sent[1]).not.toHaveProperty('id')
  })
})
