// A `compaction` item the model returned in a turn that paused for approval, through the
// paused run's state, as the JavaScript Agents SDK's RunState compaction cases check it:
// kept as given through `toString()` / `fromString()`, stored once and in order when the run
// resumes, and a state string of another version refused. Every session kind, both modes.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, InvalidRunStateError, run, RunState, tool, type AgentItem, type Model, type ModelRequest, type ModelResponse, type ModelStreamEvent } from '../../src/index.js'
import { allKinds } from './support/kinds.js'
import { textOf } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

/** The compaction item of the SDK case, with a field this library does not know. */
const compactionItem: AgentItem = {
  type: 'compaction',
  id: 'cmp_1',
  encrypted_content: 'ciphertext',
  created_by: 'compaction_endpoint',
  extra: 'value',
}

/** A model answering from a list of outputs (the scripted model has no compaction items). */
class OutputModel implements Model {
  readonly requests: ModelRequest[] = []
  constructor(private readonly outputs: AgentItem[][]) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(structuredClone({ ...request, signal: undefined }))
    const output = this.outputs.shift()
    if (!output) throw new Error('no output scripted')
    return { output: structuredClone(output), usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, responseId: `resp_${this.requests.length}` }
  }
  async *getStreamedResponse(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    yield { type: 'response_done', response: await this.getResponse(request) }
  }
}

const approvalCall: AgentItem = { type: 'function_call', id: 'fc_1', call_id: 'call_after_compaction', name: 'approval_after_compaction', arguments: '{}', status: 'completed' }
const answer: AgentItem = { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'done', annotations: [] }] }

const approvalTool = tool({
  name: 'approval_after_compaction',
  description: 'Needs approval after a compaction.',
  parameters: z.object({}),
  needsApproval: true,
  execute: () => 'approved result',
})

/** The compaction items of `items`, without the ids a server may add to other items. */
const compactions = (items: readonly AgentItem[]) => items.filter((item) => item.type === 'compaction')
const kinds = (items: readonly AgentItem[]) => items.map((item) => (item.type === 'message' || item.role !== undefined ? `${String(item.role)}: ${textOf(item)}` : String(item.type)))

for (const kind of allKinds) {
  describe.each(modes)(`${kind.name}: a compaction item in a paused run (ported, %s)`, (mode) => {
    // js packages/agents-core/test/runState.compaction.test.ts (runState.cases.ts): 'round-trips a compaction run item at the current schema version'
    // js packages/agents-core/test/runState.compaction.test.ts (runState.cases.ts): 'rehydrates a historical compaction-only response before an approval'
    it('keeps the compaction item as given through the state string, and stores it once, before the call, on resume', async () => {
      const model = new OutputModel([[compactionItem, approvalCall], [answer]])
      const agent = new Agent({ name: 'CompactionStateAgent', model, tools: [approvalTool] })
      const session = kind.make()
      const first = await runIn(mode, agent, 'use the tool', { session })
      expect(first.interruptions).toHaveLength(1)
      const restored = await RunState.fromString(agent, first.state!.toString())
      expect(compactions(restored.data.turnItems)).toEqual([compactionItem])
      expect(restored.getInterruptions().map((item) => item.rawItem.call_id)).toEqual(['call_after_compaction'])
      restored.approve(restored.getInterruptions()[0]!)
      const resumed = await runIn(mode, agent, restored, { session: kind.reopen?.(session) ?? session })
      expect(resumed.finalOutput).toBe('done')
      const stored = await session.getItems()
      expect(kinds(stored)).toEqual(['user: use the tool', 'compaction', 'function_call', 'function_call_output', 'assistant: done'])
      expect(compactions(stored)).toHaveLength(1)
      expect(compactions(stored)[0]).toMatchObject({ encrypted_content: 'ciphertext', created_by: 'compaction_endpoint', extra: 'value' })
      expect(kinds(model.requests[1]!.input)).toEqual(['user: use the tool', 'compaction', 'function_call', 'function_call_output'])
    })

    // js packages/agents-core/test/runState.compaction.test.ts (runState.cases.ts): 'rejects an older schema carrying a compaction run item'
    // (Our state strings have one version; another one is an InvalidRunStateError, and the
    // paused run is left as it was: its own string still resumes it, storing the turn once.
    // fromString takes no session, so the session is checked after that resume.)
    it('refuses a state string of another version with InvalidRunStateError; the paused run still resumes from its own string', async () => {
      const model = new OutputModel([[compactionItem, approvalCall], [answer]])
      const agent = new Agent({ name: 'MislabeledCompactionAgent', model, tools: [approvalTool] })
      const session = kind.make()
      const first = await runIn(mode, agent, 'use the tool', { session })
      const serialized = JSON.parse(first.state!.toString()) as { version: number }
      serialized.version += 1
      await expect(RunState.fromString(agent, JSON.stringify(serialized))).rejects.toBeInstanceOf(InvalidRunStateError)
      expect(model.requests).toHaveLength(1)
      const restored = await RunState.fromString(agent, first.state!.toString())
      restored.approve(restored.getInterruptions()[0]!)
      const resumed = await runIn(mode, agent, restored, { session: kind.reopen?.(session) ?? session })
      expect(resumed.finalOutput).toBe('done')
      expect(kinds(await session.getItems())).toEqual(['user: use the tool', 'compaction', 'function_call', 'function_call_output', 'assistant: done'])
    })
  })
}
