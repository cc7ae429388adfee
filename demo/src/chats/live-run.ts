// One run in progress: what it has streamed so far (so a chat opened again mid-answer shows
// it), a way to stop it, and how it ended. Runs go on when the user opens another chat.
import { RunError, type StreamedRunResult } from '../../../src/index.js'
import { isKeptOffline, problemOf, type Problem } from '../ui/problems.js'
import { toChatEvent, type ChatEvent } from './stream-events.js'

export interface ToolState {
  callId: string
  name: string
  args: string
  output?: string
}

export type Outcome =
  | { kind: 'done' }
  /** Offline: the input was kept as pending input and goes out when the network is back. */
  | { kind: 'waiting' }
  /** Failed or stopped; `inputSaved` says whether the input is in the history already. */
  | { kind: 'failed'; problem: Problem; inputSaved: boolean }

export class LiveRun {
  readonly sessionId: string
  /** The user's text; `undefined` when the run continues a stored input. */
  readonly text: string | undefined
  answer = ''
  readonly tools: ToolState[] = []
  readonly outcome: Promise<Outcome>
  readonly #controller = new AbortController()
  readonly #listeners = new Set<(event: ChatEvent) => void>()

  /** @param start - starts the streamed run with the given signal */
  constructor(sessionId: string, text: string | undefined, start: (signal: AbortSignal) => Promise<StreamedRunResult>) {
    this.sessionId = sessionId
    this.text = text
    this.outcome = this.#follow(start)
  }

  get stopped(): boolean {
    return this.#controller.signal.aborted
  }

  stop(): void {
    this.#controller.abort()
  }

  /** Calls `listener` with each event from now on. */
  listen(listener: (event: ChatEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async #follow(start: (signal: AbortSignal) => Promise<StreamedRunResult>): Promise<Outcome> {
    try {
      const stream = await start(this.#controller.signal)
      for await (const raw of stream) {
        const event = toChatEvent(raw)
        if (!event) continue
        this.#apply(event)
        for (const listener of this.#listeners) listener(event)
      }
      return { kind: 'done' }
    } catch (error) {
      if (isKeptOffline(error)) return { kind: 'waiting' }
      const inputSaved = error instanceof RunError && error.inputSaved
      const problem = this.stopped ? { code: 'stopped', details: problemOf(error).details } : problemOf(error)
      return { kind: 'failed', problem, inputSaved }
    }
  }

  #apply(event: ChatEvent): void {
    if (event.kind === 'text') this.answer += event.delta
    else if (event.kind === 'tool-called') this.tools.push({ callId: event.callId, name: event.name, args: event.args })
    else {
      const tool = this.tools.find((t) => t.callId === event.callId)
      if (tool) tool.output = event.output
    }
  }
}
