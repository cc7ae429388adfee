// A run paused for tool approvals: what it had done, which calls wait, and what was decided
// on them. Serializable (toString / fromString), and kept by sessions that can
// (PendingRunsSession) so that the approval survives a reload.
import * as z from 'zod/mini'
import type * as z4 from 'zod/v4/core'
import { InvalidArgumentError, InvalidRunStateError, messageOf } from '../errors.js'
import { isFunctionCall } from '../items/predicates.js'
import type { AgentItem, FunctionCallItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import type { RequestUsage } from '../session/usage.js'
import { isPendingRunsSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'
import type { Agent } from './agent.js'
import { RunToolApprovalItem, type ApprovalDecision } from './approvals.js'
import type { RunAgent } from './events.js'

/** What a session looked like when the run paused: a resume on another history is refused. */
export interface HistoryMark {
  /** How many items the session held (`null` when it cannot count). */
  count: number | null
  /** Its newest item (`null` when empty). */
  last: AgentItem | null
}

/** The data of a paused run. */
export interface RunStateData {
  /** New for every pause; a session's pending run has the same id. */
  runId: string
  /** The name of the agent that paused. */
  agentName: string
  /** The session the run saved to, `null` without one. */
  sessionId: string | null
  /** Model calls made so far (counted against `maxTurns`). */
  turn: number
  /** The run's input items (`result.input`). */
  input: AgentItem[]
  /**
   * Without a session: everything sent to the model before the paused turn (the app keeps
   * history itself). With a session: `[]` (the history is read again on resume).
   */
  conversation: AgentItem[]
  /** Input not yet in the session (saved with the paused turn). */
  unsaved: AgentItem[]
  /** The paused turn: the model's output, then the outputs of calls that ran. */
  turnItems: AgentItem[]
  /** The calls that wait, in the model's order. */
  pendingCallIds: string[]
  /** The session at the pause (`null` without a session). */
  history: HistoryMark | null
  /** Usage of every model request so far. */
  perRequest: RequestUsage[]
}

const FORMAT = 'idb-agents/run-state'
const VERSION = 1

const Usage = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
})
const Decision = z.object({ callId: z.string(), approved: z.boolean(), message: z.optional(z.string()) })
const Standing = z.object({ toolName: z.string(), approved: z.boolean(), message: z.optional(z.string()) })
const Items = z.array(z.unknown())
const Serialized = z.object({
  format: z.literal(FORMAT),
  version: z.number(),
  runId: z.string().check(z.minLength(1)),
  agentName: z.string(),
  sessionId: z.nullable(z.string()),
  turn: z.number().check(z.int(), z.nonnegative()),
  input: Items,
  conversation: Items,
  unsaved: Items,
  turnItems: Items,
  pendingCallIds: z.array(z.string()).check(z.minLength(1)),
  history: z.nullable(z.object({ count: z.nullable(z.number()), last: z.nullable(z.unknown()) })),
  perRequest: z.array(Usage),
  decisions: z.array(Decision),
  always: z.optional(z.array(Standing)),
})

/** Any agent, whatever its types. */
type AnyAgent = { readonly name: string }

/** A new run id: unique enough to tell pauses apart. */
export function newRunId(): string {
  const random = globalThis.crypto?.randomUUID?.() ?? `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
  return `run_${random}`
}

/**
 * A run paused for tool approvals (`RunState` in `@openai/agents`): `result.state` of a run
 * whose `result.interruptions` is not empty. Decide each interruption with
 * {@link RunState.approve} / {@link RunState.reject}, then resume with
 * `run(agent, state, { session })`: approved calls run, rejected ones give the model the
 * rejection message, and the run goes on.
 *
 * With a session that keeps pending runs (`IndexedDBSession`, `MemorySession`,
 * `EncryptedSession`) the state is stored with it: after a reload, read it back with
 * {@link RunState.fromSession}. Elsewhere, keep {@link RunState.toString} yourself and read
 * it with {@link RunState.fromString}. Decisions live in this object and in its
 * `toString()`; the copy a session keeps holds none (it is the question, not the answer), so
 * decide and resume in the same page load, or keep `toString()` of a decided state.
 *
 */
export class RunState {
  /** The agent that paused. */
  readonly agent: RunAgent
  /** The pause's data (read-only for apps; the runner reads it). */
  readonly data: Readonly<RunStateData>
  readonly #decisions = new Map<string, ApprovalDecision>()
  /** `alwaysApprove` / `alwaysReject` decisions, by tool name, for the rest of the run. */
  readonly #always = new Map<string, ApprovalDecision>()

  /**
   * Made by the runner; apps get states from results, {@link RunState.fromString} and
   * {@link RunState.fromSession}.
   */
  constructor(
    agent: AnyAgent,
    data: RunStateData,
    decisions: Iterable<[string, ApprovalDecision]> = [],
    always: Iterable<[string, ApprovalDecision]> = [],
  ) {
    this.agent = agent as unknown as RunAgent
    this.data = data
    for (const [callId, decision] of decisions) this.#decisions.set(callId, decision)
    for (const [toolName, decision] of always) this.#always.set(toolName, decision)
  }

  /** The calls waiting for a decision (decided ones included), in the model's order. */
  getInterruptions(): RunToolApprovalItem[] {
    return this.#pendingCalls().map((call) => new RunToolApprovalItem(call, this.agent))
  }

  /**
   * Approves a waiting call: on resume it runs.
   * @param options.alwaysApprove - also approve every later call of this tool in this run
   *   (the resumed run and its own pauses) without asking @default false
   * @throws {@link InvalidArgumentError} for an item that is not one of this state's interruptions
   */
  approve(approvalItem: RunToolApprovalItem, options: { alwaysApprove?: boolean } = {}): void {
    this.#decisions.set(this.#callIdOf(approvalItem), { approved: true })
    if (options.alwaysApprove === true) this.#always.set(approvalItem.rawItem.name, { approved: true })
  }

  /**
   * Rejects a waiting call: on resume it does not run, and the model receives `message` as
   * its output.
   * @param options.message - what the model is told @default 'Tool execution was not approved.'
   * @param options.alwaysReject - also reject every later call of this tool in this run,
   *   with the same message, without asking @default false
   * @throws {@link InvalidArgumentError} for an item that is not one of this state's interruptions
   */
  reject(approvalItem: RunToolApprovalItem, options: { message?: string; alwaysReject?: boolean } = {}): void {
    const callId = this.#callIdOf(approvalItem)
    if (options.message !== undefined && typeof options.message !== 'string') {
      throw new InvalidArgumentError(`reject: message must be a string, got ${typeof options.message}.`)
    }
    const decision: ApprovalDecision = options.message === undefined ? { approved: false } : { approved: false, message: options.message }
    this.#decisions.set(callId, decision)
    if (options.alwaysReject === true) this.#always.set(approvalItem.rawItem.name, decision)
  }

  /** The standing (`alwaysApprove` / `alwaysReject`) decisions, by tool name. */
  standingDecisions(): Map<string, ApprovalDecision> {
    return new Map([...this.#always].map(([toolName, decision]) => [toolName, { ...decision }]))
  }

  /** The decision on a call, `undefined` while it waits. */
  decisionFor(callId: string): ApprovalDecision | undefined {
    const decision = this.#decisions.get(callId)
    return decision && { ...decision }
  }

  /** The state as plain JSON (what {@link RunState.toString} writes). */
  toJSON(): z.infer<typeof Serialized> {
    return {
      format: FORMAT,
      version: VERSION,
      ...structuredClone(this.data as RunStateData),
      decisions: [...this.#decisions].map(([callId, decision]) => ({ callId, ...decision })),
      always: [...this.#always].map(([toolName, decision]) => ({ toolName, ...decision })),
    }
  }

  /** The state as a string for {@link RunState.fromString}. It holds the calls' arguments: store it where you would store the chat. */
  toString(): string {
    return JSON.stringify(this.toJSON())
  }

  /**
   * Reads a state made by {@link RunState.toString}, for `agent`.
   * @throws {@link InvalidRunStateError} when `text` is not such a state (garbled, changed,
   *   newer), or was made for another agent
   */
  static async fromString<TContext, TOutput extends z4.$ZodType | undefined>(agent: Agent<TContext, TOutput>, text: string): Promise<RunState> {
    return parseRunState(agent, text, true)
  }

  /**
   * The run paused in `session`, waiting for approvals, or `undefined` when none waits (or
   * the session does not keep pending runs). Call it when the chat opens, to show the
   * questions again.
   * @throws {@link InvalidRunStateError} when the stored state cannot be read or was made
   *   for another agent; what the session throws when it cannot be read (e.g. a
   *   `WrongKeyError` of an `EncryptedSession`)
   */
  static async fromSession<TContext, TOutput extends z4.$ZodType | undefined>(
    agent: Agent<TContext, TOutput>,
    session: Session,
  ): Promise<RunState | undefined> {
    if (!isPendingRunsSession(session)) return undefined
    const pending = await session.getPendingRun()
    if (!pending) return undefined
    const state = parseRunState(agent, pending.state, true)
    if (state.data.runId !== pending.runId || (state.data.sessionId !== null && state.data.sessionId !== session.sessionId)) {
      throw new InvalidRunStateError(`the pending run of session "${session.sessionId}" holds a state made for another run or session`)
    }
    return state
  }

  #pendingCalls(): FunctionCallItem[] {
    const calls = this.data.turnItems.filter(isFunctionCall)
    return this.data.pendingCallIds.map((callId) => calls.find((call) => call.call_id === callId)!)
  }

  #callIdOf(approvalItem: RunToolApprovalItem): string {
    const callId: unknown = approvalItem?.rawItem?.call_id
    if (typeof callId !== 'string' || !this.data.pendingCallIds.includes(callId)) {
      throw new InvalidArgumentError(
        `This approval item (call ${JSON.stringify(callId)}) is not one of this run's interruptions (${this.data.pendingCallIds.join(', ')}); pass an item of result.interruptions.`,
      )
    }
    return callId
  }
}

/**
 * Parses a serialized state. `checkAgent`: refuse one made for another agent (abandoning a
 * pending run reads it with whatever agent runs next).
 */
export function parseRunState(agent: AnyAgent, text: string, checkAgent: boolean): RunState {
  if (typeof text !== 'string') throw new InvalidRunStateError(`it is ${text === null ? 'null' : typeof text}, not a string`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new InvalidRunStateError('it is not JSON', error)
  }
  const parsed = z.safeParse(Serialized, json)
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'the whole value'))]
    const shown = fields.slice(0, 3).join(', ') + (fields.length > 3 ? ` and ${fields.length - 3} more` : '')
    throw new InvalidRunStateError(`it is not an idb-agents run state (wrong or missing: ${shown})`, parsed.error)
  }
  const value = parsed.data
  if (value.version !== VERSION) {
    throw new InvalidRunStateError(`it was made by a newer idb-agents (run state version ${value.version}, this one reads ${VERSION})`)
  }
  if (checkAgent && value.agentName !== agent.name) {
    throw new InvalidRunStateError(`it was made for agent "${value.agentName}", not "${agent.name}"`)
  }
  const items = (list: unknown[], what: string): AgentItem[] => {
    try {
      return toStoredItems(list as AgentItem[])
    } catch (error) {
      throw new InvalidRunStateError(`its ${what} are not valid items: ${messageOf(error)}`, error)
    }
  }
  const turnItems = items(value.turnItems, 'turn items')
  const calls = new Set(turnItems.filter(isFunctionCall).map((call) => call.call_id))
  const answered = new Set(turnItems.flatMap((item) => (item.type === 'function_call_output' && typeof item.call_id === 'string' ? [item.call_id] : [])))
  for (const callId of value.pendingCallIds) {
    if (!calls.has(callId) || answered.has(callId)) {
      throw new InvalidRunStateError(`its waiting call ${JSON.stringify(callId)} is not an unanswered call of the paused turn`)
    }
  }
  if (new Set(value.pendingCallIds).size !== value.pendingCallIds.length) throw new InvalidRunStateError('a waiting call is listed twice')
  const decisions: Array<[string, ApprovalDecision]> = []
  for (const decision of value.decisions) {
    if (!value.pendingCallIds.includes(decision.callId)) throw new InvalidRunStateError(`it decides call ${JSON.stringify(decision.callId)}, which does not wait`)
    decisions.push([decision.callId, decision.approved ? { approved: true } : decision.message === undefined ? { approved: false } : { approved: false, message: decision.message }])
  }
  const last = value.history?.last
  const data: RunStateData = {
    runId: value.runId,
    agentName: value.agentName,
    sessionId: value.sessionId,
    turn: value.turn,
    input: items(value.input, 'input items'),
    conversation: items(value.conversation, 'conversation items'),
    unsaved: items(value.unsaved, 'unsaved items'),
    turnItems,
    pendingCallIds: [...value.pendingCallIds],
    history: value.history && { count: value.history.count, last: last === null || last === undefined ? null : items([last], 'history mark')[0]! },
    perRequest: value.perRequest.map((usage) => ({ ...usage })),
  }
  const always: Array<[string, ApprovalDecision]> = (value.always ?? []).map((standing) => [
    standing.toolName,
    standing.approved ? { approved: true } : standing.message === undefined ? { approved: false } : { approved: false, message: standing.message },
  ])
  return new RunState(agent, data, decisions, always)
}
