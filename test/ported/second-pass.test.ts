// Cases found by the second pass over the SDKs' session tests (FINDINGS.md F19–F23): no
// compaction over tool outputs the model has not seen, a half-failed clear of the compacted
// view undone, compactionMode checked, a Conversations popItem that cannot succeed fails
// once, and an empty conversationId refused.
import { describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import {
  Agent,
  createOpenAIClient,
  IndexedDBSession,
  InvalidArgumentError,
  IdbAgentsError,
  ConversationError,
  MemorySession,
  OpenAIConversationsSession,
  OpenAIResponsesCompactionSession,
  Runner,
  tool,
  type AgentItem,
  type JsonObject,
  type Session,
} from '../../src/index.js'
import { createServerScript, type ScriptedTurn } from '../../src/testing/index.js'
import { dbName } from './support/kinds.js'
import { assistantMessage, texts, user } from './support/items.js'
import { ListSession } from './support/list-session.js'

const serverUrl = inject('apiServerUrl')
const urlOf = (input: RequestInfo | URL) => (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
let counter = 0
// F19–F21 run over both transcript stores.
const transcripts: Array<[string, () => Session]> = [
  ['MemorySession', () => new MemorySession(`f2-${++counter}`)],
  ['IndexedDBSession', () => new IndexedDBSession(`f2-${++counter}`, { dbName })],
]
const kindsOf = (items: readonly AgentItem[]) => items.map((i) => (i.type === 'compaction' ? 'compaction' : (i.role ?? i.type)))
/** A compaction session over `transcript` on a fresh script of the local API server. */
async function compactionOn(transcript: Session, options: { turns?: ScriptedTurn[]; view?: Session; trigger?: () => boolean } = {}) {
  const script = await createServerScript(serverUrl, options.turns ?? [])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const session = new OpenAIResponsesCompactionSession({
    underlyingSession: transcript,
    client,
    ...(options.view && { viewSession: options.view }),
    ...(options.trigger && { shouldTriggerCompaction: options.trigger }),
    onCompactionError: () => {},
  })
  const compactCalls = async () => (await script.requests()).filter((r) => r.path === '/v1/responses/compact')
  return { script, client, session, compactCalls }
}

describe.each(transcripts)('F19 compaction after a turn that ended on a local tool output (over %s)', (_name, makeTranscript) => {
  // python tests/memory/test_openai_responses_compaction_session.py::test_compaction_skips_when_tool_outputs_present
  // python tests/memory/test_openai_responses_compaction_session.py::test_compaction_runs_after_deferred_tool_outputs_when_due
  it('does not compact away a tool output the model has not seen yet; compacts once the next turn ends on text', async () => {
    const doThing = tool({ name: 'do_thing', description: 'Does it.', parameters: z.object({}), execute: () => 'done' })
    const { script, client, session, compactCalls } = await compactionOn(makeTranscript(), {
      trigger: () => true,
      turns: [{ toolCalls: [{ name: 'do_thing', arguments: {}, callId: 'call_1' }] }, 'ok'],
    })
    const runner = new Runner({ client, model: 'gpt-test' })
    const agent = new Agent({ name: 'assistant', tools: [doThing], toolUseBehavior: 'stop_on_first_tool' })
    expect((await runner.run(agent, 'hello', { session })).finalOutput).toBe('done')
    expect(await compactCalls()).toEqual([])
    await runner.run(agent, 'followup', { session })
    const second = (await script.requests()).filter((r) => r.path === '/v1/responses')[1]!.body as JsonObject
    expect((second.input as AgentItem[]).filter((i) => i.type === 'function_call_output').map((i) => i.output)).toEqual(['done'])
    expect(await compactCalls()).toHaveLength(1)
  })
})

/** A view store whose next clear removes only its newest item, then fails. */
class PartialClearView extends ListSession {
  failNextClear = false
  override async clearSession(): Promise<void> {
    if (!this.failNextClear) return super.clearSession()
    this.failNextClear = false
    this.items.pop()
    throw new Error('clear failed')
  }
}

describe.each(transcripts)('F20 a clear of the compacted view that fails halfway (over %s)', (_name, makeTranscript) => {
  // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'clears partial history before restoring after clearSession fails'
  it('restores the compacted history whole, without duplicates', async () => {
    const view = new PartialClearView('view')
    const { session } = await compactionOn(makeTranscript(), { view })
    await session.addItems([user('original'), assistantMessage('reply')])
    await session.runCompaction({ force: true, compactionMode: 'input' })
    await session.addItems([user('survived clear'), assistantMessage('removed by partial clear')])
    const before = await session.getItems()
    expect(kindsOf(before)).toEqual(['user', 'compaction', 'user', 'assistant'])
    view.failNextClear = true
    await expect(session.runCompaction({ force: true, compactionMode: 'input' })).rejects.toBeInstanceOf(IdbAgentsError)
    expect(await session.getItems()).toEqual(before)
  })
})

describe.each(transcripts)('F21 an unknown compactionMode (over %s)', (_name, makeTranscript) => {
  // python tests/memory/test_openai_responses_compaction_session.py::test_init_rejects_invalid_compaction_mode (openai-agents-python PR #4538)
  // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_rejects_invalid_mode_before_side_effects (PR #4538)
  it('is refused with a typed error, before any call', async () => {
    const transcript = makeTranscript()
    const { client, compactCalls } = await compactionOn(transcript)
    for (const compactionMode of ['', 'typo', 'Input', ['auto']]) {
      expect(() => new OpenAIResponsesCompactionSession({ underlyingSession: transcript, client, compactionMode: compactionMode as never }), String(compactionMode)).toThrow(InvalidArgumentError)
    }
    let asked = 0
    const session = new OpenAIResponsesCompactionSession({ underlyingSession: transcript, client, shouldTriggerCompaction: () => (asked++, true) })
    await session.addItems([user('q'), assistantMessage('a')])
    await expect(session.runCompaction({ responseId: 'resp_1', compactionMode: 'typo' as never, force: true })).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(asked).toBe(0)
    expect(await compactCalls()).toEqual([])
  })
})

describe('F22 OpenAIConversationsSession.popItem() of an item listed without an id', () => {
  // python tests/memory/test_openai_conversations_session.py::test_invalid_item_id_in_pop_item
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'popItem returns the newest item even when it has no id'
  it('fails with a ConversationError before any delete, never looping, and keeps the item', async () => {
    const script = await createServerScript(serverUrl, [])
    let deletes = 0
    // A proxy (or another Conversations implementation) that lists items without their ids.
    const fetchFn: typeof fetch = async (input, init) => {
      const method = init?.method ?? 'GET'
      if (method === 'DELETE' && urlOf(input).includes('/items/') && ++deletes > 5) throw new Error(`delete number ${deletes}: looping`)
      const response = await fetch(input, init)
      if (method !== 'GET' || !urlOf(input).includes('/items')) return response
      const page = (await response.json()) as { data: Array<Record<string, unknown>> }
      page.data = page.data.map(({ id: _id, ...rest }) => rest)
      return new Response(JSON.stringify(page), { status: response.status, headers: { 'content-type': 'application/json' } })
    }
    const session = new OpenAIConversationsSession({ client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0, fetch: fetchFn }) })
    await session.addItems([user('hello')])
    const error = await session.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConversationError)
    expect((error as Error).message).toMatch(/without an id.*nothing was removed/)
    expect(deletes).toBe(0)
    expect(texts(await session.getItems())).toEqual(['hello'])
  })

  it('fails with a ConversationError when an item is still listed after its delete answered 404', async () => {
    const script = await createServerScript(serverUrl, [])
    let deletes = 0
    // A proxy that answers 404 to every delete while the item stays.
    const fetchFn: typeof fetch = async (input, init) => {
      if ((init?.method ?? 'GET') !== 'DELETE' || !urlOf(input).includes('/items/')) return fetch(input, init)
      deletes += 1
      if (deletes > 5) throw new Error(`delete number ${deletes}: looping`)
      return new Response(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', code: 'not_found' } }), { status: 404, headers: { 'content-type': 'application/json' } })
    }
    const session = new OpenAIConversationsSession({ client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0, fetch: fetchFn }) })
    await session.addItems([user('hello')])
    const error = await session.popItem().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConversationError)
    expect((error as Error).message).toMatch(/still lists item .* after answering 404/)
    expect(deletes).toBe(1)
  })
})

describe('F23 an empty conversationId', () => {
  // (no SDK test: our own sessionId is '' until the conversation exists, so passing it on is natural)
  it('is refused with an InvalidArgumentError that says how to get the id, before any call', async () => {
    const script = await createServerScript(serverUrl, [])
    const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
    const notYetCreated = new OpenAIConversationsSession({ client })
    for (const conversationId of [notYetCreated.sessionId, 42, {}]) {
      expect(() => new OpenAIConversationsSession({ client, conversationId: conversationId as string }), String(conversationId)).toThrow(InvalidArgumentError)
    }
    expect(() => new OpenAIConversationsSession({ client, conversationId: '' })).toThrow(/getSessionId\(\)/)
    expect(await script.requests()).toEqual([])
    // Once it exists, its id opens the same conversation.
    await notYetCreated.addItems([user('hello')])
    const again = new OpenAIConversationsSession({ client, conversationId: notYetCreated.sessionId })
    expect(texts(await again.getItems())).toEqual(['hello'])
  })

  it('takes null (an id never saved, as localStorage.getItem gives it) as no conversation yet', async () => {
    const script = await createServerScript(serverUrl, [])
    const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
    const session = new OpenAIConversationsSession({ client, conversationId: null })
    expect(session.sessionId).toBe('')
    await session.addItems([user('hello')])
    expect(session.sessionId).toMatch(/^conv_/)
    expect(texts(await session.getItems())).toEqual(['hello'])
  })
})
