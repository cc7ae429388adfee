import type { AgentItem } from '../items/types.js'
import type { ModelResponse } from '../model/model.js'
import type { Usage } from '../model/usage.js'
import type { RunToolApprovalItem } from './approvals.js'
import type { RunState } from './run-state.js'

/** What a finished run produced. */
export interface RunOutcome<TOutput> {
  /** The parsed final answer; `undefined` when the run paused for approvals. */
  finalOutput: TOutput | undefined
  /** The run's input items (the string input as a user message), without session history. */
  input: AgentItem[]
  /** Items produced by the run. */
  newItems: AgentItem[]
  /** Items added to the session. */
  savedItems: AgentItem[]
  /** Every model response. */
  rawResponses: ModelResponse[]
  /** Token usage. */
  usage: Usage
  /** The paused run, when calls wait for approval. */
  state?: RunState
}

/**
 * The result of a finished `run()`: the twin of `RunResult` in the Agents SDKs.
 *
 * @typeParam TOutput - `string`, or the parsed type of the agent's `outputType`
 */
export class RunResult<TOutput = string> {
  /**
   * The final answer: its text, or the value parsed with the agent's `outputType`.
   * `undefined` when the run paused for approvals (see {@link RunResult.interruptions}).
   */
  readonly finalOutput: TOutput | undefined
  /** The run's input as items (a string input becomes one user message). */
  readonly input: AgentItem[]
  /** Items the run produced, in order: model output and tool outputs. */
  readonly newItems: AgentItem[]
  /** Items this run added to the session (input first), `[]` without a session. */
  readonly savedItems: AgentItem[]
  /** Every model response, in order. */
  readonly rawResponses: ModelResponse[]
  /** Token usage: totals and `perRequest`. */
  readonly usage: Usage
  /**
   * The paused run when tool calls wait for approval (`interruptions` is not empty), else
   * `undefined`. Decide with `state.approve()` / `state.reject()`, then resume with
   * `run(agent, state, { session })`.
   */
  readonly state: RunState | undefined

  /** @param outcome - what the finished run produced */
  constructor(outcome: RunOutcome<TOutput>) {
    this.finalOutput = outcome.finalOutput
    this.input = outcome.input
    this.newItems = outcome.newItems
    this.savedItems = outcome.savedItems
    this.rawResponses = outcome.rawResponses
    this.usage = outcome.usage
    this.state = outcome.state
  }

  /**
   * The tool calls waiting for a person's approval (`@openai/agents`' name); `[]` when the
   * run finished. Show each (its `toolName` and `arguments`), decide with
   * `result.state.approve(item)` / `result.state.reject(item)`, then resume.
   */
  get interruptions(): RunToolApprovalItem[] {
    return this.state ? this.state.getInterruptions() : []
  }

  /** The id of the last model response, for `previous_response_id` chains. */
  get lastResponseId(): string | undefined {
    return this.rawResponses.at(-1)?.responseId
  }

  /**
   * `input` followed by `newItems`: the conversation to pass as the next run's input when
   * you keep history yourself instead of using a session (the seed's manual pattern):
   *
   * ```ts
   * history = (await run(agent, [...history, { role: 'user', content: message }])).toInputList()
   * ```
   */
  toInputList(): AgentItem[] {
    return structuredClone([...this.input, ...this.newItems])
  }
}
