import type { AgentItem } from '../items/types.js'
import type { ModelResponse } from '../model/model.js'
import type { Usage } from '../model/usage.js'

/** What a finished run produced. */
export interface RunOutcome<TOutput> {
  /** The parsed final answer. */
  finalOutput: TOutput
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
}

/**
 * The result of a finished `run()`: the twin of `RunResult` in the Agents SDKs.
 *
 * @typeParam TOutput - `string`, or the parsed type of the agent's `outputType`
 */
export class RunResult<TOutput = string> {
  /** The final answer: its text, or the value parsed with the agent's `outputType`. */
  readonly finalOutput: TOutput
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

  /** @param outcome - what the finished run produced */
  constructor(outcome: RunOutcome<TOutput>) {
    this.finalOutput = outcome.finalOutput
    this.input = outcome.input
    this.newItems = outcome.newItems
    this.savedItems = outcome.savedItems
    this.rawResponses = outcome.rawResponses
    this.usage = outcome.usage
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
