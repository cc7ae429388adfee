import type { AgentItem, FunctionCallItem, FunctionCallOutputItem } from '../items/items.js'
import type { ModelResponse } from '../model/model.js'
import type { RunResult } from './result.js'

/**
 * An event of a streamed run, in the order things happen:
 * - `text_delta`: a piece of the answer's text as it arrives;
 * - `item_created`: a model output item other than a tool call (message, reasoning …);
 * - `tool_called`: the model called a tool; `tool_output`: the tool answered;
 * - `response_done`: one model response is complete;
 * - `turn_saved`: items were added to the session (one event per `addItems`).
 */
export type RunStreamEvent =
  | { type: 'text_delta'; delta: string }
  | { type: 'item_created'; item: AgentItem }
  | { type: 'tool_called'; item: FunctionCallItem }
  | { type: 'tool_output'; item: FunctionCallOutputItem }
  | { type: 'response_done'; response: ModelResponse }
  | { type: 'turn_saved'; items: AgentItem[] }

/** Receives events as the run produces them. */
export type EventSink = (event: RunStreamEvent) => void

/**
 * A run in progress, returned by `run(…, { stream: true })`. Iterate it for events; the
 * iteration ends when the run ends and throws the run's error if it failed. `completed`
 * settles at the same time. Leaving the loop early does not stop the run; pass a `signal`
 * to `run()` for that.
 *
 * ```ts
 * const stream = await run(agent, 'Hi', { session, stream: true })
 * for await (const event of stream) if (event.type === 'text_delta') show(event.delta)
 * console.log(stream.finalOutput)
 * ```
 *
 * @typeParam TOutput - `string`, or the parsed type of the agent's `outputType`
 */
export class StreamedRunResult<TOutput = string> implements AsyncIterable<RunStreamEvent> {
  /** Resolves to the finished {@link RunResult}; rejects with the run's typed error. */
  readonly completed: Promise<RunResult<TOutput>>
  #buffer: RunStreamEvent[] = []
  #wake: (() => void) | undefined
  #done = false
  #error: unknown = undefined
  #result: RunResult<TOutput> | undefined
  #iterated = false

  /** @param start - starts the run, sending its events to the given sink */
  constructor(start: (emit: EventSink) => Promise<RunResult<TOutput>>) {
    this.completed = start((event) => this.#push(event)).then(
      (result) => {
        this.#result = result
        this.#finish()
        return result
      },
      (error: unknown) => {
        this.#error = error
        this.#finish()
        throw error
      },
    )
    // A caller that only iterates still sees the error there; do not also report it as unhandled.
    this.completed.catch(() => {})
  }

  /** The final output once the run has completed, else `undefined`. */
  get finalOutput(): TOutput | undefined {
    return this.#result?.finalOutput
  }

  /** The finished result once the run has completed, else `undefined`. */
  get result(): RunResult<TOutput> | undefined {
    return this.#result
  }

  /** Only the answer's text deltas, as an async iterable of strings. */
  async *toTextStream(): AsyncGenerator<string, void, undefined> {
    for await (const event of this) if (event.type === 'text_delta') yield event.delta
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RunStreamEvent, void, undefined> {
    if (this.#iterated) throw new Error('A streamed run can be iterated only once.')
    this.#iterated = true
    for (;;) {
      const event = this.#buffer.shift()
      if (event) {
        yield event
        continue
      }
      if (this.#done) break
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
    if (this.#error !== undefined) throw this.#error
  }

  #push(event: RunStreamEvent): void {
    this.#buffer.push(event)
    this.#signal()
  }

  #finish(): void {
    this.#done = true
    this.#signal()
  }

  #signal(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
