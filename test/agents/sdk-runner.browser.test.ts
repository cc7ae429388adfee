// Our sessions under @openai/agents' own runner, in real browsers (Chromium, Firefox, WebKit):
// the openai client of the SDK reaches the local model API server cross-origin, as through a
// proxy.
import {
  Agent,
  OpenAIProvider,
  OpenAIResponsesCompactionSession,
  Runner,
  RunState,
  setTracingDisabled,
  tool,
  type AgentInputItem,
  type RunStreamEvent,
  type Session as AgentsSession,
} from '@openai/agents'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { disconnect } from '../../src/idb/database.js'
import { EncryptedSession, IndexedDBSession, StorageError } from '../../src/index.js'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'
import type { ScriptedTurn } from '../../src/testing/script.js'

const dbName = `sdk-runner-${Math.random().toString(36).slice(2)}`
let counter = 0
const sessionId = (label: string) => `${label}-${++counter}`
const scripts: ServerScript[] = []

async function runnerFor(turns: ScriptedTurn[]): Promise<{ runner: Runner; script: ServerScript; client: OpenAI }> {
  const script = await createServerScript(inject('apiServerUrl'), turns)
  scripts.push(script)
  const client = new OpenAI({ baseURL: script.baseURL, apiKey: 'test-key', dangerouslyAllowBrowser: true, maxRetries: 0 })
  return { runner: new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }) }), script, client }
}

const textOf = (item: AgentInputItem): string => {
  if (!('content' in item)) return item.type ?? ''
  const content = item.content
  if (typeof content === 'string') return content
  return content.map((part) => ('text' in part ? part.text : '')).join('')
}
const shapes = (items: AgentInputItem[]) => items.map((item) => ('role' in item ? `${item.role}:${textOf(item)}` : item.type))

beforeAll(() => setTracingDisabled(true))
afterAll(async () => {
  for (const script of scripts) await script.dispose()
  await disconnect({ dbName })
  indexedDB.deleteDatabase(dbName)
})

describe('@openai/agents run() with IndexedDBSession', () => {
  it('non-streamed: two runs, the second sees the first from a recreated session', async () => {
    const { runner, script } = await runnerFor(['Blue, noted.', 'You said blue.'])
    const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: 'gpt-4.1' })
    const id = sessionId('plain')
    const first = await runner.run(agent, 'My favorite color is blue.', { session: new IndexedDBSession(id, { dbName }) })
    expect(first.finalOutput).toBe('Blue, noted.')
    const second = await runner.run(agent, 'What did I say?', { session: new IndexedDBSession(id, { dbName }) })
    expect(second.finalOutput).toBe('You said blue.')
    const items = await new IndexedDBSession<AgentInputItem>(id, { dbName }).getItems()
    expect(shapes(items)).toEqual(['user:My favorite color is blue.', 'assistant:Blue, noted.', 'user:What did I say?', 'assistant:You said blue.'])
    const requests = await script.requests()
    expect(JSON.stringify(requests[1]!.body)).toContain('My favorite color is blue.')
  })
})

describe('@openai/agents run() streamed with IndexedDBSession', () => {
  it('saves a streamed run with a tool call whole, once', async () => {
    const { runner } = await runnerFor([{ toolCalls: [{ name: 'lookup', arguments: { q: 'weather' } }] }, 'Sunny today.'])
    const lookup = tool({ name: 'lookup', description: 'Looks up', parameters: z.object({ q: z.string() }), execute: async ({ q }) => `result for ${q}` })
    const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: 'gpt-4.1', tools: [lookup] })
    const id = sessionId('stream')
    const stream = await runner.run(agent, 'Weather?', { session: new IndexedDBSession(id, { dbName }), stream: true })
    let deltas = ''
    // A reader, not `for await`: WebKit's ReadableStream has no async iterator, which the
    // SDK's own iteration needs.
    const reader = (stream.toStream() as unknown as ReadableStream<RunStreamEvent>).getReader()
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      const event = read.value
      if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') deltas += event.data.delta
    }
    await stream.completed
    expect(stream.finalOutput).toBe('Sunny today.')
    expect(deltas).toBe('Sunny today.')
    const items = await new IndexedDBSession<AgentInputItem>(id, { dbName }).getItems()
    expect(shapes(items)).toEqual(['user:Weather?', 'function_call', 'function_call_result', 'assistant:Sunny today.'])
  })
})

/** The notes agent of the demo in small: delete_note asks for approval. */
function notesAgent(deleted: string[]) {
  const deleteNote = tool({
    name: 'delete_note',
    description: 'Deletes a note',
    parameters: z.object({ id: z.string() }),
    needsApproval: true,
    execute: async ({ id }) => {
      deleted.push(id)
      return `deleted ${id}`
    },
  })
  return new Agent({ name: 'Notes', instructions: 'Manage notes.', model: 'gpt-4.1', tools: [deleteNote] })
}

const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
const sessionKinds: Array<[string, (id: string) => AgentsSession]> = [
  ['IndexedDBSession', (id) => new IndexedDBSession(id, { dbName })],
  ['EncryptedSession over IndexedDBSession', (id) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key })],
]

describe.each(sessionKinds)('@openai/agents approvals across a reload: %s', (_name, open) => {
  it('stores the RunState string, recreates the session, approves and resumes: whole turns, nothing saved twice', async () => {
    const { runner } = await runnerFor([{ toolCalls: [{ name: 'delete_note', arguments: { id: 'n1' }, callId: 'call_del' }] }, 'Deleted note n1.'])
    const deleted: string[] = []
    const id = sessionId('approve')
    const first = await runner.run(notesAgent(deleted), 'Delete note n1', { session: open(id) })
    expect(first.interruptions).toHaveLength(1)
    expect(deleted).toEqual([])
    // What the app keeps across the reload: the state string, in localStorage.
    localStorage.setItem(`pending-${id}`, first.state.toString())
    const before = await open(id).getItems()
    expect(shapes(before)).toEqual(['user:Delete note n1', 'function_call'])

    // "Reload": the database connection closed, a new agent and session object over the same
    // database, the string read back.
    await disconnect({ dbName })
    const agent = notesAgent(deleted)
    const saved = localStorage.getItem(`pending-${id}`)!
    localStorage.removeItem(`pending-${id}`)
    const state = await RunState.fromString(agent, saved)
    const [pending] = state.getInterruptions()
    expect(pending?.name).toBe('delete_note')
    state.approve(pending!)
    const resumed = await runner.run(agent, state, { session: open(id) })
    expect(resumed.finalOutput).toBe('Deleted note n1.')
    expect(deleted).toEqual(['n1'])
    const after = await open(id).getItems()
    expect(shapes(after)).toEqual(['user:Delete note n1', 'function_call', 'function_call_result', 'assistant:Deleted note n1.'])
  })

  it('a rejected call gives the model a rejection and is saved whole', async () => {
    const { runner } = await runnerFor([{ toolCalls: [{ name: 'delete_note', arguments: { id: 'n2' } }] }, 'Kept note n2.'])
    const deleted: string[] = []
    const id = sessionId('reject')
    const first = await runner.run(notesAgent(deleted), 'Delete note n2', { session: open(id) })
    const agent = notesAgent(deleted)
    const state = await RunState.fromString(agent, first.state.toString())
    state.reject(state.getInterruptions()[0]!)
    const resumed = await runner.run(agent, state, { session: open(id) })
    expect(resumed.finalOutput).toBe('Kept note n2.')
    expect(deleted).toEqual([])
    expect(shapes(await open(id).getItems())).toEqual(['user:Delete note n2', 'function_call', 'function_call_result', 'assistant:Kept note n2.'])
  })
})

/** An IndexedDBSession whose writes can be made to fail, and that counts the SDK's transactions. */
class FlakySession extends IndexedDBSession {
  failWrites = 0
  transactions: string[] = []
  override async addItems(items: Parameters<IndexedDBSession['addItems']>[0]): Promise<void> {
    if (this.failWrites > 0) {
      this.failWrites--
      throw new StorageError('simulated: the disk refused the write')
    }
    return super.addItems(items)
  }
  override async applyHistoryTransaction(args: Parameters<IndexedDBSession['applyHistoryTransaction']>[0]): Promise<void> {
    this.transactions.push(`${args.transaction.type}:${args.operationId}`)
    if (this.failWrites > 0) {
      this.failWrites--
      throw new StorageError('simulated: the disk refused the write')
    }
    return super.applyHistoryTransaction(args)
  }
}

describe('@openai/agents: failures and the durable capabilities', () => {
  it('a failed write in the middle of a resumed run leaves whole turns; resuming again saves each item once', async () => {
    const { runner } = await runnerFor([{ toolCalls: [{ name: 'delete_note', arguments: { id: 'n3' } }] }, 'Deleted n3.', 'Deleted n3.'])
    const deleted: string[] = []
    const id = sessionId('flaky')
    const first = await runner.run(notesAgent(deleted), 'Delete note n3', { session: new FlakySession(id, { dbName }) })
    const saved = first.state.toString()
    const before = await new IndexedDBSession<AgentInputItem>(id, { dbName }).getItems()

    const agent = notesAgent(deleted)
    const state = await RunState.fromString(agent, saved)
    state.approve(state.getInterruptions()[0]!)
    const flaky = new FlakySession(id, { dbName })
    flaky.failWrites = 1
    await expect(runner.run(agent, state, { session: flaky })).rejects.toThrow(/simulated/)
    const afterFailure = await new IndexedDBSession<AgentInputItem>(id, { dbName }).getItems()
    expect(afterFailure).toEqual(before) // the failed write left the history as it was: user message and pending call

    const retried = await RunState.fromString(agent, saved)
    retried.approve(retried.getInterruptions()[0]!)
    const resumed = await runner.run(agent, retried, { session: new FlakySession(id, { dbName }) })
    expect(resumed.finalOutput).toBe('Deleted n3.')
    const items = await new IndexedDBSession<AgentInputItem>(id, { dbName }).getItems()
    expect(shapes(items)).toEqual(['user:Delete note n3', 'function_call', 'function_call_result', 'assistant:Deleted n3.'])
  })

  it('a tripped output guardrail: the runner saves the executed tool call through applyHistoryTransaction', async () => {
    const { runner } = await runnerFor([{ toolCalls: [{ name: 'lookup', arguments: { q: 'secret' } }] }, 'The secret is 42.'])
    const lookup = tool({ name: 'lookup', description: 'Looks up', parameters: z.object({ q: z.string() }), execute: async ({ q }) => `result for ${q}` })
    const agent = new Agent({
      name: 'Guarded',
      instructions: 'Be brief.',
      model: 'gpt-4.1',
      tools: [lookup],
      outputGuardrails: [{ name: 'no-secrets', execute: async () => ({ tripwireTriggered: true, outputInfo: { reason: 'secret' } }) }],
    })
    const id = sessionId('guardrail')
    const session = new FlakySession(id, { dbName })
    await expect(runner.run(agent, 'Tell me the secret', { session })).rejects.toThrow(/guardrail/i)
    expect(session.transactions.length).toBeGreaterThan(0)
    const items = await new IndexedDBSession<AgentInputItem>(id, { dbName }).getItems()
    expect(shapes(items)).toEqual(['user:Tell me the secret', 'function_call', 'function_call_result'])
    // The runner's operation ids are recorded with the history: repeating one is a no-op.
    const [type, ...rest] = session.transactions[0]!.split(':')
    expect(type).toBe('append_items')
    const operationId = rest.join(':')
    expect(await session.getHistoryOperation(operationId)).toBeDefined()
  })

  it("the SDK's OpenAIResponsesCompactionSession over IndexedDBSession compacts the stored history in place", async () => {
    const { runner, client } = await runnerFor(['First answer.', 'Second answer.'])
    const agent = new Agent({ name: 'Assistant', instructions: 'Be brief.', model: 'gpt-4.1' })
    const id = sessionId('sdk-compaction')
    const underlying = new IndexedDBSession<AgentInputItem>(id, { dbName })
    const open = () =>
      new OpenAIResponsesCompactionSession({
        client,
        underlyingSession: new IndexedDBSession(id, { dbName }),
        model: 'gpt-4.1',
        compactionMode: 'input',
        shouldTriggerCompaction: ({ sessionItems }) => sessionItems.length >= 4,
      })
    await runner.run(agent, 'Question one', { session: open() })
    expect(shapes(await underlying.getItems())).toEqual(['user:Question one', 'assistant:First answer.'])
    await runner.run(agent, 'Question two', { session: open() })
    const compacted = await underlying.getItems()
    expect(shapes(compacted)).toEqual(['user:Question one', 'user:Question two', 'compaction'])
    // Reloaded, the compacted history is what a new run sends.
    expect(await new IndexedDBSession(id, { dbName }).getItems()).toEqual(compacted)
  })
})
