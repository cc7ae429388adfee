// The Python Agents SDK's HITL session scenario: three turns, each a tool call that needs
// approval (the tool forced by the agent's tool choice), approved, approved on a session
// rebuilt from the first one's items, then rejected. Unlike the JavaScript scenario
// (approvals.test.ts) the second session is a new one seeded with the first one's history,
// and the model decides from what it is sent. Ported to every session kind.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, run, tool, TOOL_APPROVAL_REJECTION_MESSAGE, type AgentItem, type Session } from '../../src/index.js'
import { ScriptedModel, type ScriptedTurn } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { textOf } from './support/items.js'
import { runIn } from './support/run-modes.js'

const USER_MESSAGES = ['Fetch profile for customer 104.', 'Update note for customer 104.', 'Delete note for customer 104.']

/** Answers like the Python scenario's model: the rejection when one is in the input, else a call of the chosen tool with the last user message. */
function scenarioModel(): ScriptedModel {
  let calls = 0
  return new ScriptedModel((request): ScriptedTurn => {
    if (request.input.some((item) => item.type === 'function_call_output' && item.output === TOOL_APPROVAL_REJECTION_MESSAGE)) return TOOL_APPROVAL_REJECTION_MESSAGE
    const choice = request.modelSettings.toolChoice
    const name = typeof choice === 'string' && choice.startsWith('approved_') ? choice : 'approved_echo'
    const lastUser = [...request.input].reverse().find((item) => item.role === 'user')
    return { toolCalls: [{ name, arguments: { query: textOf(lastUser) }, callId: `call_${++calls}` }] }
  })
}

const count = (items: readonly AgentItem[]) => ({
  users: items.filter((item) => item.role === 'user').length,
  calls: items.filter((item) => item.type === 'function_call').length,
  outputs: items.filter((item) => item.type === 'function_call_output').length,
})

for (const kind of allKinds) {
  describe.each(['run', 'stream'] as const)(`${kind.name}: HITL scenario on a rehydrated session (ported, %s)`, (mode) => {
    // python tests/test_hitl_session_scenario.py::test_memory_session_hitl_scenario
    // python tests/test_hitl_session_scenario.py::test_openai_conversations_session_hitl_scenario
    it('approves, approves on a session seeded with the history, rejects: each turn stored once, each tool run once', async () => {
      const executed: Record<string, number> = {}
      const approvalTool = (name: string, prefix: string) =>
        tool({
          name,
          description: `${name} after approval.`,
          parameters: z.object({ query: z.string() }),
          needsApproval: true,
          execute: ({ query }) => ((executed[name] = (executed[name] ?? 0) + 1), `${prefix}:${query}`),
        })
      const tools = [approvalTool('approved_echo', 'approved'), approvalTool('approved_note', 'approved_note')]
      const model = scenarioModel()
      const steps = [
        { message: USER_MESSAGES[0]!, toolName: 'approved_echo', approve: true, expected: `approved:${USER_MESSAGES[0]}` },
        { message: USER_MESSAGES[1]!, toolName: 'approved_note', approve: true, expected: `approved_note:${USER_MESSAGES[1]}` },
        { message: USER_MESSAGES[2]!, toolName: 'approved_echo', approve: false, expected: TOOL_APPROVAL_REJECTION_MESSAGE },
      ]

      async function step(session: Session, turn: number) {
        const { message, toolName, approve, expected } = steps[turn]!
        const agent = new Agent({ name: `Scenario ${turn}`, instructions: `Always call ${toolName} before responding.`, model, tools, modelSettings: { toolChoice: toolName }, toolUseBehavior: 'stop_on_first_tool' })
        const before = (await session.getItems()).length
        const paused = await runIn(mode, agent, message, { session })
        expect(paused.interruptions).toHaveLength(1)
        const approval = paused.interruptions[0]!
        if (approve) paused.state!.approve(approval)
        else paused.state!.reject(approval)
        const resumed = await runIn(mode, agent, paused.state!, { session })
        expect(resumed.interruptions).toEqual([])
        expect(resumed.finalOutput).toBe(expected)
        const items = await session.getItems()
        expect(count(items)).toEqual({ users: turn + 1, calls: turn + 1, outputs: turn + 1 })
        const added = items.slice(before)
        expect(count(added)).toEqual({ users: 1, calls: 1, outputs: 1 })
        expect(textOf(added.find((item) => item.role === 'user'))).toBe(message)
        const call = [...items].reverse().find((item) => item.type === 'function_call')!
        const output = [...items].reverse().find((item) => item.type === 'function_call_output')!
        expect(call.name).toBe(toolName)
        expect(call.call_id).toBe(approval.rawItem.call_id)
        expect(output.call_id).toBe(approval.rawItem.call_id)
        expect(output.output).toBe(approve ? expected : TOOL_APPROVAL_REJECTION_MESSAGE)
        return items
      }

      const session = kind.make()
      const firstItems = await step(session, 0)
      const rehydrated = kind.sibling!(session)
      await rehydrated.addItems(firstItems)
      await step(rehydrated, 1)
      await step(rehydrated, 2)
      expect(executed).toEqual({ approved_echo: 1, approved_note: 1 })
      expect(count(await session.getItems())).toEqual({ users: 1, calls: 1, outputs: 1 })
    })
  })
}
