// Human in the loop over a session, as the JavaScript Agents SDK's HITL scenario tests run it
// (MemorySession and OpenAIConversationsSession: approve, approve after a reload, reject,
// each turn stored once and whole), ported to every session kind here.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, run, RunState, tool, type AgentItem, type Session } from '../../src/index.js'
import { ScriptedModel, type ScriptedTurn } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { textOf } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

/** Items as short lines, whatever shape a store gives them back in. */
const lines = (items: readonly AgentItem[]) =>
  items.map((item) =>
    item.type === 'function_call_output'
      ? `output ${item.call_id}: ${String(item.output)}`
      : item.type === 'function_call'
        ? `call ${item.call_id} ${item.name}`
        : `${item.role}: ${textOf(item)}`,
  )

for (const kind of allKinds) {
  describe.each(modes)(`${kind.name}: approvals across turns (ported, %s)`, (mode) => {
    // js packages/agents-core/test/hitlMemorySessionScenario.test.ts: 'persists approvals, rehydration, and rejections across tools'
    // js packages/agents-openai/test/hitlOpenAIConversationsSession.test.ts: 'persists approvals, rehydration, and rejections across tools'
    // (JS ends a rejected stop_on_first_tool call with the rejection as the final output; here
    // the model hears the rejection and answers, as test/runner/approvals.test.ts documents.)
    it('stores each approved or rejected turn once and whole, on the object that paused or another one', async () => {
      const executed: string[] = []
      const echo = tool({
        name: 'approval_echo',
        description: 'Echoes the text once approved.',
        parameters: z.object({ text: z.string() }),
        needsApproval: true,
        execute: ({ text }) => (executed.push('echo'), `approved:${text}`),
      })
      const note = tool({
        name: 'approval_note',
        description: 'Notes the text once approved.',
        parameters: z.object({ text: z.string() }),
        needsApproval: true,
        execute: ({ text }) => (executed.push('note'), `approved_note:${text}`),
      })
      const turns: ScriptedTurn[] = [
        { toolCalls: [{ name: 'approval_echo', arguments: { text: 'first' }, callId: 'call_1' }] },
        { toolCalls: [{ name: 'approval_note', arguments: { text: 'second' }, callId: 'call_2' }] },
        { toolCalls: [{ name: 'approval_echo', arguments: { text: 'third' }, callId: 'call_3' }] },
        'Understood, not echoed.',
      ]
      const model = new ScriptedModel(turns)
      const agent = new Agent({ name: 'hitl', model, tools: [echo, note], toolUseBehavior: 'stop_on_first_tool' })
      const session = kind.make()

      async function step(on: Session, message: string, decision: 'approve' | 'reject') {
        const before = (await on.getItems()).length
        const paused = await runIn(mode, agent, message, { session: on })
        expect(paused.interruptions).toHaveLength(1)
        if (decision === 'approve') paused.state!.approve(paused.interruptions[0]!)
        else paused.state!.reject(paused.interruptions[0]!)
        const resumed = await runIn(mode, agent, paused.state!, { session: on })
        expect(resumed.interruptions).toEqual([])
        return { finalOutput: resumed.finalOutput, added: lines((await on.getItems()).slice(before)) }
      }

      const first = await step(session, 'first', 'approve')
      expect(first.finalOutput).toBe('approved:first')
      expect(first.added).toEqual(['user: first', 'call call_1 approval_echo', 'output call_1: approved:first'])
      // Another object on the same stored session stands for a reload (where the kind stores it outside the object).
      const reloaded = kind.reopen?.(session) ?? session
      const second = await step(reloaded, 'second', 'approve')
      expect(second.finalOutput).toBe('approved_note:second')
      expect(second.added).toEqual(['user: second', 'call call_2 approval_note', 'output call_2: approved_note:second'])
      const third = await step(reloaded, 'third', 'reject')
      expect(third.finalOutput).toBe('Understood, not echoed.')
      expect(third.added).toEqual(['user: third', 'call call_3 approval_echo', 'output call_3: Tool execution was not approved.', 'assistant: Understood, not echoed.'])
      expect(executed).toEqual(['echo', 'note'])
      expect(await session.getItems()).toHaveLength(10)
    })

    // js packages/agents-core/test/run.test.ts: 'does not duplicate already persisted items when the resumed run continues into additional turns'
    it('stores every item once when the resumed run goes on to another tool turn', async () => {
      const weather = tool({ name: 'get_weather', description: 'Weather.', parameters: z.object({ city: z.string() }), needsApproval: async () => true, execute: ({ city }) => `Sunny in ${city}` })
      const time = tool({ name: 'get_time', description: 'Time.', parameters: z.object({ city: z.string() }), execute: ({ city }) => `12:00PM in ${city}` })
      const model = new ScriptedModel([
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oakland' }, callId: 'call_weather_1' }] },
        { toolCalls: [{ name: 'get_time', arguments: { city: 'Oakland' }, callId: 'call_time_1' }] },
        'It is sunny in Oakland and it is noon.',
      ])
      const agent = new Agent({ name: 'assistant', model, tools: [weather, time] })
      const session = kind.make()
      const first = await runIn(mode, agent, "What's the weather and time in Oakland?", { session, sessionInputCallback: (history, input) => [...history, ...input] })
      for (const interruption of first.interruptions) first.state!.approve(interruption)
      const resumed = await runIn(mode, agent, first.state!, { session })
      expect(resumed.finalOutput).toBe('It is sunny in Oakland and it is noon.')
      expect(lines(await session.getItems())).toEqual([
        "user: What's the weather and time in Oakland?",
        'call call_weather_1 get_weather',
        'output call_weather_1: Sunny in Oakland',
        'call call_time_1 get_time',
        'output call_time_1: 12:00PM in Oakland',
        'assistant: It is sunny in Oakland and it is noon.',
      ])
    })

    // python tests/test_agent_runner_streamed.py::test_streaming_resume_with_session_does_not_duplicate_items (state through to_state / a string)
    it('resumes from the state kept as a string, on another object of the same session, storing the turn once', async () => {
      const tested = tool({ name: 'test_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => 'tool_result' })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'test_tool', arguments: {}, callId: 'call-string' }] }, 'done'])
      const agent = new Agent({ name: 'test', model, tools: [tested] })
      const session = kind.make()
      const first = await runIn(mode, agent, 'Use test_tool', { session })
      const saved = first.state!.toString()
      const again = kind.reopen?.(session) ?? session
      const state = await RunState.fromString(agent, saved)
      state.approve(state.getInterruptions()[0]!)
      expect((await runIn(mode, agent, state, { session: again })).finalOutput).toBe('done')
      expect(lines(await again.getItems())).toEqual(['user: Use test_tool', 'call call-string test_tool', 'output call-string: tool_result', 'assistant: done'])
    })

    // python tests/test_agent_runner_streamed.py::test_streaming_resume_with_session_does_not_duplicate_items
    // python tests/test_agent_runner_streamed.py::test_streaming_resume_persists_tool_outputs_on_run_again
    it('saves the approved call and its output once before the model answers them', async () => {
      const tested = tool({ name: 'test_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => 'tool_result' })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'test_tool', arguments: {}, callId: 'call-resume' }] }, 'done'])
      const agent = new Agent({ name: 'test', model, tools: [tested] })
      const session = kind.make()
      const first = await runIn(mode, agent, 'Use test_tool', { session })
      expect(first.interruptions).toHaveLength(1)
      first.state!.approve(first.interruptions[0]!)
      const resumed = await runIn(mode, agent, first.state!, { session })
      expect(resumed.finalOutput).toBe('done')
      expect(lines(await session.getItems())).toEqual(['user: Use test_tool', 'call call-resume test_tool', 'output call-resume: tool_result', 'assistant: done'])
      expect(lines(model.requests[1]!.input)).toEqual(['user: Use test_tool', 'call call-resume test_tool', 'output call-resume: tool_result'])
    })
  })
}
