// Every error message read once as a user would: made through the paths users hit, then
// checked for the slips that crept in before — doubled full stops ("not found.. The"), a
// status said twice ("401: 401 …"), a missing full stop between two sentences, "undefined".
import { describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import {
  Agent,
  createOpenAIClient,
  EncryptedSession,
  importSession,
  IndexedDBSession,
  MemorySession,
  OpenAIConversationsSession,
  OpenAIResponsesCompactionSession,
  Runner,
  RunState,
  tool,
  type AgentItem,
} from '../src/index.js'
import { ScriptedModel } from '../src/testing/index.js'
import { createServerScript } from '../src/testing/api-server/client.js'

const serverUrl = inject('apiServerUrl')

/** The problems a message has; `[]` when it reads well. */
function slips(message: string): string[] {
  const found: string[] = []
  if (/[^.]\.\.(?!\.)|\.\.\s/.test(message.replace(/…/g, ''))) found.push('a doubled full stop')
  if (/\b(\d{3}):? \1\b/.test(message)) found.push('a status said twice')
  if (/[a-z0-9)"] [A-Z][a-z]+ (?:from|was|the)\b/.test(message) && /[a-z0-9"] (?:Nothing|Check|Retry|The) /.test(message)) found.push('two sentences without a full stop')
  if (/\bundefined\b|\[object Object\]/.test(message)) found.push('"undefined" or "[object Object]"')
  if (!/[.?!)]$/.test(message.trim())) found.push('no full stop at the end')
  return found
}

async function failureOf(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

describe('error messages, as people read them', () => {
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['a bad item', () => new MemorySession().addItems([{ type: 'x', when: new Date() } as unknown as AgentItem])],
    ['a hole in a batch', () => new MemorySession().addItems(new Array(1))],
    ['an unknown branch', () => new MemorySession().switchToBranch('nope')],
    ['a refused export', () => importSession({ format: 'idb-agents/session', version: 1 }, { dbName: 'wording' })],
    ['a 401 from the model API', async () => {
      const script = await createServerScript(serverUrl, [{ status: 401, message: 'Incorrect API key provided.' }])
      await new Runner({ client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 }) }).run(new Agent({ name: 'a' }), 'hi', { session: new MemorySession() })
    }],
    ['a 404 from the model API', async () => {
      const script = await createServerScript(serverUrl, [{ status: 404, message: 'The model `gpt-x` does not exist.' }])
      await new Runner({ client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 }) }).run(new Agent({ name: 'a' }), 'hi')
    }],
    ['a refused connection', () => new Runner({ client: createOpenAIClient({ baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 }) }).run(new Agent({ name: 'a' }), 'hi')],
    ['a tool that throws', () => {
      const broken = tool({ name: 'broken', description: 'Fails.', parameters: z.object({}), onError: 'throw', execute: () => { throw new Error('disk not found.') } })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'broken', arguments: {} }] }])
      return new Runner().run(new Agent({ name: 'a', model, tools: [broken] }), 'hi', { session: new MemorySession() })
    }],
    ['a run that fails in a strange way', () => {
      const model = { getResponse: async () => { throw new Error('socket hang up.') }, getStreamedResponse: () => { throw new Error('no') } }
      return new Runner().run(new Agent({ name: 'a', model }), 'hi')
    }],
    ['too many turns', () => {
      const echo = tool({ name: 'echo', description: 'Echo.', parameters: z.object({}), execute: () => 'again' })
      const model = new ScriptedModel(Array.from({ length: 3 }, () => ({ toolCalls: [{ name: 'echo', arguments: {} }] })))
      return new Runner().run(new Agent({ name: 'a', model, tools: [echo] }), 'hi', { maxTurns: 2, session: new MemorySession() })
    }],
    ['a final output that does not parse', () => new Runner().run(new Agent({ name: 'a', model: new ScriptedModel(['not json']), outputType: z.object({ answer: z.string() }) }), 'hi')],
    ['a failed compaction', async () => {
      const script = await createServerScript(serverUrl, [])
      await script.failNext('responses.compact', { status: 500, message: 'Internal error.' })
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: new MemorySession(), client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 }) })
      await session.addItems([{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }])
      await session.runCompaction({ force: true, compactionMode: 'input' })
    }],
    ['a Conversations API 404', () => {
      const client = createOpenAIClient({ baseURL: `${serverUrl}/v1`, maxRetries: 0 })
      return new OpenAIConversationsSession({ client, conversationId: 'conv_missing' }).getItems()
    }],
    ['a wrong key', async () => {
      const keyA = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
      const keyB = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
      const store = new MemorySession()
      await new EncryptedSession(store, { key: keyA }).addItems([{ role: 'user', content: 'secret' }])
      await new EncryptedSession(store, { key: keyB }).getItems()
    }],
    ['a tampered item', async () => {
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
      const store = new MemorySession()
      await new EncryptedSession(store, { key }).addItems([{ role: 'user', content: 'secret' }])
      const [envelope] = await store.getItems()
      await store.replaceItems([{ ...envelope!, ct: `${String((envelope as unknown as { ct: string }).ct).slice(0, -4)}AAAA` } as AgentItem])
      await new EncryptedSession(store, { key }).getItems()
    }],
    ['an operation id reused with another transaction', async () => {
      const session = new MemorySession()
      await session.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [{ role: 'user', content: 'a' }] } })
      await session.applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [{ role: 'user', content: 'b' }] } })
    }],
    ['a history suffix that does not match', () =>
      new MemorySession().applyHistoryTransaction({ operationId: 'op', transaction: { type: 'replace_suffix', expectedSuffix: [{ role: 'user', content: 'a' }], replacement: [] } })],
    ['a history transaction with unknown fields', () =>
      new MemorySession().applyHistoryTransaction({ operationId: 'op', transaction: { type: 'append_items', items: [], more: 1 } as never })],
    ['a history transaction that is not an object', () => new MemorySession().applyHistoryTransaction({ operationId: 'op', transaction: null as never })],
    ['no turn holding the text', async () => {
      const session = new MemorySession()
      await session.addItems([{ role: 'user', content: 'hello' }])
      await session.createBranchFromContent('goodbye')

    }],
    ['a garbled run state', () => RunState.fromString(new Agent({ name: 'a' }), '{"format":"idb-agents/run-state"}')],
    ['a run state for another agent', async () => {
      const remove = tool({ name: 'remove', description: 'Remove.', parameters: z.object({}), needsApproval: true, execute: () => 'gone' })
      const paused = await new Runner().run(new Agent({ name: 'a', model: new ScriptedModel([{ toolCalls: [{ name: 'remove', arguments: {} }] }]), tools: [remove] }), 'hi')
      await RunState.fromString(new Agent({ name: 'b' }), paused.state!.toString())
    }],
    ['a paused run resumed twice', async () => {
      const remove = tool({ name: 'remove', description: 'Remove.', parameters: z.object({}), needsApproval: true, execute: () => 'gone' })
      const agent = new Agent({ name: 'a', model: new ScriptedModel([{ toolCalls: [{ name: 'remove', arguments: {} }] }, 'done', 'again']), tools: [remove] })
      const session = new MemorySession()
      const paused = await new Runner().run(agent, 'hi', { session })
      paused.state!.approve(paused.interruptions[0]!)
      await new Runner().run(agent, paused.state!, { session })
      await new Runner().run(agent, paused.state!, { session })
    }],
    ['a pending run changed by another tab', async () => {
      const session = new MemorySession()
      await session.updatePendingRun({ expected: 'run_1', items: [], next: null })
    }],
    ['a damaged database', async () => {
      const session = new IndexedDBSession('wording', { dbName: `wording-${Math.random()}` })
      await session.switchToBranch(7 as unknown as string)
    }],
  ]

  for (const [what, work] of cases) {
    it(`reads well: ${what}`, async () => {
      const error = await failureOf(work)
      expect(error.name).not.toBe('Error')
      expect(slips(error.message), `${error.name}: ${error.message}`).toEqual([])
    })
  }

  it('the check itself catches the slips it looks for', () => {
    expect(slips('Session "x" not found.. The conversation is gone.')).toContain('a doubled full stop')
    expect(slips('The model API answered 401: 401 Incorrect API key.')).toContain('a status said twice')
    expect(slips('The run failed: boom')).toContain('no full stop at the end')
    expect(slips('It read undefined.')).toHaveLength(1)
    expect(slips('All is well. Nothing was changed.')).toEqual([])
  })
})
