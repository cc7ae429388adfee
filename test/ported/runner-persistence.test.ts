// How the runner loads and saves history, as the Python and JavaScript Agents SDKs test it
// (runner + SQLiteSession / MemorySession / EncryptedSession / SQLAlchemySession /
// OpenAIConversationsSession), ported to every session kind, non-streamed and streamed.
import { describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { AbortError, Agent, MaxTurnsExceededError, createOpenAIClient, run, RunError, Runner, tool, type AgentItem, type RunResult } from '../../src/index.js'
import { createServerScript, ScriptedModel, type ScriptedTurn } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { assistant, deferred, functionCall, functionOutput, RecordingSession, storedTexts, texts, user } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

const echo = tool({
  name: 'echo_tool',
  description: 'Echoes the text.',
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => `Echo: ${text}`,
})

const agentWith = (model: ScriptedModel) => new Agent({ name: 'test', model, tools: [echo] })
/** A message as its role, anything else as its type. */
const typesOf = (items: readonly AgentItem[]) => items.map((i) => (typeof i.role === 'string' ? i.role : i.type))

// python tests/memory/test_session.py::test_session_memory_disabled_parametrized
it.each(modes)('without a session nothing is remembered between runs (%s)', async (mode) => {
  const model = new ScriptedModel(['Hello', "I don't remember"])
  const agent = agentWith(model)
  await runIn(mode, agent, 'Hi there')
  const second = await runIn(mode, agent, 'Do you remember what I said?')
  expect(second.finalOutput).toBe("I don't remember")
  expect(texts(model.requests[1]!.input)).toEqual(['Do you remember what I said?'])
})

for (const kind of allKinds) {
  describe.each(modes)(`${kind.name}: runner persistence (ported, %s)`, (mode) => {
    // python tests/memory/test_session.py::test_session_memory_basic_functionality_parametrized
    // python tests/memory/test_session.py::test_session_memory_with_explicit_instance_parametrized
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_runner_integration
    // python tests/extensions/memory/test_encrypt_session.py::test_encrypted_session_with_runner
    // python tests/extensions/memory/test_async_sqlite_session.py::test_async_sqlite_session_runner_integration
    // js packages/agents-core/test/run.test.ts: 'uses session history and stores run results'
    it('sends the earlier exchange with the next question and stores both turns', async () => {
      const model = new ScriptedModel(['San Francisco', 'California'])
      const session = kind.make()
      const agent = agentWith(model)
      expect((await runIn(mode, agent, 'What city is the Golden Gate Bridge in?', { session })).finalOutput).toBe('San Francisco')
      expect((await runIn(mode, agent, 'What state is it in?', { session })).finalOutput).toBe('California')
      expect(texts(model.requests[1]!.input)).toEqual(['What city is the Golden Gate Bridge in?', 'San Francisco', 'What state is it in?'])
      expect(await storedTexts(session)).toEqual(['What city is the Golden Gate Bridge in?', 'San Francisco', 'What state is it in?', 'California'])
    })

    // python tests/memory/test_session.py::test_session_memory_different_sessions_parametrized
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_session_isolation
    // python tests/extensions/memory/test_async_sqlite_session.py::test_async_sqlite_session_session_isolation
    it('keeps two conversations apart: cats stay in the first, dogs in the second', async () => {
      const model = new ScriptedModel(['I like cats', 'I like dogs', 'Yes, you mentioned cats'])
      const agent = agentWith(model)
      const cats = kind.make()
      const dogs = kind.sibling!(cats)
      await runIn(mode, agent, 'I like cats', { session: cats })
      await runIn(mode, agent, 'I like dogs', { session: dogs })
      await runIn(mode, agent, 'What did I say I like?', { session: cats })
      expect(texts(model.requests[1]!.input)).toEqual(['I like dogs'])
      expect(texts(model.requests[2]!.input)).toEqual(['I like cats', 'I like cats', 'What did I say I like?'])
    })

    // python tests/memory/test_session.py::test_session_memory_appends_list_input_by_default
    // js packages/agents-core/test/run.test.ts: 'allows list inputs with session history and no session input callback'
    it('appends a list input to the stored history', async () => {
      const model = new ScriptedModel(['This should run'])
      const session = kind.make()
      await session.addItems([user('Earlier message'), assistant('Saved reply')])
      await runIn(mode, agentWith(model), [user('Test message')], { session })
      expect(texts(model.requests[0]!.input)).toEqual(['Earlier message', 'Saved reply', 'Test message'])
      expect(await storedTexts(session)).toEqual(['Earlier message', 'Saved reply', 'Test message', 'This should run'])
    })

    // python tests/memory/test_session.py::test_runner_with_session_settings_override
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_runner_with_session_settings_override
    // python tests/extensions/memory/test_encrypt_session.py::test_runner_with_session_settings_override
    // python tests/extensions/memory/test_sqlalchemy_session.py::test_runner_with_session_settings_override
    it("lets the run's sessionSettings override the session's own limit", async () => {
      const model = new ScriptedModel(['Got it'])
      const session = kind.make({ settings: { limit: 100 } })
      await session.addItems(Array.from({ length: 10 }, (_, i) => user(`Turn ${i}`)))
      await runIn(mode, agentWith(model), 'New question', { session, sessionSettings: { limit: 2 } })
      expect(texts(model.requests[0]!.input)).toEqual(['Turn 8', 'Turn 9', 'New question'])
      expect(await session.getItems(Infinity)).toHaveLength(12)
    })

    // python tests/memory/test_session_limit.py::test_session_limit_zero
    // python tests/memory/test_session_limit.py::test_session_limit_none_gets_all_history
    // python tests/memory/test_session_limit.py::test_session_limit_larger_than_history
    it('sends no history with limit 0, all of it without a limit or with a larger one', async () => {
      const model = new ScriptedModel(['Reply 1', 'Reply 2', 'Reply 3', 'Reply 4', 'Reply 5'])
      const session = kind.make()
      const agent = agentWith(model)
      await runIn(mode, agent, 'Message 1', { session })
      await runIn(mode, agent, 'Message 2', { session, sessionSettings: { limit: 100 } })
      expect(texts(model.requests[1]!.input)).toEqual(['Message 1', 'Reply 1', 'Message 2'])
      await runIn(mode, agent, 'Message 3', { session, sessionSettings: { limit: 0 } })
      expect(texts(model.requests[2]!.input)).toEqual(['Message 3'])
      await runIn(mode, agent, 'Message 4', { session, sessionSettings: {} })
      expect(model.requests[3]!.input).toHaveLength(7)
      await runIn(mode, agent, 'Message 5', { session })
      expect(texts(model.requests[4]!.input)[0]).toBe('Message 1')
      expect(model.requests[4]!.input).toHaveLength(9)
    })

    // python tests/memory/test_session_limit.py::test_session_limit_drops_unmatched_history_function_call_output
    // python tests/test_agent_runner.py::test_prepare_input_with_session_drops_limited_orphan_history_function_call_outputs
    it('drops an output whose call the limit window cut off from what is sent, never from what is stored', async () => {
      const model = new ScriptedModel(['Tomorrow is sunny too.'])
      const session = kind.make()
      await session.addItems([user('What is the weather?'), functionCall('call_1', 'get_weather'), functionOutput('call_1', 'sunny'), assistant('It is sunny.')])
      expect(typesOf(await session.getItems(2))).toEqual(['function_call_output', 'assistant'])
      await runIn(mode, agentWith(model), 'What about tomorrow?', { session, sessionSettings: { limit: 2 } })
      expect(texts(model.requests[0]!.input)).toEqual(['It is sunny.', 'What about tomorrow?'])
      expect(model.requests[0]!.input.some((i) => i.type === 'function_call_output')).toBe(false)
      expect((await session.getItems()).filter((i) => i.type === 'function_call_output')).toHaveLength(1)
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_keeps_paired_history_function_call_outputs
    it('sends a stored call and its output when the limit window holds both', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      await session.addItems([user('earlier'), functionCall('call_prepare'), functionOutput('call_prepare', 'ok')])
      await runIn(mode, agentWith(model), 'hello', { session, sessionSettings: { limit: 2 } })
      expect(typesOf(model.requests[0]!.input)).toEqual(['function_call', 'function_call_output', 'user'])
      expect(model.requests[0]!.input.map((i) => i.call_id ?? null)).toEqual(['call_prepare', 'call_prepare', null])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_drops_orphan_function_calls
    // python tests/test_agent_runner.py::test_prepare_input_with_session_keeps_orphan_output_without_limit
    // (Python sends an output whose call was never stored when no limit cut it off; the API
    // refuses such an output, so here it is left out of what is sent as any orphan is: PITFALLS.md)
    it('leaves a stored call without output, and an output without call, out of what is sent with no limit; both stay stored', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      await session.addItems([functionOutput('orphan_output', 'ok'), user('earlier'), functionCall('orphan_call')])
      await runIn(mode, agentWith(model), 'hello', { session })
      expect(typesOf(model.requests[0]!.input)).toEqual(['user', 'user'])
      expect(texts(model.requests[0]!.input)).toEqual(['earlier', 'hello'])
      expect(typesOf(await session.getItems())).toEqual(['function_call_output', 'user', 'function_call', 'user', 'assistant'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_leaves_custom_callback_output_unchanged
    // (Python sends what the callback returns as is, an orphan output included; here what is
    // sent is always something the API accepts, so the output the window cut from its call is not)
    it('leaves an orphan output the sessionInputCallback returns out of what is sent, and saves only the new message', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('earlier'), functionCall('call_callback'), functionOutput('call_callback', 'ok')])
      await runIn(mode, agentWith(model), 'hello', {
        session,
        sessionSettings: { limit: 1 },
        sessionInputCallback: (history, input) => [...history, ...input],
      })
      expect(typesOf(model.requests[0]!.input)).toEqual(['user'])
      expect(texts(model.requests[0]!.input)).toEqual(['hello'])
      expect(session.batches.flatMap(texts)).toEqual(['hello', 'answer'])
    })

    // python tests/test_agent_runner.py::test_session_add_items_called_multiple_times_for_multi_turn_completion
    // python tests/test_agent_runner_streamed.py::test_streamed_run_again_persists_tool_items_to_session
    // python tests/memory/test_session.py (history saved once: openai-agents-python #1699)
    it('saves the input once, each model response with its tool outputs, and the answer', async () => {
      const model = new ScriptedModel([
        { toolCalls: [{ name: 'echo_tool', arguments: { text: 'foo' }, callId: 'c1' }] },
        { toolCalls: [{ name: 'echo_tool', arguments: { text: 'bar' }, callId: 'c2' }] },
        'Summary: Echoed foo and bar',
      ])
      const session = new RecordingSession(kind.make())
      const result = await runIn(mode, agentWith(model), 'foo and bar', { session })
      expect(result.finalOutput).toBe('Summary: Echoed foo and bar')
      expect(session.batches.map(typesOf)).toEqual([['user', 'function_call', 'function_call_output'], ['function_call', 'function_call_output'], ['assistant']])
      const stored = await session.getItems()
      expect(typesOf(stored)).toEqual(['user', 'function_call', 'function_call_output', 'function_call', 'function_call_output', 'assistant'])
      expect(stored.filter((i) => i.type === 'function_call_output').map((i) => [i.call_id, i.output])).toEqual([
        ['c1', 'Echo: foo'],
        ['c2', 'Echo: bar'],
      ])
      expect(stored.filter((i) => i.role === 'user')).toHaveLength(1)
    })

    // python tests/test_agent_runner_streamed.py::test_stream_input_persistence_saves_only_new_turn_input
    it("saves only each run's own input, once, across runs", async () => {
      const model = new ScriptedModel(['first', 'second'])
      const session = new RecordingSession(kind.make())
      const agent = agentWith(model)
      const merge = (history: AgentItem[], input: AgentItem[]) => [...history, ...input]
      await runIn(mode, agent, [user('hello')], { session, sessionInputCallback: merge })
      await runIn(mode, agent, [user('next')], { session, sessionInputCallback: merge })
      expect(session.batches.map(texts)).toEqual([['hello', 'first'], ['next', 'second']])
      expect(await storedTexts(session)).toEqual(['hello', 'first', 'next', 'second'])
    })

    // js packages/agents-core/test/run.test.ts: 'persists accepted tool results before surfacing cancellation'
    // js packages/agents-core/test/run.test.ts: 'does not persist a cancelled tool turn again when its state resumes'
    it('saves the call and output of a tool that finished after an abort, and continuing sends them once', async () => {
      const controller = new AbortController()
      const started = deferred()
      const finish = deferred()
      const stubborn = tool({
        name: 'stubborn',
        description: 'Finishes whatever the signal says.',
        parameters: z.object({}),
        execute: async () => {
          started.resolve()
          await finish.promise
          return 'completed tool result'
        },
      })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'stubborn', arguments: {}, callId: 'call_stubborn' }] }, 'after the tool'])
      const agent = new Agent({ name: 'test', model, tools: [stubborn] })
      const session = kind.make()
      const running = runIn(mode, agent, 'start', { session, signal: controller.signal }).catch((e: unknown) => e)
      await started.promise
      controller.abort(new Error('stop after tool result'))
      finish.resolve()
      const error = await running
      expect(error).toBeInstanceOf(AbortError)
      expect(error).toMatchObject({ inputSaved: true })
      expect(typesOf(await session.getItems())).toEqual(['user', 'function_call', 'function_call_output'])
      expect((await session.getItems())[2]).toMatchObject({ call_id: 'call_stubborn', output: 'completed tool result' })
      expect(model.requests).toHaveLength(1)
      expect((await runIn(mode, agent, [], { session })).finalOutput).toBe('after the tool')
      expect(typesOf(model.requests[1]!.input)).toEqual(['user', 'function_call', 'function_call_output'])
      expect(typesOf(await session.getItems())).toEqual(['user', 'function_call', 'function_call_output', 'assistant'])
    })

    // python tests/test_max_turns.py::test_non_streamed_max_turns_handler_persists_output_to_session
    // python tests/test_max_turns.py::test_streamed_max_turns_handler_persists_output_to_session
    // (there is no max-turns error handler here: the run throws MaxTurnsExceededError and the
    // conversation is continued with run(agent, [], { session }), as the error says)
    it('keeps the finished tool turn when maxTurns is reached, and continuing sends it once', async () => {
      const model = new ScriptedModel([{ toolCalls: [{ name: 'echo_tool', arguments: { text: 'a' }, callId: 'call_max' }] }, 'fallback answer'])
      const agent = agentWith(model)
      const session = kind.make()
      const error = await runIn(mode, agent, 'user_message', { session, maxTurns: 1 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MaxTurnsExceededError)
      expect(error).toMatchObject({ inputSaved: true })
      expect(typesOf(await session.getItems())).toEqual(['user', 'function_call', 'function_call_output'])
      expect((await runIn(mode, agent, [], { session })).finalOutput).toBe('fallback answer')
      expect(typesOf(model.requests[1]!.input)).toEqual(['user', 'function_call', 'function_call_output'])
      expect(typesOf(await session.getItems())).toEqual(['user', 'function_call', 'function_call_output', 'assistant'])
    })

    // python tests/memory/test_session.py::test_session_add_items_exception_propagates_in_streamed
    it('fails the run with a typed error, never a hang, when saving fails', async () => {
      const model = new ScriptedModel(['This should not be reached'])
      const session = new RecordingSession(kind.make())
      const failure = new Error('Simulated session.addItems failure')
      session.failNextAdd = failure
      const error = await runIn(mode, agentWith(model), 'Hello', { session }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RunError)
      expect((error as RunError).cause).toBe(failure)
      expect((error as Error).message).toMatch(/Simulated session.addItems failure/)
      expect(error).toMatchObject({ inputSaved: false })
      expect(await session.getItems()).toEqual([])
    })
  })

  // python tests/test_agent_runner.py::test_non_streamed_model_retry_does_not_rewind_committed_session_input
  // python tests/test_agent_runner_streamed.py::test_streamed_model_retry_does_not_rewind_committed_session_input
  // js packages/agents-core/test/run.test.ts: 'does not persist duplicate user input when a model retry succeeds in the same run'
  it.each(modes)(`${kind.name}: a retried model call neither rewinds nor repeats the stored input (ported, %s)`, async (mode) => {
    const turns: ScriptedTurn[] = [{ status: 503, headers: { 'retry-after-ms': '0' } }, 'done']
    const script = await createServerScript(inject('apiServerUrl'), turns)
    const runner = new Runner({ client: createOpenAIClient({ baseURL: script.baseURL, maxRetries: 1 }), model: 'gpt-test' })
    const session = new RecordingSession(kind.make())
    await session.addItems([user('previous')])
    const agent = new Agent({ name: 'test' })
    let result: RunResult
    if (mode === 'run') result = await runner.run(agent, 'test', { session })
    else {
      const stream = await runner.run(agent, 'test', { session, stream: true })
      for await (const _event of stream) {
        // drain
      }
      result = await stream.completed
    }
    expect(result.finalOutput).toBe('done')
    expect((await script.requests()).filter((r) => r.path === '/v1/responses')).toHaveLength(2)
    const stored = await session.getItems()
    expect(stored.map((i) => i.role)).toEqual(['user', 'user', 'assistant'])
    expect(texts(stored)).toEqual(['previous', 'test', 'done'])
    expect(session.pops).toBe(0)
    await script.dispose()
  })
}
