// A `function_call_output` given as run input: how a UI answers a client-side tool call.
// Ported from the Python Agents SDK (tests/test_agent_runner.py), on every session kind.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, MemorySession, run, tool, type AgentItem } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { assistant, functionCall, functionOutput, textOf, user } from './support/items.js'

/** Items as short lines, whatever shape a store gives them back in (the Conversations API adds ids and parts). */
const lines = (items: readonly AgentItem[]) =>
  items.map((item) =>
    item.type === 'function_call_output' ? `output ${item.call_id}: ${String(item.output)}` : item.type === 'function_call' ? `call ${item.call_id}` : textOf(item),
  )
const outputsOf = (items: readonly AgentItem[]) => items.filter((item) => item.type === 'function_call_output').map((item) => item.output)

for (const kind of allKinds) {
  describe(`${kind.name}: a tool output given as run input (ported)`, () => {
    // python tests/test_agent_runner.py::test_prepare_input_with_session_preserves_new_function_call_outputs
    it('is sent as given even when its call is outside the history window', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      await session.addItems([user('look it up'), functionCall('call_prepare'), user('later')])
      await run(new Agent({ name: 'test', model }), [functionOutput('call_prepare', 'ok')], { session, sessionSettings: { limit: 1 } })
      expect(lines(model.requests[0]!.input)).toEqual(['later', 'output call_prepare: ok'])
      expect(outputsOf(await session.getItems())).toEqual(['ok'])
    })

    it('is sent as given on a session with nothing stored (never an empty request)', async () => {
      const model = new ScriptedModel(['answer'])
      await run(new Agent({ name: 'test', model }), [functionOutput('call_prepare', 'ok')], { session: kind.make() })
      expect(lines(model.requests[0]!.input)).toEqual(['output call_prepare: ok'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_prefers_latest_function_call_output
    it('replaces an older stored output of the same call in what is sent; the stored history keeps both', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      await session.addItems([user('run it'), functionCall('c'), functionOutput('c', 'history-output')])
      await run(new Agent({ name: 'test', model }), [functionOutput('c', 'new-output')], { session })
      const sent = model.requests[0]!.input
      expect(outputsOf(sent)).toEqual(['new-output'])
      expect(sent.filter((item) => item.type === 'function_call').map((item) => item.call_id)).toEqual(['c'])
      expect(outputsOf(await session.getItems())).toEqual(['history-output', 'new-output'])
    })

    // python deduplicate_input_items_preferring_latest runs on every prepared input, history included.
    it('sends only the newest output of that call on the runs after, once both outputs are stored', async () => {
      const model = new ScriptedModel(['answer', 'answer 2'])
      const session = kind.make()
      const agent = new Agent({ name: 'test', model })
      await session.addItems([user('run it'), functionCall('c'), functionOutput('c', 'history-output')])
      await run(agent, [functionOutput('c', 'new-output')], { session })
      await run(agent, 'next', { session })
      expect(outputsOf(model.requests[1]!.input)).toEqual(['new-output'])
    })

    it('answers a stored call that had no output: the call and the output are both sent', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      await session.addItems([user('run it'), functionCall('c')])
      await run(new Agent({ name: 'test', model }), [functionOutput('c', 'from the UI')], { session })
      expect(lines(model.requests[0]!.input)).toEqual(['run it', 'call c', 'output c: from the UI'])
    })

    it('still leaves out of what is sent a stored output whose call is outside the window', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      await session.addItems([user('run it'), functionCall('c'), functionOutput('c', 'stored')])
      await run(new Agent({ name: 'test', model }), 'next', { session, sessionSettings: { limit: 1 } })
      expect(lines(model.requests[0]!.input)).toEqual(['next'])
    })
  })
}

describe('a tool output given as run input, in a run that pauses for approval', () => {
  const approvedTool = () =>
    tool({ name: 'delete_note', description: 'Delete a note.', parameters: z.object({}), needsApproval: true, execute: () => 'deleted' })

  it('with a session: the resumed request still holds it, as the first request did', async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: {}, callId: 'c_del' }] }, 'done'])
    const agent = new Agent({ name: 'test', model, tools: [approvedTool()] })
    const session = allKinds[0]!.make()
    const first = await run(agent, [functionOutput('c_ui', 'from the UI')], { session })
    first.state!.approve(first.interruptions[0]!)
    await run(agent, first.state!, { session })
    expect(outputsOf(model.requests[1]!.input)).toEqual(['from the UI', 'deleted'])
  })
})

// The API refuses a function_call without its output, an output without its call and a
// reasoning item without its follower (PITFALLS: python #4322). Only a tool output given
// to a session run may answer a call outside what is sent (F17); anything else unpaired
// is left out of what is sent, as before, and stays stored.
describe('unpaired items in the run input that the API would refuse', () => {
  const approvedTool = () =>
    tool({ name: 'delete_note', description: 'Delete a note.', parameters: z.object({}), needsApproval: true, execute: () => 'deleted' })

  it('without a session, a trimmed manual history (README pattern 3) starting with a tool output: the output is not sent', async () => {
    const model = new ScriptedModel(['answer'])
    const history = [user('look it up'), functionCall('c'), functionOutput('c', 'found'), assistant('here it is'), user('thanks')]
    await run(new Agent({ name: 'test', model }), [...history.slice(2), user('next')])
    expect(lines(model.requests[0]!.input)).toEqual(['here it is', 'thanks', 'next'])
  })

  it('without a session, manual history after a pause left unanswered: the waiting call is not sent', async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: {}, callId: 'c_del' }] }, 'fine'])
    const agent = new Agent({ name: 'test', model, tools: [approvedTool()] })
    const first = await run(agent, [user('delete it')])
    expect(first.interruptions).toHaveLength(1)
    await run(agent, [...first.toInputList(), user('never mind')])
    expect(lines(model.requests[1]!.input)).toEqual(['delete it', 'never mind'])
  })

  it('with a session, a function_call without output and the reasoning before it in the new input: not sent, stored', async () => {
    const model = new ScriptedModel(['answer'])
    const session = new MemorySession()
    const input = [{ type: 'reasoning', id: 'rs_1', summary: [] }, functionCall('c_x'), user('hi')]
    await run(new Agent({ name: 'test', model }), input, { session })
    expect(lines(model.requests[0]!.input)).toEqual(['hi'])
    expect((await session.getItems()).slice(0, 3)).toEqual(input)
  })
})
