// A run that ends on a tool's output (`toolUseBehavior`), as the JavaScript Agents SDK's
// output-guardrail session tests run it when the guardrail passes: one model call, the tool
// run once, its call and output stored once, and the next run sends them. Every session kind,
// non-streamed and streamed.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, run, tool } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { itemLines } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

const behaviors = [
  { name: 'stop_on_first_tool', value: 'stop_on_first_tool' as const },
  { name: 'stopAtToolNames', value: { stopAtToolNames: ['sensitive_tool'] } },
]

for (const kind of allKinds) {
  describe.each(modes)(`${kind.name}: a run ending on a tool's output (ported, %s)`, (mode) => {
    for (const behavior of behaviors) {
      // js packages/agents-core/test/run.outputGuardrailReplaySession.test.ts: 'handles $behaviorName in $mode mode when guardrails trip=$tripwire' (trip=false; the custom finalizer function has no counterpart here)
      it(`${behavior.name}: calls the model once, runs the tool once, stores call and output once, and the next run sends them`, async () => {
        let executed = 0
        const sensitive = tool({ name: 'sensitive_tool', description: 'Returns a value.', parameters: z.object({}), execute: () => (executed++, 'sensitive tool output') })
        const model = new ScriptedModel([{ toolCalls: [{ name: 'sensitive_tool', arguments: {}, callId: 'sensitive-call' }] }])
        const agent = new Agent({ name: 'Terminal tool Session agent', model, tools: [sensitive], toolUseBehavior: behavior.value })
        const session = kind.make()
        const result = await runIn(mode, agent, 'input', { session })
        expect(result.finalOutput).toBe('sensitive tool output')
        expect(model.requests).toHaveLength(1)
        expect(executed).toBe(1)
        const turn = ['user: input', 'call sensitive-call', 'output sensitive-call: sensitive tool output']
        expect(itemLines(await session.getItems())).toEqual(turn)

        const replayModel = new ScriptedModel(['safe replay output'])
        await runIn(mode, new Agent({ name: 'Replay Session agent', model: replayModel }), 'Continue', { session })
        expect(itemLines(replayModel.requests[0]!.input)).toEqual([...turn, 'user: Continue'])
        expect(itemLines(await session.getItems())).toEqual([...turn, 'user: Continue', 'assistant: safe replay output'])
      })
    }
  })
}
