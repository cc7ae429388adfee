// OpenAIResponsesCompactionSession as the Python and JavaScript Agents SDKs test it (when to
// compact, which mode, restoring history when the replacement fails, writes racing a
// compaction, the runner's call after a turn), ported to the local API server over
// MemorySession and IndexedDBSession transcripts.
import { describe, expect, inject, it } from 'vitest'
import {
  Agent,
  CompactionError,
  createOpenAIClient,
  IndexedDBSession,
  isOpenAIResponsesCompactionAwareSession,
  isModelInputPreparingSession,
  MemorySession,
  OpenAIConversationsSession,
  OpenAIResponsesCompactionSession,
  run,
  Runner,
  isRunLocked,
  type AgentItem,
  type Model,
  type CompactionTrigger,
  type JsonObject,
  type Session,
  RunError,
  AbortError,
  tool,
} from '../../src/index.js'
import { z } from 'zod'
import { createServerScript, ScriptedModel, type ServerScript } from '../../src/testing/index.js'
import { assistantMessage, deferred, texts, user } from './support/items.js'
import { dbName } from './support/kinds.js'
import { ListSession } from './support/list-session.js'

const serverUrl = inject('apiServerUrl')
let counter = 0
const transcripts: Array<[string, () => Session]> = [
  ['MemorySession', () => new MemorySession(`cmp-port-${++counter}`)],
  ['IndexedDBSession', () => new IndexedDBSession(`cmp-port-${++counter}`, { dbName })],
]

const answers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => assistantMessage(`answer ${from + i}`))
const compactBodies = async (script: ServerScript) =>
  (await script.requests()).filter((r) => r.path === '/v1/responses/compact').map((r) => r.body as JsonObject)
const kindsOf = (items: readonly AgentItem[]) => items.map((i) => (i.type === 'compaction' ? 'compaction' : (i.role ?? i.type)))

for (const [name, makeTranscript] of transcripts) {
  describe(`OpenAIResponsesCompactionSession over ${name} (ported)`, () => {
    async function setup(options: { trigger?: CompactionTrigger; mode?: 'auto' | 'input' | 'previous_response_id'; view?: Session; turns?: string[]; fetch?: typeof fetch } = {}) {
      const script = await createServerScript(serverUrl, options.turns ?? [])
      const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0, ...(options.fetch && { fetch: options.fetch }) })
      const transcript = makeTranscript()
      const session = new OpenAIResponsesCompactionSession({
        underlyingSession: transcript,
        client,
        ...(options.trigger && { shouldTriggerCompaction: options.trigger }),
        ...(options.mode && { compactionMode: options.mode }),
        ...(options.view && { viewSession: options.view }),
        onCompactionError: () => {},
      })
      return { script, client, transcript, session }
    }

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'delegates session identity and keeps cached candidates in sync'
    // python tests/memory/test_openai_responses_compaction_session.py::test_add_items_delegates
    // python tests/memory/test_openai_responses_compaction_session.py::test_get_items_delegates
    it('delegates identity and reads, and gives the trigger the current candidates', async () => {
      const candidates: number[] = []
      const { script, transcript, session } = await setup({
        trigger: ({ candidateCount }) => {
          candidates.push(candidateCount)
          return false
        },
      })
      expect(isOpenAIResponsesCompactionAwareSession(session)).toBe(true)
      expect(await session.getSessionId()).toBe(transcript.sessionId)
      const first = assistantMessage('first answer')
      await transcript.addItems([user('hello'), first])
      expect(await session.getItems(1)).toEqual([first])
      await session.addItems([])
      expect(await session.runCompaction({ responseId: 'resp_1' })).toBeNull()
      const followUp = assistantMessage('follow-up answer')
      await session.addItems([followUp])
      expect(await session.popItem()).toEqual(followUp)
      expect(await session.runCompaction()).toBeNull()
      await session.clearSession()
      expect(await session.popItem()).toBeUndefined()
      expect(await session.runCompaction()).toBeNull()
      expect(candidates).toEqual([1, 1])
      expect(await session.getItems()).toEqual([])
      expect(await compactBodies(script)).toEqual([])
    })

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'uses the default compaction threshold for candidate items'
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_skips_when_below_threshold
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_executes_when_threshold_met
    it('compacts by default from 10 foldable items, not at 9', async () => {
      const { script, session } = await setup({ mode: 'input' })
      await session.addItems([user('question'), ...answers(9)])
      expect(await session.runCompaction()).toBeNull()
      await session.addItems(answers(1, 9))
      const result = await session.runCompaction()
      expect(result).toMatchObject({ itemsBefore: 11, mode: 'input' })
      expect(await compactBodies(script)).toHaveLength(1)
      expect(kindsOf(await session.getItems())).toEqual(['user', 'compaction'])
      expect(await session.getTranscript()).toHaveLength(11)
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_excludes_user_messages
    // python tests/memory/test_openai_responses_compaction_session.py::test_excludes_easy_user_messages_without_type
    // python tests/memory/test_openai_responses_compaction_session.py::test_excludes_compaction_items
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'provides compaction candidates to the decision hook'
    it('counts neither user messages (with or without a type) nor compaction items as candidates', async () => {
      const seen: Array<[number, number]> = []
      let compact = false
      const { session } = await setup({
        mode: 'input',
        trigger: ({ items, candidateCount }) => {
          seen.push([items.length, candidateCount])
          return compact
        },
      })
      const typedUser: AgentItem = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'typed' }] }
      await session.addItems([user('plain'), typedUser, ...answers(1)])
      expect(await session.runCompaction()).toBeNull()
      compact = true
      expect(await session.runCompaction()).not.toBeNull()
      expect(kindsOf(await session.getItems())).toEqual(['user', 'user', 'compaction'])
      compact = false
      await session.addItems([user('after'), ...answers(1, 1)])
      expect(await session.runCompaction()).toBeNull()
      expect(seen).toEqual([
        [3, 1],
        [3, 1],
        [5, 1],
      ])
    })

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'skips compaction when the decision hook declines'
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_honors_falsey_decision_hook
    it('does not call the API when the trigger declines', async () => {
      let asked = 0
      const { script, session } = await setup({ trigger: () => (asked++, false) })
      await session.addItems([user('q'), ...answers(20)])
      expect(await session.runCompaction({ responseId: 'resp_1' })).toBeNull()
      expect(asked).toBe(1)
      expect(await compactBodies(script)).toEqual([])
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_input_mode_without_response_id
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_auto_without_response_id_uses_input
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'compacts using input mode without a response id'
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'defaults to auto compaction and uses input without a response id'
    it.each(['input', 'auto'] as const)('sends the items themselves in %s mode without a response id', async (mode) => {
      const { script, session } = await setup({ mode })
      const items = [user('hello'), assistantMessage('world')]
      await session.addItems(items)
      await session.runCompaction({ force: true })
      const [body] = await compactBodies(script)
      expect(body).toEqual({ model: 'gpt-4.1', input: items })
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_requires_response_id
    // (Python raises; here previous_response_id mode without an id compacts from the items, as documented.)
    it('falls back to the items in previous_response_id mode when no response id is known', async () => {
      const { script, session } = await setup({ mode: 'previous_response_id' })
      await session.addItems([user('hello'), assistantMessage('world')])
      expect(await session.runCompaction({ force: true })).toMatchObject({ mode: 'input' })
      expect((await compactBodies(script))[0]).not.toHaveProperty('previous_response_id')
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_auto_uses_input_when_store_false
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_auto_uses_default_store_when_unset
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_executes_when_threshold_met
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'auto mode uses input when store is false'
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'replaces history after compaction and reuses the stored response id'
    it('sends the response id in auto mode unless that response was not stored', async () => {
      const { script, client, session } = await setup({ trigger: () => false, turns: ['first answer', 'second answer'] })
      const runner = new Runner({ client, model: 'gpt-test' })
      const agent = new Agent({ name: 'test' })
      const unstored = await runner.run(new Agent({ name: 'test', modelSettings: { store: false } }), 'first question', { session })
      await session.runCompaction({ responseId: unstored.lastResponseId!, store: false, force: true })
      const stored = await runner.run(agent, 'second question', { session })
      await session.runCompaction({ responseId: stored.lastResponseId!, force: true })
      const [byInput, byId] = await compactBodies(script)
      expect(byInput).not.toHaveProperty('previous_response_id')
      expect(Array.isArray(byInput!.input)).toBe(true)
      expect(byId).toEqual({ model: 'gpt-4.1', previous_response_id: stored.lastResponseId })
      expect(kindsOf(await session.getItems())).toEqual(['user', 'user', 'compaction'])
      expect(texts(await session.getTranscript())).toEqual(['first question', 'first answer', 'second question', 'second answer'])
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_auto_uses_input_when_last_response_unstored
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'auto mode remembers store settings when store is omitted'
    it('compacts the compacted history next time when no response id is given', async () => {
      const { script, session } = await setup({ mode: 'auto' })
      await session.addItems([user('hello'), assistantMessage('world')])
      await session.runCompaction({ responseId: 'resp_unstored', store: false, force: true })
      const view = await session.getItems()
      await session.runCompaction({ force: true })
      const bodies = await compactBodies(script)
      expect(bodies.map((b) => 'previous_response_id' in b)).toEqual([false, false])
      expect(bodies[1]!.input).toEqual(view)
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_force_bypasses_threshold
    it('compacts with force whatever the trigger says', async () => {
      const { script, session } = await setup({ trigger: () => false })
      await session.addItems([user('only')])
      expect(await session.runCompaction({ force: true })).not.toBeNull()
      expect(await compactBodies(script)).toHaveLength(1)
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_restores_history_when_replacement_add_fails
    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'restores history when replacement addItems fails'
    it('puts the previous compacted history back when writing the new one fails halfway', async () => {
      let failing = false
      const view = new ListSession('view', { add: () => (failing ? ((failing = false), 'partial') : undefined) })
      const { session } = await setup({ mode: 'input', view })
      await session.addItems([user('q1'), assistantMessage('a1')])
      await session.runCompaction({ force: true })
      await session.addItems([user('q2'), assistantMessage('a2')])
      const before = await session.getItems()
      expect(kindsOf(before)).toEqual(['user', 'compaction', 'user', 'assistant'])
      failing = true
      const error = await session.runCompaction({ force: true }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CompactionError)
      expect((error as Error).message).toMatch(/replacement failed.*unchanged/)
      expect(await session.getItems()).toEqual(before)
      expect(texts(await session.getTranscript())).toEqual(['q1', 'a1', 'q2', 'a2'])
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_restores_full_history_when_session_limit_applies
    it('puts back every item of a view store with a default window, not just the newest `limit`', async () => {
      let failing = false
      const view = new ListSession('view', { limit: 1, add: () => (failing ? ((failing = false), 'partial') : undefined) })
      const { session } = await setup({ mode: 'input', view })
      await session.addItems([user('u1'), assistantMessage('a1'), user('u2'), assistantMessage('a2')])
      await session.runCompaction({ force: true })
      await session.addItems([user('u3'), assistantMessage('a3')])
      const before = await view.getItems(Infinity)
      expect(kindsOf(before)).toEqual(['user', 'user', 'compaction', 'user', 'assistant'])
      failing = true
      await expect(session.runCompaction({ force: true })).rejects.toThrow(/replacement failed.*unchanged/)
      expect(await view.getItems(Infinity)).toEqual(before)
    })

    it('compacts the whole history, past the default window of the view store', async () => {
      const view = new ListSession('view', { limit: 1 })
      const { script, session } = await setup({ mode: 'input', view })
      await session.addItems([user('u1'), assistantMessage('a1')])
      await session.runCompaction({ force: true })
      await session.addItems([user('u2'), assistantMessage('a2')])
      await session.runCompaction({ force: true })
      const [, second] = await compactBodies(script)
      expect(kindsOf(second!.input as AgentItem[])).toEqual(['user', 'compaction', 'user', 'assistant'])
      expect(texts((await view.getItems(Infinity)).filter((i) => i.role === 'user'))).toEqual(['u1', 'u2'])
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_does_not_restore_when_clear_fails_without_mutation
    it('changes nothing when clearing the old compacted history fails before clearing anything', async () => {
      const view = new ListSession('view', { clear: () => 'fail' })
      const { session } = await setup({ mode: 'input', view })
      await session.addItems([user('original'), assistantMessage('reply')])
      await expect(session.runCompaction({ force: true })).rejects.toBeInstanceOf(CompactionError)
      expect(view.adds).toBe(0)
      expect(texts(await session.getItems())).toEqual(['original', 'reply'])
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_restores_history_when_clear_fails_after_mutation
    it('still sends the whole history when clearing the compacted history fails after clearing it', async () => {
      const view = new ListSession('view', { clear: () => 'after' })
      const { session } = await setup({ mode: 'input', view })
      await session.addItems([user('original'), assistantMessage('reply')])
      await expect(session.runCompaction({ force: true })).rejects.toBeInstanceOf(CompactionError)
      expect(texts(await session.getItems())).toEqual(['original', 'reply'])
    })

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'preserves existing history when compacted output normalization fails'
    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_preserves_history_when_output_normalization_fails
    it.each([
      ['holds an item that cannot be stored', [{ type: 'compaction', encrypted_content: 'opaque' }, { role: 'user', content: 5 }]],
      ['holds no compaction item', [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] }]],
    ])('keeps the history when the compacted output %s', async (_case, output) => {
      const rewrite: typeof fetch = async (input, init) => {
        const response = await fetch(input, init)
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
        if (!url.endsWith('/responses/compact')) return response
        const body = (await response.json()) as JsonObject
        return new Response(JSON.stringify({ ...body, output }), { status: 200, headers: { 'content-type': 'application/json' } })
      }
      const { session } = await setup({ mode: 'input', fetch: rewrite })
      await session.addItems([user('hello'), assistantMessage('world')])
      const before = await session.getItems()
      await expect(session.runCompaction({ force: true })).rejects.toBeInstanceOf(CompactionError)
      expect(await session.getItems()).toEqual(before)
      expect(await session.getTranscript()).toEqual(before)
    })

    // python tests/memory/test_openai_responses_compaction_session.py::test_run_compaction_reraises_replacement_error_when_restore_fails
    it('says the history changed when neither the new nor the old compacted history could be written', async () => {
      const view = new ListSession('view', {
        add: (call) => {
          if (call === 1) return 'partial'
          throw new Error('restore failed too')
        },
      })
      const { session } = await setup({ mode: 'input', view })
      await session.addItems([user('original'), assistantMessage('reply')])
      const error = await session.runCompaction({ force: true }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CompactionError)
      expect((error as Error).message).toMatch(/replacement failed.*restore failed too/)
      expect((error as Error).message).not.toMatch(/stored history is unchanged/)
      expect(texts(await session.getTranscript())).toEqual(['original', 'reply'])
    })

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'orders a concurrent wrapper %s mutation after an in-flight compaction request' (addItems)
    it('keeps an item added while the compact call is in flight after the compacted prefix', async () => {
      const reached = deferred()
      const gate = deferred()
      const hold: typeof fetch = async (input, init) => {
        if (String(input instanceof Request ? input.url : input).endsWith('/responses/compact')) {
          reached.resolve()
          await gate.promise
        }
        return fetch(input, init)
      }
      const { session } = await setup({ mode: 'input', fetch: hold })
      await session.addItems([user('original'), assistantMessage('reply')])
      const compaction = session.runCompaction({ force: true })
      await reached.promise
      await session.addItems([assistantMessage('newer reply')])
      gate.resolve()
      await compaction
      expect(kindsOf(await session.getItems())).toEqual(['user', 'compaction', 'assistant'])
      expect(texts(await session.getItems(1))).toEqual(['newer reply'])
      expect(texts(await session.getTranscript())).toEqual(['original', 'reply', 'newer reply'])
    })

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'orders a concurrent wrapper %s mutation after an in-flight compaction request' (popItem, clearSession)
    // (JS applies the pop or clear to the compacted history; here the compaction is dropped and the pop or clear stands.)
    it.each(['popItem', 'clearSession'] as const)('drops a compaction whose history a %s changed while the call was in flight', async (operation) => {
      const reached = deferred()
      const gate = deferred()
      const hold: typeof fetch = async (input, init) => {
        if (String(input instanceof Request ? input.url : input).endsWith('/responses/compact')) {
          reached.resolve()
          await gate.promise
        }
        return fetch(input, init)
      }
      const { session } = await setup({ mode: 'input', fetch: hold })
      await session.addItems([user('original'), assistantMessage('reply')])
      const compaction = session.runCompaction({ force: true })
      await reached.promise
      await (operation === 'popItem' ? session.popItem() : session.clearSession())
      gate.resolve()
      await expect(compaction).rejects.toBeInstanceOf(CompactionError)
      expect(texts(await session.getItems())).toEqual(operation === 'popItem' ? ['original'] : [])
      expect(texts(await session.getTranscript())).toEqual(operation === 'popItem' ? ['original'] : [])
    })

    // js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'restores history before a newer wrapper addItems mutation'
    it('lands an item added during the restore after the restored history', async () => {
      let failing = false
      const view = new ListSession('view', { add: () => (failing ? ((failing = false), 'partial') : undefined) })
      const { session } = await setup({ mode: 'input', view })
      await session.addItems([user('original'), assistantMessage('original reply')])
      await session.runCompaction({ force: true })
      const compacted = await session.getItems()
      failing = true
      // The new history's clear comes first, then the restore's clear: hold the restore there.
      const hold = { reached: deferred(), release: deferred() }
      const clear = view.clearSession.bind(view)
      let clears = 0
      view.clearSession = async () => {
        if (++clears === 2) view.holdNextClear = hold
        return clear()
      }
      const compaction = session.runCompaction({ force: true })
      await hold.reached.promise
      const newer = session.addItems([assistantMessage('newer reply')])
      hold.release.resolve()
      await expect(compaction).rejects.toBeInstanceOf(CompactionError)
      await newer
      expect(await session.getItems()).toEqual([...compacted, assistantMessage('newer reply')])
      expect(texts(await session.getTranscript())).toEqual(['original', 'original reply', 'newer reply'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'propagates lastResponseId to sessions after persisting items'
    // python tests/memory/test_openai_responses_compaction_session.py::test_compaction_runs_during_runner_flow
    it('is compacted by the runner after the turn is saved, with that response id', async () => {
      const { script, client, session } = await setup({ trigger: () => true, turns: ['ok'] })
      const result = await new Runner({ client, model: 'gpt-test' }).run(new Agent({ name: 'assistant' }), 'hello', { session })
      const [body] = await compactBodies(script)
      expect(body).toEqual({ model: 'gpt-4.1', previous_response_id: result.lastResponseId })
      expect(kindsOf(await session.getItems())).toEqual(['user', 'compaction'])
      expect(texts(await session.getTranscript())).toEqual(['hello', 'ok'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'invokes runCompaction when responseId is undefined'
    it('is still offered a compaction by the runner when the request held only part of the history', async () => {
      const { script, client, session } = await setup({ trigger: () => true, turns: ['ok'] })
      await session.addItems([user('earlier'), assistantMessage('earlier answer')])
      await new Runner({ client, model: 'gpt-test' }).run(new Agent({ name: 'assistant' }), 'hello', { session, sessionSettings: { limit: 1 } })
      const [body] = await compactBodies(script)
      expect(body).not.toHaveProperty('previous_response_id')
      expect(texts(body!.input as AgentItem[])).toEqual(['earlier', 'earlier answer', 'hello', 'ok'])
    })
  })
}

// python compacts get_items(): before the first compaction, the window the model is sent (bounded, whatever the transcript's length).
it('shows the whole transcript of an underlying session with a default window, and compacts the window the model is sent', async () => {
  const script = await createServerScript(serverUrl, [])
  const session = new OpenAIResponsesCompactionSession({
    underlyingSession: new MemorySession(`cmp-port-window-${++counter}`, { settings: { limit: 2 } }),
    client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 }),
    compactionMode: 'input',
  })
  await session.addItems([user('u1'), assistantMessage('a1'), user('u2'), assistantMessage('a2')])
  expect(texts(await session.getTranscript())).toEqual(['u1', 'a1', 'u2', 'a2'])
  await session.runCompaction({ force: true })
  const [body] = await compactBodies(script)
  expect(texts(body!.input as AgentItem[])).toEqual(['u2', 'a2'])
  expect(kindsOf(await session.getItems())).toEqual(['user', 'compaction'])
  expect(texts(await session.getTranscript())).toEqual(['u1', 'a1', 'u2', 'a2'])
})

// js packages/agents-openai/test/openaiConversationsSession.test.ts: 'preserves the conversation ID when replacing history with compaction'
// (JS refuses a Conversations-backed session under compaction — 'rejects conversations-backed sessions'; here
// the conversation is the transcript and is never deleted or rewritten, the compacted view lives beside it.)
// (A Conversations session not created yet is wrapped too: the next test, FINDINGS.md F18.)
it('compacting over an existing Conversations session keeps that conversation, its id and its items', async () => {
  const script = await createServerScript(serverUrl, [])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const conversation = new OpenAIConversationsSession({ client, conversationId: (await client.conversations.create({})).id })
  const session = new OpenAIResponsesCompactionSession({ underlyingSession: conversation, client, compactionMode: 'input' })
  await session.addItems([user('hello'), assistantMessage('world')])
  const id = conversation.sessionId
  const before = await conversation.getItems()
  await session.runCompaction({ force: true })
  expect(kindsOf(await session.getItems())).toEqual(['user', 'compaction'])
  expect(await conversation.getSessionId()).toBe(id)
  expect(await conversation.getItems()).toEqual(before)
  expect((await script.requests()).filter((r) => r.method === 'DELETE')).toEqual([])
})

// js packages/agents-openai/test/openaiResponsesCompactionSession.test.ts: 'rejects conversations-backed sessions'
// (FINDINGS.md F18: the constructor threw `sessionId must be a non-empty string, got ""`.)
it('compacting over a Conversations session not created yet: created on first use, its id the session id, also after a clear', async () => {
  const script = await createServerScript(serverUrl, ['hi there'])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const conversation = new OpenAIConversationsSession({ client })
  const session = new OpenAIResponsesCompactionSession({ underlyingSession: conversation, client, compactionMode: 'input' })
  expect(session.sessionId).toBe('')
  expect((await script.requests()).filter((r) => r.path === '/v1/conversations')).toEqual([])
  await new Runner({ client, model: 'gpt-test' }).run(new Agent({ name: 'a' }), 'hello', { session })
  expect(conversation.sessionId).toMatch(/^conv_/)
  expect(session.sessionId).toBe(conversation.sessionId)
  expect(await session.getSessionId()).toBe(conversation.sessionId)
  expect(texts(await session.getItems())).toEqual(['hello', 'hi there'])
  await session.runCompaction({ force: true })
  expect(kindsOf(await session.getItems())).toEqual(['user', 'compaction'])
  expect(texts(await conversation.getItems())).toEqual(['hello', 'hi there'])
  const first = session.sessionId
  await session.clearSession()
  expect(session.sessionId).toBe('')
  await session.addItems([user('again')])
  expect(session.sessionId).toBe(conversation.sessionId)
  expect(session.sessionId).not.toBe(first)
  expect(texts(await session.getItems())).toEqual(['again'])
  // getSessionId creates the conversation, as the Conversations session's own does.
  const other = new OpenAIResponsesCompactionSession({ underlyingSession: new OpenAIConversationsSession({ client }), client })
  const id = await other.getSessionId()
  expect(id).toMatch(/^conv_/)
  expect(other.sessionId).toBe(id)
})

// A compaction session passes its Conversations session's prepareHistoryItemForModelInput on:
// the conversation's msg_ ids are not sent back, before or after a compaction.
it('a compaction session over a Conversations session sends assistant messages without their msg_ ids', async () => {
  const script = await createServerScript(serverUrl, ['Blue.', 'Still blue.'])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const conversation = new OpenAIConversationsSession({ client })
  const session = new OpenAIResponsesCompactionSession({ underlyingSession: conversation, client, compactionMode: 'input', shouldTriggerCompaction: () => false })
  expect(isModelInputPreparingSession(session)).toBe(true)
  expect(isModelInputPreparingSession(new OpenAIResponsesCompactionSession({ underlyingSession: new MemorySession(), client }))).toBe(false)
  const runner = new Runner({ client, model: 'gpt-test' })
  await runner.run(new Agent({ name: 'a' }), 'My favorite color is blue.', { session })
  expect((await session.getItems()).find((item) => item.role === 'assistant')).toHaveProperty('id')
  await runner.run(new Agent({ name: 'a' }), 'Which color?', { session })
  const sent = (await script.requests()).filter((r) => r.path === '/v1/responses').map((r) => (r.body as JsonObject).input as AgentItem[])
  const assistants = sent[1]!.filter((item) => item.role === 'assistant')
  expect(assistants.map((item) => texts([item])[0])).toEqual(['Blue.'])
  for (const item of assistants) expect(item).not.toHaveProperty('id')
})

// run() holds the run lock named by session.sessionId, read when the run starts: '' for a
// Conversations session whose conversation does not exist yet (and for a compaction
// session over one, since F18), then the conversation's id once the run created it.
it('a run on a compaction session over a new Conversations session holds the run lock of the id it then has', async () => {
  const script = await createServerScript(serverUrl, [])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const session = new OpenAIResponsesCompactionSession({ underlyingSession: new OpenAIConversationsSession({ client }), client, compactionMode: 'input' })
  const called = deferred()
  const answer = deferred()
  const model: Model = {
    async getResponse() {
      called.resolve()
      await answer.promise
      return { output: [assistantMessage('hi')], usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }
    },
    // eslint-disable-next-line require-yield
    async *getStreamedResponse() {
      throw new Error('not streamed here')
    },
  }
  const running = run(new Agent({ name: 'a', model }), 'hello', { session })
  await called.promise
  expect(session.sessionId).toMatch(/^conv_/)
  // Another run of this conversation started now must wait (the UI shows "answering" from this).
  const locked = await isRunLocked(session.sessionId)
  answer.resolve()
  await running
  expect(locked).toBe(true)
})

it('a run whose session cannot get its id (the conversation cannot be created) fails with a RunError, nothing stored', async () => {
  const unreachable: typeof fetch = async () => {
    throw new TypeError('fetch failed')
  }
  const client = createOpenAIClient({ baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0, fetch: unreachable })
  const session = new OpenAIResponsesCompactionSession({ underlyingSession: new OpenAIConversationsSession({ client }), client, compactionMode: 'input' })
  const model = new ScriptedModel(['never asked'])
  const error = await run(new Agent({ name: 'a', model }), 'hello', { session }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(RunError)
  expect((error as RunError).inputSaved).toBe(false)
  expect(model.requests).toHaveLength(0)
  expect(session.sessionId).toBe('')
})

// Review (run lock by getSessionId): the id is got before the lock only to name it; a run
// aborted before it starts sends nothing, as before, and leaves the conversation uncreated.
it('a run aborted before it starts, on a new Conversations session (bare or under compaction), creates no conversation', async () => {
  const script = await createServerScript(serverUrl, [])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const conversation = new OpenAIConversationsSession({ client })
  for (const session of [conversation, new OpenAIResponsesCompactionSession({ underlyingSession: conversation, client, compactionMode: 'input' })]) {
    const model = new ScriptedModel(['never asked'])
    const error = await run(new Agent({ name: 'a', model }), 'hello', { session, signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortError)
    expect((error as AbortError).inputSaved).toBe(false)
    expect(model.requests).toHaveLength(0)
  }
  expect((await script.requests()).filter((r) => r.path.startsWith('/v1/conversations'))).toEqual([])
  expect(conversation.sessionId).toBe('')
})

// The run is checked before its lock is named: a run refused for its arguments (a bad
// maxTurns, a run state paused elsewhere) creates no conversation either, in either mode.
it('a run refused for its arguments, on a new Conversations session (bare or under compaction), creates no conversation', async () => {
  const script = await createServerScript(serverUrl, [])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const conversation = new OpenAIConversationsSession({ client })
  const model = new ScriptedModel([{ toolCalls: [{ name: 'ask', arguments: {}, callId: 'c1' }] }])
  const ask = tool({ name: 'ask', description: 'Asks.', parameters: z.object({}), needsApproval: true, execute: () => 'ok' })
  const agent = new Agent({ name: 'a', model, tools: [ask] })
  const paused = await run(agent, 'hello', { session: new MemorySession('elsewhere') })
  const state = paused.state!
  state.approve(state.getInterruptions()[0]!)
  const asked = model.requests.length
  for (const session of [conversation, new OpenAIResponsesCompactionSession({ underlyingSession: conversation, client, compactionMode: 'input' })]) {
    for (const [input, options] of [['hello', { maxTurns: 0 }], [state, {}]] as const) {
      const refused = await run(agent, input, { session, ...options }).catch((e: unknown) => e)
      expect(refused).toMatchObject({ code: 'invalid_argument', inputSaved: false })
      const stream = await run(agent, input, { session, ...options, stream: true })
      expect(await stream.completed.catch((e: unknown) => e)).toMatchObject({ code: 'invalid_argument', inputSaved: false })
    }
  }
  expect(model.requests).toHaveLength(asked)
  expect((await script.requests()).filter((r) => r.path.startsWith('/v1/conversations'))).toEqual([])
  expect(conversation.sessionId).toBe('')
})
