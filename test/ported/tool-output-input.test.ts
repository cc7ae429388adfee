// A `function_call_output` given as run input: how a UI answers a client-side tool call.
// Ported from the Python Agents SDK (tests/test_agent_runner.py), on every session kind.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, run, tool, type AgentItem } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { functionCall, functionOutput, textOf, user } from './support/items.js'

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

  it('without a session: the resumed request still holds it, as the first request did', async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: {}, callId: 'c_del' }] }, 'done'])
    const agent = new Agent({ name: 'test', model, tools: [approvedTool()] })
    const first = await run(agent, [functionOutput('c_ui', 'from the UI')])
    expect(outputsOf(model.requests[0]!.input)).toEqual(['from the UI'])
    first.state!.approve(first.interruptions[0]!)
    await run(agent, first.state!)
    expect(outputsOf(model.requests[1]!.input)).toEqual(['from the UI', 'deleted'])
  })

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
