// Resuming approvals over a session, as the JavaScript Agents SDK's approval and guardrail
// session tests run it without the guardrail: a sibling call that needed no approval, a
// partial decision, an approved tool whose resumed run is aborted, a compaction that fails
// after the resumed turn was saved, and a run paused without a session. Every session kind,
// non-streamed and streamed; compaction is watched through the session's `runCompaction`.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { AbortError, Agent, isOpenAIResponsesCompactionAwareSession, run, RunError, RunState, StaleRunStateError, tool, type OpenAIResponsesCompactionArgs, type OpenAIResponsesCompactionResult, type Session } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { deferred, itemLines } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

/**
 * Watches `session.runCompaction` (the SDK tests' CompactionTrackingSession): each call's
 * arguments and the history it saw. A kind without compaction gets one that does nothing,
 * so the runner's compaction step is watched on every kind.
 */
function watchCompaction(session: Session, fail?: () => Error | undefined) {
  const calls: { args: OpenAIResponsesCompactionArgs | undefined; history: string[] }[] = []
  const inner = isOpenAIResponsesCompactionAwareSession(session) ? session.runCompaction.bind(session) : async () => null
  const runCompaction = async (args?: OpenAIResponsesCompactionArgs): Promise<OpenAIResponsesCompactionResult | null> => {
    calls.push({ args, history: itemLines(await session.getItems()) })
    const error = fail?.()
    if (error) throw error
    return inner(args)
  }
  Object.defineProperty(session, 'runCompaction', { value: runCompaction, configurable: true, writable: true })
  return calls
}

for (const kind of allKinds) {
  describe.each(modes)(`${kind.name}: resuming approvals (ported, %s)`, (mode) => {
    // js packages/agents-core/test/run.outputGuardrailReplaySession.test.ts: 'preserves a completed $mode approval sibling before resuming with $behavior' (run_llm_again)
    // (The SDK stores the sibling's call and output while the approval waits; here the paused
    // turn is not in the history while it waits (README "Human in the loop"), and lands whole on resume.)
    it('runs a sibling that needed no approval once, and stores both calls with their outputs once, on resume', async () => {
      const ran: string[] = []
      const pending = tool({ name: 'pending_approval_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => (ran.push('approved'), 'approved sibling output') })
      const sibling = tool({ name: 'completed_sibling_tool', description: 'Runs at once.', parameters: z.object({}), execute: () => (ran.push('sibling'), 'completed nonterminal sibling') })
      const model = new ScriptedModel([
        { toolCalls: [{ name: 'pending_approval_tool', arguments: {}, callId: 'pending-approval-call' }, { name: 'completed_sibling_tool', arguments: {}, callId: 'completed-sibling-call' }] },
        'approved sibling continuation',
      ])
      const agent = new Agent({ name: 'siblings', model, tools: [pending, sibling] })
      const session = kind.make()
      const first = await runIn(mode, agent, 'Use both approval siblings.', { session })
      expect(first.interruptions.map((item) => item.rawItem.call_id)).toEqual(['pending-approval-call'])
      expect(ran).toEqual(['sibling'])
      expect(await session.getItems()).toEqual([])
      first.state!.approve(first.interruptions[0]!)
      const resumed = await runIn(mode, agent, first.state!, { session })
      expect(resumed.finalOutput).toBe('approved sibling continuation')
      expect(ran).toEqual(['sibling', 'approved'])
      expect(model.requests).toHaveLength(2)
      expect(itemLines(await session.getItems())).toEqual([
        'user: Use both approval siblings.',
        'call pending-approval-call',
        'call completed-sibling-call',
        'output completed-sibling-call: completed nonterminal sibling',
        'output pending-approval-call: approved sibling output',
        'assistant: approved sibling continuation',
      ])
    })

    // js packages/agents-core/test/run.approvalGuardrailSession.test.ts: 'runs streaming compaction after a partially approved resume'
    // (The SDK runs the approved call, keeps asking for the other one and compacts at each
    // pause. Here a resume with a call still undecided runs nothing and writes nothing, and
    // compaction runs once the run ends on the model's answer: README "Human in the loop".)
    it('runs nothing on a resume with a call still undecided, then both calls and one compaction once all are decided', async () => {
      const ran: string[] = []
      const partial = tool({ name: 'partial_approval_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: (_args, _context, { callId }) => (ran.push(callId), 'partially-approved-result') })
      const model = new ScriptedModel([
        { toolCalls: [{ name: 'partial_approval_tool', arguments: {}, callId: 'call-approved-first' }, { name: 'partial_approval_tool', arguments: {}, callId: 'call-still-pending' }] },
        'both done',
      ])
      const agent = new Agent({ name: 'partial', model, tools: [partial] })
      const session = kind.make()
      const compactions = watchCompaction(session)
      const first = await runIn(mode, agent, 'Use both tools', { session })
      expect(first.interruptions).toHaveLength(2)
      first.state!.approve(first.interruptions[0]!)
      const waiting = await runIn(mode, agent, first.state!, { session })
      expect(waiting.interruptions.map((item) => item.rawItem.call_id)).toEqual(['call-approved-first', 'call-still-pending'])
      expect(ran).toEqual([])
      expect(await session.getItems()).toEqual([])
      expect(compactions).toEqual([])
      waiting.state!.approve(waiting.interruptions[1]!)
      const resumed = await runIn(mode, agent, waiting.state!, { session })
      expect(resumed.finalOutput).toBe('both done')
      expect(ran.sort()).toEqual(['call-approved-first', 'call-still-pending'])
      expect(compactions.map((c) => c.history)).toEqual([
        [
          'user: Use both tools',
          'call call-approved-first',
          'call call-still-pending',
          'output call-approved-first: partially-approved-result',
          'output call-still-pending: partially-approved-result',
          'assistant: both done',
        ],
      ])
    })

    // js packages/agents-core/test/run.approvalGuardrailSession.test.ts: 'compacts an approved result once when a $mode resume is cancelled'
    // (As a tool that finishes after an abort in a run that did not pause (runner-persistence):
    // the approved call and its output are stored once, the run fails with AbortError saying so,
    // and nothing is compacted by the failed run; continuing with [] answers them, compacting once.)
    it('stores the approved result once when its resume is aborted while the tool runs, and continuing answers it', async () => {
      const started = deferred()
      let calls = 0
      const cancelled = tool({
        name: 'cancelled_approval_tool',
        description: 'Finishes after the abort.',
        parameters: z.object({}),
        needsApproval: true,
        execute: async (_args, context) => {
          calls += 1
          started.resolve()
          const signal = context.signal
          if (signal && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
          return 'cancelled-approved-result'
        },
      })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'cancelled_approval_tool', arguments: {}, callId: 'call-cancelled-approved' }] }, 'done'])
      const agent = new Agent({ name: 'cancel', model, tools: [cancelled] })
      const session = kind.make()
      const compactions = watchCompaction(session)
      const first = await runIn(mode, agent, 'Use cancelled_approval_tool', { session })
      first.state!.approve(first.interruptions[0]!)
      const controller = new AbortController()
      const resumed = runIn(mode, agent, first.state!, { session, signal: controller.signal }).catch((e: unknown) => e)
      await started.promise
      controller.abort(new Error('stop approved resume'))
      const error = await resumed
      expect(error).toBeInstanceOf(AbortError)
      expect(error).toMatchObject({ inputSaved: true })
      const turn = ['user: Use cancelled_approval_tool', 'call call-cancelled-approved', 'output call-cancelled-approved: cancelled-approved-result']
      expect(itemLines(await session.getItems())).toEqual(turn)
      expect(compactions).toEqual([])
      expect(await RunState.fromSession(agent, session)).toBeUndefined()
      expect(model.requests).toHaveLength(1)
      const finished = await runIn(mode, agent, [], { session })
      expect(finished.finalOutput).toBe('done')
      expect(calls).toBe(1)
      expect(itemLines(model.requests[1]!.input)).toEqual(turn)
      expect(itemLines(await session.getItems())).toEqual([...turn, 'assistant: done'])
      expect(compactions.map((c) => c.history)).toEqual([[...turn, 'assistant: done']])
    })

    // js packages/agents-core/test/run.approvalGuardrailSession.test.ts: 'does not finalize a pre-aborted serialized $mode terminal state'
    // (Without the guardrail: a resume whose signal is aborted before it starts runs no tool,
    // calls no model and writes nothing; the state, and the session's pending run, still resume.)
    it('runs and writes nothing on a resume whose signal was aborted before it started; the state resumes afterwards, storing once', async () => {
      const ran: string[] = []
      const approved = tool({ name: 'pre_aborted_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => (ran.push('ran'), 'pre-aborted-result') })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'pre_aborted_tool', arguments: {}, callId: 'call-pre-aborted' }] }, 'after approval'])
      const agent = new Agent({ name: 'pre-aborted', model, tools: [approved] })
      const session = kind.make()
      const compactions = watchCompaction(session)
      const first = await runIn(mode, agent, 'hello', { session })
      const restored = await RunState.fromString(agent, first.state!.toString())
      restored.approve(restored.getInterruptions()[0]!)
      const controller = new AbortController()
      controller.abort(new Error('cancel terminal resume'))
      const error = await runIn(mode, agent, restored, { session, signal: controller.signal }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AbortError)
      expect(ran).toEqual([])
      expect(model.requests).toHaveLength(1)
      expect(await session.getItems()).toEqual([])
      expect(compactions).toEqual([])
      const resumed = await runIn(mode, agent, restored, { session })
      expect(resumed.finalOutput).toBe('after approval')
      expect(ran).toEqual(['ran'])
      expect(itemLines(await session.getItems())).toEqual(['user: hello', 'call call-pre-aborted', 'output call-pre-aborted: pre-aborted-result', 'assistant: after approval'])
    })

    // js packages/agents-core/test/run.approvalGuardrailSession.test.ts: 'persists an approved tool result once when $mode guardrails trip=$tripwire' (trip=false)
    // (The SDK compacts at the pause and after the resumed run. Here nothing is compacted at a
    // pause, nor after a run that ended on a tool's output the model has not seen (FINDINGS
    // F19); the next run that ends on text compacts, once.)
    it('stores an approved stop_on_first_tool result once, as the final output; compacts once the next run ends on text', async () => {
      const approvalTool = tool({ name: 'approval_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => 'approved-result' })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'approval_tool', arguments: {}, callId: 'call-approved' }] }, 'done'])
      const agent = new Agent({ name: 'approval-once', model, tools: [approvalTool], toolUseBehavior: 'stop_on_first_tool' })
      const session = kind.make()
      const compactions = watchCompaction(session)
      const first = await runIn(mode, agent, 'Use approval_tool', { session })
      first.state!.approve(first.interruptions[0]!)
      const resumed = await runIn(mode, agent, first.state!, { session })
      expect(resumed.finalOutput).toBe('approved-result')
      const turn = ['user: Use approval_tool', 'call call-approved', 'output call-approved: approved-result']
      expect(itemLines(await session.getItems())).toEqual(turn)
      expect(compactions).toEqual([])
      const next = await runIn(mode, agent, 'Continue', { session })
      expect(next.finalOutput).toBe('done')
      expect(itemLines(model.requests.at(-1)!.input)).toEqual([...turn, 'user: Continue'])
      expect(compactions.map((c) => c.history)).toEqual([[...turn, 'user: Continue', 'assistant: done']])
    })

    // js packages/agents-core/test/run.approvalGuardrailSession.test.ts: 'does not duplicate an approved result when $mode checkpoint compaction is retried'
    // (Here compaction runs once the run ends, after its turns are saved: a failing compaction
    // fails the run saying all was saved, and the state, resumed once, is refused again with
    // StaleRunStateError before anything runs or is written.)
    it('stores the approved result once when the compaction after the resumed run fails, and refuses the spent state again', async () => {
      const ran: string[] = []
      const retry = tool({ name: 'retry_compaction_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => (ran.push('ran'), 'retry-compaction-result') })
      const model = new ScriptedModel([{ toolCalls: [{ name: 'retry_compaction_tool', arguments: {}, callId: 'call-retry-compaction' }] }, 'retried answer'])
      const agent = new Agent({ name: 'retry', model, tools: [retry] })
      const session = kind.make()
      let failures = 1
      const compactions = watchCompaction(session, () => (failures-- > 0 ? new Error('checkpoint compaction failed') : undefined))
      const first = await runIn(mode, agent, 'Use retry_compaction_tool', { session })
      first.state!.approve(first.interruptions[0]!)
      const error = await runIn(mode, agent, first.state!, { session }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RunError)
      expect((error as RunError).inputSaved).toBe(true)
      expect(String((error as Error).message)).toContain('checkpoint compaction failed')
      const stored = itemLines(await session.getItems())
      expect(stored).toEqual([
        'user: Use retry_compaction_tool',
        'call call-retry-compaction',
        'output call-retry-compaction: retry-compaction-result',
        'assistant: retried answer',
      ])
      const again = await runIn(mode, agent, first.state!, { session }).catch((e: unknown) => e)
      expect(again).toBeInstanceOf(StaleRunStateError)
      expect(ran).toEqual(['ran'])
      expect(itemLines(await session.getItems())).toEqual(stored)
      expect(compactions).toHaveLength(1)
    })

    // js packages/agents-core/test/run.outputGuardrailReplaySession.test.ts: 'resumes a later call-only approval after an earlier $mode tool result'
    // (The SDK resumes a run paused without a session on a session and saves the whole run.
    // Here a state remembers the session it paused in (none) and resuming it with one is a
    // RunError 'invalid_argument' saying so, before any tool runs or anything is written;
    // without a session it resumes from its string with the earlier tool result.)
    it('resumes a run paused without a session from its string, with the earlier tool result; refuses to resume it on a session', async () => {
      const ran: string[] = []
      const historical = tool({ name: 'historical_tool', description: 'Runs at once.', parameters: z.object({}), execute: () => (ran.push('historical'), 'accepted earlier result') })
      const later = tool({ name: 'later_approval_tool', description: 'Needs approval.', parameters: z.object({}), needsApproval: true, execute: () => (ran.push('later'), 'approved later result') })
      const model = new ScriptedModel([
        { toolCalls: [{ name: 'historical_tool', arguments: {}, callId: 'historical-call' }] },
        { toolCalls: [{ name: 'later_approval_tool', arguments: {}, callId: 'later-approval-call' }] },
        'approved continuation complete',
      ])
      const agent = new Agent({ name: 'no-session', model, tools: [historical, later] })
      const first = await runIn(mode, agent, 'Run both tools.', {})
      expect(first.interruptions).toHaveLength(1)
      const saved = first.state!.toString()

      const onSession = await RunState.fromString(agent, saved)
      onSession.approve(onSession.getInterruptions()[0]!)
      const session = kind.make()
      const refused = await runIn(mode, agent, onSession, { session }).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(RunError)
      expect((refused as RunError).code).toBe('invalid_argument')
      expect(String((refused as Error).message)).toContain('without a session')
      expect(ran).toEqual(['historical'])
      expect(await session.getItems()).toEqual([])

      const restored = await RunState.fromString(agent, saved)
      restored.approve(restored.getInterruptions()[0]!)
      const resumed = await runIn(mode, agent, restored, {})
      expect(resumed.finalOutput).toBe('approved continuation complete')
      expect(ran).toEqual(['historical', 'later'])
      expect(itemLines(model.requests[2]!.input)).toEqual([
        'user: Run both tools.',
        'call historical-call',
        'output historical-call: accepted earlier result',
        'call later-approval-call',
        'output later-approval-call: approved later result',
      ])
    })
  })
}
