import type { EventSink, RunStreamEvent } from './events.js'
import type { RunToolApprovalItem } from './approvals.js'
import type { RunResult } from './result.js'
import type { RunState } from './run-state.js'

/**
 * A run in progress, returned by `run(…, { stream: true })`, used as `@openai/agents`'
 * `StreamedRunResult` is: iterate it (or `toStream()`) for events, `toTextStream()` for
 * the answer's text, await `completed`. The iteration ends when the run ends and throws the
 * run's error if it failed; `completed` settles at the same time. Leaving the loop early
 * does not stop the run; pass a `signal` to `run()` for that.
 *
 * ```ts
 * const stream = await run(agent, 'Hi', { session, stream: true })
 * for await (const text of stream.toTextStream()) show(text)
 * await stream.completed
 * console.log(stream.finalOutput)
 * ```
 *
 * @typeParam TOutput - `string`, or the parsed type of the agent's `outputType`
 */
export class StreamedRunResult<TOutput = string> implements AsyncIterable<RunStreamEvent> {
  /**
   * Settles when the run ends: resolves to the finished {@link RunResult} (where
   * `@openai/agents` resolves to nothing), rejects with the run's typed error.
   */
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

  /** The final output once the run has completed, else `undefined` (also when it paused for approvals). */
  get finalOutput(): TOutput | undefined {
    return this.#result?.finalOutput
  }

  /** The finished result once the run has completed, else `undefined`. */
  get result(): RunResult<TOutput> | undefined {
    return this.#result
  }

  /**
   * The tool calls waiting for approval once the run has ended paused (`@openai/agents`'
   * name); `[]` while running and after a finished run. Each was also sent as a
   * `run_item_stream_event` named `'tool_approval_requested'`.
   */
  get interruptions(): RunToolApprovalItem[] {
    return this.#result?.interruptions ?? []
  }

  /** The paused run to resume once the run has ended paused, else `undefined`. */
  get state(): RunState | undefined {
    return this.#result?.state
  }

  /** The error the run failed with, once it has; `undefined` while running or after success. */
  get error(): unknown {
    return this.#error
  }

  /** The events as a `ReadableStream` (the stream and the iteration are one: use either). */
  toStream(): ReadableStream<RunStreamEvent> & AsyncIterable<RunStreamEvent> {
    return iterableStream(this[Symbol.asyncIterator]())
  }

  /**
   * Only the answer's text, piece by piece, as a `ReadableStream<string>` that is also
   * async-iterable (in every browser, Safari included).
   */
  toTextStream(): ReadableStream<string> & AsyncIterable<string> {
    return iterableStream(textDeltas(this))
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RunStreamEvent, void, undefined> {
    if (this.#iterated) throw new Error('A streamed run can be iterated only once (toStream and toTextStream iterate it too).')
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

async function* textDeltas(events: AsyncIterable<RunStreamEvent>): AsyncGenerator<string, void, undefined> {
  for await (const event of events) {
    if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') yield event.data.delta
  }
}

/** A ReadableStream pulling from `source`, iterable with `for await` even where streams are not (Safari). */
function iterableStream<T>(source: AsyncIterator<T>): ReadableStream<T> & AsyncIterable<T> {
  const stream = new ReadableStream<T>({
    async pull(controller) {
      const next = await source.next()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    async cancel() {
      await source.return?.()
    },
  })
  if (!(Symbol.asyncIterator in stream)) {
    Object.defineProperty(stream, Symbol.asyncIterator, {
      value: async function* () {
        const reader = stream.getReader()
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) return
            yield value
          }
        } finally {
          reader.releaseLock()
        }
      },
    })
  }
  return stream as ReadableStream<T> & AsyncIterable<T>
}
