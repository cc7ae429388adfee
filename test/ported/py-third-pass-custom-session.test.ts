// The Python Agents SDK's session context-wrapper tests run the runner over sessions an app
// wrote itself: the runner must call them only through the session contract, keep the run's
// context out of them, resume paused runs on them, and leave a compaction session's custom
// underlying session on its own history. Our Session methods take no context argument, so the
// wrapper forwarding itself has no counterpart; what the runner does with a hand-written
// session does.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent, OpenAIResponsesCompactionSession, run, tool, type AgentItem, type Session } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { sharedClient } from './support/kinds.js'
import { itemLines, user } from './support/items.js'
import { runIn } from './support/run-modes.js'

/** A session as an app writes it: the contract's methods over an array, recording every call. */
class HandWrittenSession implements Session {
  readonly items: AgentItem[] = []
  readonly calls: Array<{ method: string; args: unknown[] }> = []
  constructor(readonly sessionId: string) {}
  async getSessionId(...args: unknown[]): Promise<string> {
    this.calls.push({ method: 'getSessionId', args })
    return this.sessionId
  }
  async getItems(...args: unknown[]): Promise<AgentItem[]> {
    this.calls.push({ method: 'getItems', args })
    const limit = args[0] as number | undefined
    return structuredClone(limit === undefined ? this.items : limit <= 0 ? [] : this.items.slice(-limit))
  }
  async addItems(...args: unknown[]): Promise<void> {
    this.calls.push({ method: 'addItems', args })
    this.items.push(...structuredClone(args[0] as AgentItem[]))
  }
  async popItem(...args: unknown[]): Promise<AgentItem | undefined> {
    this.calls.push({ method: 'popItem', args })
    return this.items.pop()
  }
  async clearSession(...args: unknown[]): Promise<void> {
    this.calls.push({ method: 'clearSession', args })
    this.items.length = 0
  }
}

interface TenantContext {
  tenantId: string
}

describe.each(['run', 'stream'] as const)('a hand-written session under the runner (ported, %s)', (mode) => {
  // python tests/memory/test_session_context_wrapper.py::test_runner_passes_same_wrapper_to_context_aware_session
  // python tests/memory/test_session_context_wrapper.py::test_runner_preserves_legacy_session_call_shapes
  // python tests/memory/test_session_context_wrapper.py::test_runner_does_not_treat_legacy_kwargs_as_wrapper_opt_in
  // python tests/memory/test_session_context_wrapper.py::test_runner_does_not_partially_enable_context_aware_session
  // (Python saves the input and the answer in two add_items calls; here a turn is saved with
  // its input in ONE addItems, as executeRun's TSDoc says, so a turn is stored whole or not at all.)
  it('is read once and written once per turn, through the contract only, and never given the run context', async () => {
    const session = new HandWrittenSession('custom')
    const context: TenantContext = { tenantId: 'tenant-a' }
    const agent = new Agent<TenantContext>({ name: 'test', model: new ScriptedModel(['ok']) })
    const result = await runIn(mode, agent as Agent, 'hello', { session, context })
    expect(result.finalOutput).toBe('ok')
    const historyCalls = session.calls.filter((call) => call.method !== 'getSessionId')
    expect(historyCalls.map((call) => call.method)).toEqual(['getItems', 'addItems'])
    const [read, write] = historyCalls
    expect(read!.args.every((arg) => arg === undefined || typeof arg === 'number')).toBe(true)
    expect(write!.args).toHaveLength(1)
    // Not the context, nor anything carrying it (a wrapper, a copy): no call's arguments hold its value.
    for (const call of session.calls) for (const arg of call.args) expect(arg).not.toBe(context)
    expect(JSON.stringify(session.calls)).not.toContain(context.tenantId)
    expect(session.calls.filter((call) => call.method === 'getSessionId').flatMap((call) => call.args.filter((arg) => arg !== undefined))).toEqual([])
    expect(itemLines(session.items)).toEqual(['user: hello', 'assistant: ok'])
  })

  // python tests/memory/test_session_context_wrapper.py::test_resumed_run_persists_in_the_context_scope
  it('resumes a paused run on it and stores the approved output once', async () => {
    const session = new HandWrittenSession('custom-resume')
    const other = new HandWrittenSession('other')
    await other.addItems([user('keep')])
    const tested = tool({ name: 'test_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => 'tool result' })
    const agent = new Agent({ name: 'test', model: new ScriptedModel([{ toolCalls: [{ name: 'test_tool', arguments: {}, callId: 'call-resume' }] }, 'done']), tools: [tested] })
    const first = await runIn(mode, agent, 'hello', { session, context: { tenantId: 'tenant-a' } })
    expect(first.interruptions).toHaveLength(1)
    first.state!.approve(first.interruptions[0]!)
    const resumed = await runIn(mode, agent, first.state!, { session })
    expect(resumed.finalOutput).toBe('done')
    expect(itemLines(session.items)).toEqual(['user: hello', 'call call-resume', 'output call-resume: tool result', 'assistant: done'])
    expect(itemLines(other.items)).toEqual(['user: keep'])
    expect(session.calls.filter((call) => call.method === 'popItem' || call.method === 'clearSession')).toEqual([])
  })
})

// python tests/memory/test_session_context_wrapper.py::test_compaction_session_keeps_context_aware_underlying_on_legacy_scope
it('a compaction session over a hand-written session that never compacts adds the turn to it, beside what it held', async () => {
  const underlying = new HandWrittenSession('compaction')
  await underlying.addItems([user('existing')])
  const session = new OpenAIResponsesCompactionSession({ underlyingSession: underlying, client: sharedClient, shouldTriggerCompaction: () => false })
  const model = new ScriptedModel(['done'])
  const result = await run(new Agent({ name: 'test', model }), 'hello', { session, context: { tenantId: 'tenant-a' } })
  expect(result.finalOutput).toBe('done')
  expect(itemLines(underlying.items)).toEqual(['user: existing', 'user: hello', 'assistant: done'])
  expect(itemLines(model.requests[0]!.input)).toEqual(['user: existing', 'user: hello'])
  expect(underlying.calls.filter((call) => call.method === 'popItem' || call.method === 'clearSession')).toEqual([])
})
