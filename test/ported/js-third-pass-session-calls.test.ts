// What the runner calls on a session that offers nothing but the five methods of the contract
// (the JavaScript Agents SDK's "legacy" session): as its run-context tests check, a run reads
// the history once and adds its turn once, with the arguments a plain session knows, and a
// resumed approval reads and appends only. Non-streamed and streamed.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, run, RunState, tool, type AgentItem, type Session } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { textOf } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

/** A session with only the contract's methods, recording each call and its arguments. */
class LegacySession implements Session {
  readonly calls: Array<{ name: string; args: unknown[] }> = []
  readonly items: AgentItem[] = []
  readonly sessionId = 'legacy-session'

  async getSessionId(...args: unknown[]): Promise<string> {
    this.calls.push({ name: 'getSessionId', args })
    return this.sessionId
  }
  async getItems(...args: [number?]): Promise<AgentItem[]> {
    this.calls.push({ name: 'getItems', args })
    const [limit] = args
    return structuredClone(limit === undefined ? this.items : this.items.slice(-limit))
  }
  async addItems(...args: [AgentItem[]]): Promise<void> {
    this.calls.push({ name: 'addItems', args: [args[0].length] })
    this.items.push(...structuredClone(args[0]))
  }
  async popItem(...args: unknown[]): Promise<AgentItem | undefined> {
    this.calls.push({ name: 'popItem', args })
    return this.items.pop()
  }
  async clearSession(...args: unknown[]): Promise<void> {
    this.calls.push({ name: 'clearSession', args })
    this.items.length = 0
  }
}

/** The calls, with `undefined` arguments (an optional argument not given) left out. */
const shapes = (session: LegacySession) => session.calls.map(({ name, args }) => ({ name, args: args.filter((a) => a !== undefined) }))

describe.each(modes)('a session with only the contract methods (ported, %s)', (mode) => {
  // js packages/agents-core/test/run.sessionRunContext.test.ts: 'preserves legacy method call shapes for %s streaming runs'
  // (The SDK passes a run context to sessions that opt in; here no session gets one (README:
  // "accepted and ignored"), so the plain session's calls are the only shape there is.)
  it('gets the history once, with no limit, then adds the turn once', async () => {
    const session = new LegacySession()
    const agent = new Agent({ name: 'Legacy session', model: new ScriptedModel(['done']) })
    const result = await runIn(mode, agent, 'hello', { session, context: { tenantId: 'tenant-a' } })
    expect(result.finalOutput).toBe('done')
    // getSessionId() first: the run lock is named by the id it gives (run-guard.ts), which a
    // Conversations session only has once its conversation exists.
    expect(shapes(session)).toEqual([
      { name: 'getSessionId', args: [] },
      { name: 'getItems', args: [] },
      { name: 'addItems', args: [2] },
    ])
    expect(session.items.map(textOf)).toEqual(['hello', 'done'])
  })

  // js packages/agents-core/test/run.sessionRunContext.test.ts: 'reuses the restored run context for resumed session operations'
  // (The run context part does not apply, see above; the session operations of the resume do:
  // a paused run kept by the app resumes on a plain session, storing its turns once, and reads
  // and appends only, never popping or clearing.)
  it('resumes an approval kept by the app on it, reading and appending only (the resumed turn, then the answer), storing all four items once', async () => {
    const session = new LegacySession()
    const seen: unknown[] = []
    const contextTool = tool({
      name: 'context_tool',
      description: 'Returns what it was given.',
      parameters: z.object({}),
      needsApproval: true,
      execute: (_args, runContext) => (seen.push(runContext.context), 'approved'),
    })
    const model = new ScriptedModel([{ toolCalls: [{ name: 'context_tool', arguments: {}, callId: 'approval-call' }] }, 'done'])
    const agent = new Agent({ name: 'Resumed legacy session', model, tools: [contextTool] })
    const context = { tenantId: 'tenant-a' }
    const interrupted = await runIn(mode, agent, 'hello', { session, context })
    expect(interrupted.interruptions).toHaveLength(1)
    expect(session.items).toEqual([])
    const state = await RunState.fromString(agent, interrupted.state!.toString())
    state.approve(state.getInterruptions()[0]!)
    session.calls.length = 0
    const resumed = await runIn(mode, agent, state, { session, context })
    expect(resumed.finalOutput).toBe('done')
    expect(seen).toEqual([context])
    expect(new Set(session.calls.map((call) => call.name))).toEqual(new Set(['getSessionId', 'getItems', 'addItems']))
    expect(session.calls.filter((call) => call.name === 'addItems').map((call) => call.args)).toEqual([[3], [1]])
    expect(session.items.map((item) => item.type ?? item.role)).toEqual(['user', 'function_call', 'function_call_output', 'message'])
  })
})
