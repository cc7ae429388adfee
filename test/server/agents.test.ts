// PostgresSession as the session of agents running in Node: @openai/agents' run() and
// idb-agents' own runner (which records usage per turn by itself).
import { Agent as SdkAgent, run as sdkRun, setTracingDisabled, type AgentInputItem } from '@openai/agents'
import { beforeAll, expect, it } from 'vitest'
import { Agent, run } from '../../src/index.js'
import { PostgresSession } from '../../src/server/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { describeEngines, uniqueUser } from './support/engines.js'
import { say, SdkScriptedModel } from '../support/sdk-scripted-model.js'

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
