import type * as z4 from 'zod/v4/core'
import { IdbAgentsError, messageOf } from '../errors.js'
import type { PendingInputStore } from '../idb/pending-input.js'
import { isAssistantMessage, isFunctionCall, isFunctionCallOutput, messageText } from '../items/predicates.js'
import type { AgentItem, FunctionCallItem, FunctionCallOutputItem } from '../items/types.js'
import { AbortError, MaxTurnsExceededError, RunError, withSaveState } from '../model/errors.js'
import type { Model, ModelRequest, ModelResponse, ModelSettings } from '../model/model.js'
import { Usage } from '../model/usage.js'
import { isOpenAIResponsesCompactionAwareSession, isPendingRunsSession, isUsageTrackingSession } from '../session/capabilities.js'
import type { Session, SessionSettings } from '../session/session.js'
import type { Agent, FinalOutput } from './agent.js'
import { itemEvent, type EventSink, type RunAgent } from './events.js'
import { toInputItems, type RunInput } from './input.js'
import { RunResult } from './result.js'
import { RunContext } from './run-context.js'
import { notRunOutput, TOOL_APPROVAL_REJECTION_MESSAGE, type ApprovalDecision } from './approvals.js'
import { abandonPendingRun, checkResumable, markOf } from './pause.js'
import { newRunId, RunState } from './run-state.js'
import { forModel, latestCalls, latestOutputs, mergeInput, requestInput, type SessionInputCallback } from './session-input.js'
import { finalToolOutput } from './tool-use.js'
import type { FunctionTool } from './tool.js'

const DEFAULT_MAX_TURNS = 10

/** Options of one run (`run()` / `Runner.run()`). */
export interface RunOptions<TContext = unknown> {
  /** Where history is loaded from and each turn saved to. Without it nothing is saved. */
  session?: Session
  /** The app's object tools and instructions receive as `runContext.context`. */
  context?: TContext
  /**
   * Most model calls in this run before {@link MaxTurnsExceededError}.
   * @default 10
   */
  maxTurns?: number
  /** Aborts the run; the session then holds only whole turns. */
  signal?: AbortSignal
  /** Decides how stored history and the new input are combined. */
  sessionInputCallback?: SessionInputCallback
  /** Overrides the session's own settings for this run (e.g. a `limit` window). */
  sessionSettings?: SessionSettings
  /**
   * Hold the session's run lock (see `withRunLock`) for the whole run, so runs of one
   * session in several tabs take turns instead of interleaving. Pass `false` only when you
   * already hold the lock or serialize runs yourself.
   * @default true
   */
  runLock?: boolean
  /**
   * Where the input is kept when the run fails with `OfflineError` before saving anything
   * (the error is then a `PendingInputKeptError`; `retryPending` sends it later). `false`
   * keeps nothing.
   * @default a shared `PendingInputStore` for sessions with a `dbName` (IndexedDBSession);
   *   nothing for others (an EncryptedSession's input is never kept in clear by default)
   */
  pendingInput?: PendingInputStore | false
}

/** Everything one run needs, with the model resolved. */
export interface RunPlan<TContext, TOutput extends z4.$ZodType | undefined> {
  agent: Agent<TContext, TOutput>
  input: RunInput | RunState
  options: RunOptions<TContext>
  model: Model
  modelSettings: ModelSettings
}

/**
 * Runs the agent loop: load history once, then call the model and tools until the model
 * answers without tool calls. Each model response is saved together with its tool outputs
 * (and, the first time, the input) in ONE `addItems`, so the session only ever holds whole
 * turns. Every failure is rethrown as a {@link RunError} saying what was saved.
 *
 * A turn with calls that need approval is not saved: the run stops with a {@link RunState}
 * holding it (kept by a `PendingRunsSession` beside the history, see pause.ts). Resuming
 * (`plan.input` is that state) completes the turn and saves it, then goes on. The caller
 * has refused a run that could never start ({@link refuseBadRun}) before taking its lock.
 *
 * @param emit - receives stream events; when given, the model is called in streaming mode
 */
export async function executeRun<TContext, TOutput extends z4.$ZodType | undefined>(
  plan: RunPlan<TContext, TOutput>,
  emit?: EventSink,
): Promise<RunResult<FinalOutput<TOutput>>> {
  const { agent, options, model } = plan
  const { session, signal } = options
  const maxTurns = options.maxTurns ?? DEFAULT_MAX_TURNS
  const usage = new Usage()
  const runContext = new RunContext(options.context as TContext, signal, usage)
  const runAgent = agent as unknown as RunAgent
  const saved: AgentItem[] = []
  const resumed = plan.input instanceof RunState ? (plan.input as RunState) : undefined
  let inputSaved = resumed !== undefined && resumed.data.unsaved.length === 0
  let usageStored = false
  /** The pending run this run must drop when it saves its next turn (a resume's). */
  let expectedPending: string | null = null
  try {
    signal?.throwIfAborted()
    emit?.({ type: 'agent_updated_stream_event', agent: runAgent })
    const pendingRuns = session && isPendingRunsSession(session) ? session : undefined
    let input: AgentItem[]
    let sent: AgentItem[]
    let unsaved: AgentItem[]
    let turn = 0
    /** A resume's paused turn, completed before the first model call. */
    let paused: RunState | undefined
    /** `alwaysApprove` / `alwaysReject` decisions by tool name, carried through later pauses. */
    const standing = resumed ? resumed.standingDecisions() : new Map<string, ApprovalDecision>()
    if (resumed) {
      const waiting = resumed.getInterruptions().filter((item) => resumed.decisionFor(item.callId) === undefined)
      if (waiting.length > 0) {
        // Nothing decided on some calls: nothing runs, nothing is written.
        for (const request of resumed.data.perRequest) usage.add(request)
        return new RunResult<FinalOutput<TOutput>>({ finalOutput: undefined, input: resumed.data.input, newItems: [], savedItems: [], rawResponses: [], usage, state: resumed })
      }
      if (session) await checkResumable(session, resumed)
      for (const request of resumed.data.perRequest) usage.add(request)
      input = resumed.data.input
      unsaved = resumed.data.unsaved
      sent = session ? [...forModel(session, await session.getItems(options.sessionSettings?.limit)), ...unsaved] : resumed.data.conversation
      turn = resumed.data.turn
      expectedPending = pendingRuns ? resumed.data.runId : null
      paused = resumed
    } else {
      input = toInputItems(plan.input as RunInput)
      if (pendingRuns) {
        const abandoned = await abandonPendingRun(pendingRuns, agent)
        if (abandoned.length > 0) {
          saved.push(...abandoned)
          emit?.({ type: 'turn_saved_event', items: abandoned })
        }
      }
      const history = session ? await session.getItems(options.sessionSettings?.limit) : []
      ;({ sent, unsaved } = await mergeInput(history, input, options.sessionInputCallback, session))
    }
    // One call per call id is sent (the newest). A session run's new tool outputs are sent even
    // when their call is not, and replace older outputs of the call (session-input.ts). Without
    // a session the input is the whole conversation: unpaired items are left out of what is
    // sent, as for stored history.
    const callerItems = new Set(session ? unsaved : [])
    sent = latestOutputs(latestCalls(sent), callerItems)
    const instructions = await agent.resolveInstructions(runContext)
    const tools = new Map(agent.tools.map((t) => [t.name, t]))
    const newItems: AgentItem[] = []
    const rawResponses: ModelResponse[] = []

    for (;;) {
      let step: AgentItem[]
      let response: ModelResponse | undefined
      const ran = new Set<string>()
      if (paused) {
        step = [...paused.data.turnItems]
        for (const item of step) if (isFunctionCallOutput(item)) ran.add(item.call_id)
        const calls = step.filter(isFunctionCall)
        const decided = paused
        const outputs = await Promise.all(
          paused.data.pendingCallIds.map((callId) => {
            const call = calls.find((c) => c.call_id === callId)!
            const decision = decided.decisionFor(callId)
            if (!decision?.approved) return notRunOutput(call, decision?.message ?? TOOL_APPROVAL_REJECTION_MESSAGE)
            ran.add(callId)
            return callTool(tools, call, runContext)
          }),
        )
        for (const item of outputs) emit?.(itemEvent(item, runAgent))
        step.push(...outputs)
        paused = undefined
      } else {
        if (turn >= maxTurns) throw new MaxTurnsExceededError(maxTurns)
        turn += 1
        signal?.throwIfAborted()
        const request: ModelRequest = {
          input: requestInput(sent, newItems, callerItems),
          tools: agent.tools.map((t) => t.definition),
          modelSettings: plan.modelSettings,
        }
        if (instructions !== undefined) request.instructions = instructions
        if (agent.outputSchema) request.outputSchema = agent.outputSchema
        if (signal) request.signal = signal
        response = emit ? await streamResponse(model, request, emit) : await model.getResponse(request)
        signal?.throwIfAborted()
        usage.add(response.usage)
        rawResponses.push(response)
        step = [...response.output]
        for (const item of step) emit?.(itemEvent(item, runAgent))
        const calls = step.filter(isFunctionCall)
        if (calls.length > 0) {
          const needs = await Promise.all(calls.map((call) => needsApproval(tools, call, runContext)))
          const asking = calls.filter((_, index) => needs[index])
          const waiting = asking.filter((call) => !standing.has(call.name))
          const refused = asking.filter((call) => standing.get(call.name)?.approved === false)
          const runNow = calls.filter((call, index) => !needs[index] || standing.get(call.name)?.approved === true)
          for (const call of runNow) ran.add(call.call_id)
          const outputs = await Promise.all(
            calls.flatMap((call): Array<Promise<FunctionCallOutputItem> | FunctionCallOutputItem> => {
              if (runNow.includes(call)) return [callTool(tools, call, runContext)]
              const decision = refused.includes(call) ? standing.get(call.name) : undefined
              return decision && !decision.approved ? [notRunOutput(call, decision.message ?? TOOL_APPROVAL_REJECTION_MESSAGE)] : []
            }),
          )
          for (const item of outputs) emit?.(itemEvent(item, runAgent))
          step.push(...outputs)
          if (waiting.length > 0) {
            const state = new RunState(agent, {
              runId: newRunId(),
              agentName: agent.name,
              sessionId: session ? session.sessionId : null,
              turn,
              input,
              conversation: session ? [] : [...sent, ...newItems],
              unsaved: session ? unsaved : [],
              turnItems: step,
              pendingCallIds: waiting.map((call) => call.call_id),
              history: session ? await markOf(session) : null,
              perRequest: usage.perRequest.map((request) => ({ ...request })),
            }, [], standing)
            if (pendingRuns) {
              await pendingRuns.updatePendingRun({
                expected: null,
                items: [],
                next: { runId: state.data.runId, state: state.toString(), createdAt: Date.now() },
              })
            }
            for (const item of state.getInterruptions()) {
              emit?.({ type: 'run_item_stream_event', name: 'tool_approval_requested', item })
            }
            // The paused run's usage travels in its state and is stored with the turn that
            // resumes it (or with the abandoned turn), never twice.
            usageStored = true
            return new RunResult<FinalOutput<TOutput>>({ finalOutput: undefined, input, newItems: [...newItems, ...step], savedItems: saved, rawResponses, usage, state })
          }
        }
      }
      const calls = step.filter(isFunctionCall)
      const last = calls.length === 0
      if (session) {
        const batch = unsaved.length === 0 ? step : [...unsaved, ...step]
        if (batch.length > 0) {
          if (expectedPending !== null && pendingRuns) {
            // The resumed turn lands and its pending run goes, in one step.
            await pendingRuns.updatePendingRun({ expected: expectedPending, items: batch, next: null })
            expectedPending = null
          } else if (last && isUsageTrackingSession(session)) {
            // The run's usage goes with its last turn, in the same write.
            usageStored = true
            await session.addItemsWithUsage(batch, usage)
          } else {
            await session.addItems(batch)
          }
          saved.push(...batch)
          inputSaved = true
          unsaved = []
          emit?.({ type: 'turn_saved_event', items: batch })
        }
      }
      newItems.push(...step)
      const stopWith = last ? undefined : finalToolOutput(agent.toolUseBehavior, calls, step.filter(isFunctionCallOutput), ran)
      if (last || stopWith !== undefined) {
        const answer = step.findLast(isAssistantMessage)
        const finalOutput = agent.parseFinalOutput(stopWith ?? (answer ? messageText(answer) : ''))
        if (!usageStored) {
          usageStored = true
          await storeUsage(session, saved, usage)
        }
        // A run that stopped on tool outputs (toolUseBehavior) ends on items the model has not
        // seen: compacting now would fold them away. The next run that ends on text compacts.
        if (response && stopWith === undefined) await compactAfterRun(session, saved, options, plan.modelSettings, response, usage)
        return new RunResult({ finalOutput, input, newItems, savedItems: saved, rawResponses, usage })
      }
    }
  } catch (error) {
    // The requests of a failed run were made too; their usage still belongs to its turn.
    // A resume that failed before its turn was saved is still pending: its state keeps the usage.
    if (!usageStored && expectedPending === null) await storeUsage(session, saved, usage).catch(() => {})
    throw withSaveState(toRunError(error, signal), { inputSaved, savedItems: [...saved] })
  }
}

/**
 * Gives a usage-tracking session the run's usage, attributed to its newest turn, when this
 * run saved something (else the newest turn is an older one).
 */
async function storeUsage(session: Session | undefined, saved: readonly AgentItem[], usage: Usage): Promise<void> {
  if (session && saved.length > 0 && isUsageTrackingSession(session)) await session.storeRunUsage({ usage })
}

/**
 * Lets a compaction-aware session compact once the run's last turn is saved. The response
 * id is passed only when the request held the session's whole history (no `limit` window,
 * no input callback), so `previous_response_id` compaction covers all of it. The compact
 * call's usage counts in the run's usage and in the session's (python #4446).
 */
async function compactAfterRun<TContext>(
  session: Session | undefined,
  saved: readonly AgentItem[],
  options: RunOptions<TContext>,
  modelSettings: ModelSettings,
  response: ModelResponse,
  usage: Usage,
): Promise<void> {
  if (!session || saved.length === 0 || !isOpenAIResponsesCompactionAwareSession(session)) return
  const whole = options.sessionSettings?.limit === undefined && !options.sessionInputCallback
  const result = await session.runCompaction({
    ...(whole && response.responseId !== undefined && { responseId: response.responseId }),
    ...(modelSettings.store !== undefined && { store: modelSettings.store }),
    usage: response.usage,
  })
  const spent = result?.usage
  if (!spent || (spent.inputTokens === 0 && spent.outputTokens === 0 && spent.totalTokens === 0)) return
  usage.add(spent)
  if (isUsageTrackingSession(session)) await session.storeRunUsage({ usage: { requests: 1, ...spent } })
}

/** Streams one response to `emit` and returns it once complete. */
async function streamResponse(model: Model, request: ModelRequest, emit: EventSink): Promise<ModelResponse> {
  for await (const event of model.getStreamedResponse(request)) {
    emit({ type: 'raw_model_stream_event', data: event })
    if (event.type === 'response_done') return event.response
  }
  throw new RunError('run_failed', 'The model stream ended before the response was complete; nothing of this turn was saved.')
}

/** Whether `call` must wait for approval; unknown tools never wait. */
async function needsApproval<TContext>(
  tools: Map<string, FunctionTool<TContext>>,
  call: FunctionCallItem,
  runContext: RunContext<TContext>,
): Promise<boolean> {
  const found = tools.get(call.name)
  return found?.needsApproval ? found.needsApproval(runContext, call.arguments, { callId: call.call_id }) : false
}

/** The run options {@link refuseBadRun} reads. */
type RunRequestOptions = Pick<RunOptions, 'maxTurns' | 'session' | 'signal'>

/**
 * Refuses a run that could never start (a bad `maxTurns`, a run state of another agent or
 * session) with the RunError `executeRun` throws for it. `run()` checks this before it takes
 * the run lock, so a refused run reads, locks and creates nothing (not even a new
 * Conversations session's conversation).
 */
export function refuseBadRun(agent: { name: string }, input: RunInput | RunState, options: RunRequestOptions): RunError | undefined {
  const maxTurns = options.maxTurns ?? DEFAULT_MAX_TURNS
  try {
    if (!Number.isInteger(maxTurns) || maxTurns < 1) {
      throw new RunError('invalid_argument', `maxTurns must be a positive integer, got ${String(maxTurns)}.`)
    }
    if (input instanceof RunState) checkResumeTarget(input, agent, options.session)
    return undefined
  } catch (error) {
    const inputSaved = input instanceof RunState && input.data.unsaved.length === 0
    return withSaveState(toRunError(error, options.signal), { inputSaved, savedItems: [] })
  }
}

/** A state resumes only with the agent and session it paused in. */
function checkResumeTarget(state: RunState, agent: { name: string }, session: Session | undefined): void {
  if (state.data.agentName !== agent.name) {
    throw new RunError('invalid_argument', `This run state paused agent "${state.data.agentName}"; resume it with that agent, not "${agent.name}".`)
  }
  const sessionId = session ? session.sessionId : null
  if (state.data.sessionId !== sessionId) {
    const paused = state.data.sessionId === null ? 'without a session' : `in session "${state.data.sessionId}"`
    throw new RunError('invalid_argument', `This run paused ${paused}; resume it ${state.data.sessionId === null ? 'without one' : 'with that session'}.`)
  }
}

/** Runs one tool call; unknown tools and failures become outputs the model can read. */
async function callTool<TContext>(
  tools: Map<string, FunctionTool<TContext>>,
  call: FunctionCallItem,
  runContext: RunContext<TContext>,
): Promise<FunctionCallOutputItem> {
  const found = tools.get(call.name)
  const output = found
    ? await found.invoke(call.arguments, runContext, { callId: call.call_id })
    : `Error: there is no tool named "${call.name}". Available tools: ${[...tools.keys()].join(', ') || 'none'}.`
  return { type: 'function_call_output', call_id: call.call_id, output }
}

/** The typed error to throw for anything that ended a run. */
export function toRunError(error: unknown, signal: AbortSignal | undefined): RunError {
  if (signal?.aborted) return error instanceof AbortError ? error : new AbortError(signal.reason)
  if (error instanceof RunError) return error
  if (error instanceof IdbAgentsError) {
    return new RunError(error.code, `The run stopped: ${error.message}`, { cause: error })
  }
  return new RunError('run_failed', `The run failed: ${messageOf(error)}.`, { cause: error })
}
