// PostgresSession as the session of agents running in Node: @openai/agents' run() and
// idb-agents' own runner (which records usage per turn by itself).
import { Agent as SdkAgent, run as sdkRun, setTracingDisabled, Usage as SdkUsage, type AgentInputItem, type AgentOutputItem, type Model as SdkModel, type ModelRequest as SdkModelRequest, type ModelResponse as SdkModelResponse } from '@openai/agents'
import { beforeAll, expect, it } from 'vitest'
import { Agent, run } from '../../src/index.js'
import { PostgresSession } from '../../src/server/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { describeEngines, uniqueUser } from './support/engines.js'

/** A minimal @openai/agents Model answering from a list. */
class SdkScriptedModel implements SdkModel {
  readonly requests: SdkModelRequest[] = []
  constructor(private readonly outputs: AgentOutputItem[][]) {}
  async getResponse(request: SdkModelRequest): Promise<SdkModelResponse> {
    this.requests.push(structuredClone({ input: request.input }) as SdkModelRequest)
    const output = this.outputs.shift()
    if (!output) throw new Error('script exhausted')
    return { usage: new SdkUsage(), output, responseId: `resp_${this.requests.length}` }
  }
  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not scripted')
  }
}

const say = (text: string): AgentOutputItem[] => [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] }]

beforeAll(() => setTracingDisabled(true))

describeEngines('PostgresSession under a runner', (engine) => {
  it('is the session of @openai/agents run() on a server, remembered by a new session object', async () => {
    const userId = uniqueUser()
    const model = new SdkScriptedModel([say('Noted: blue.'), say('Your favorite color is blue!')])
    const agent = new SdkAgent({ name: 'Memory Bot', instructions: 'Remember.', model })
    await sdkRun(agent, 'My favorite color is blue.', { session: new PostgresSession<AgentInputItem>('sdk', { store: engine.store(), userId }) })
    const again = new PostgresSession<AgentInputItem>('sdk', { store: engine.store(), userId })
    const result = await sdkRun(agent, "What's my favorite color?", { session: again })
    expect(result.finalOutput).toBe('Your favorite color is blue!')
    expect((model.requests[1]!.input as Array<{ role?: string }>).map((item) => item.role)).toEqual(['user', 'assistant', 'user'])
    expect(await again.getItems()).toHaveLength(4)
  })

  it("is the session of idb-agents' runner, which records each turn's usage in it", async () => {
    const session = new PostgresSession('ours', { store: engine.store(), userId: uniqueUser() })
    const agent = new Agent({ name: 'Bot', instructions: 'Be brief.', model: new ScriptedModel(['One.', 'Two.']) })
    await run(agent, 'first', { session })
    await run(agent, 'second', { session })
    expect((await session.getTurns()).map((turn) => [turn.userText, turn.itemCount])).toEqual([
      ['first', 2],
      ['second', 2],
    ])
    expect((await session.getTurnUsage()).map((entry) => entry.turn)).toEqual([1, 2])
    expect((await session.getSessionUsage()).requests).toBe(2)
  })
})
