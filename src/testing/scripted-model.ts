import { ModelHttpError, OfflineError } from '../model/errors.js'
import type { Model, ModelRequest, ModelResponse, ModelStreamEvent } from '../model/model.js'
import { asReply, IdMaker, isDisconnect, isHttpError, replyItems, replyUsage, textDeltas, type ScriptedTurn } from './script.js'

/** Computes the turn for a request; `index` counts this model's requests from 0. */
export type ScriptedResponder = (request: ModelRequest, index: number) => ScriptedTurn

let instances = 0

/**
 * An in-process {@link Model} that answers from a script, for fast unit tests of agents and
 * tools without HTTP. Each request takes the next turn:
 *
 * ```ts
 * const model = new ScriptedModel([
 *   { toolCalls: [{ name: 'save_note', arguments: { title: 'a', content: 'b' } }] },
 *   'Saved it.',
 * ])
 * const agent = new Agent({ name: 'Notes', model, tools: [saveNote] })
 * await run(agent, 'Remember a: b', { session })
 * model.requests[1].input // what the second request carried
 * ```
 *
 * HTTP error turns throw {@link ModelHttpError}, disconnect turns {@link OfflineError};
 * a streamed turn with `stream.stallAfter` waits for the request's signal to abort.
 */
export class ScriptedModel implements Model {
  /** Every request received, in order (as the runner built it; do not mutate). */
  readonly requests: ModelRequest[] = []
  readonly #turns: ScriptedTurn[] = []
  readonly #responder: ScriptedResponder | undefined
  readonly #ids = new IdMaker(`m${++instances}`)

  /** @param script - the turns in order, or a function computing each one */
  constructor(script: ScriptedTurn[] | ScriptedResponder = []) {
    if (typeof script === 'function') this.#responder = script
    else this.#turns.push(...script)
  }

  /** Appends turns to the script. */
  enqueue(...turns: ScriptedTurn[]): void {
    this.#turns.push(...turns)
  }

  /** Turns not used yet. */
  get remaining(): number {
    return this.#turns.length
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const turn = this.#take(request)
    return this.#respond(turn, request)
  }

  async *getStreamedResponse(request: ModelRequest): AsyncGenerator<ModelStreamEvent, void, undefined> {
    const turn = this.#take(request)
    const response = this.#respond(turn, request)
    const reply = asReply(turn as Exclude<ScriptedTurn, { status: number } | { disconnect: true }>)
    const deltas = textDeltas(reply.text ?? '')
    for (const [i, delta] of deltas.entries()) {
      if (reply.stream?.stallAfter === i) await untilAborted(request.signal)
      request.signal?.throwIfAborted()
      yield { type: 'output_text_delta', delta }
    }
    if (reply.stream?.stallAfter !== undefined && reply.stream.stallAfter >= deltas.length) await untilAborted(request.signal)
    request.signal?.throwIfAborted()
    yield { type: 'response_done', response }
  }

  #take(request: ModelRequest): ScriptedTurn {
    request.signal?.throwIfAborted()
    const index = this.requests.length
    this.requests.push(request)
    const turn = this.#responder ? this.#responder(request, index) : this.#turns.shift()
    if (turn === undefined) {
      throw new Error(`ScriptedModel: no scripted turn left for request #${index}; add one with enqueue().`)
    }
    return turn
  }

  #respond(turn: ScriptedTurn, request: ModelRequest): ModelResponse {
    if (isHttpError(turn)) {
      throw new ModelHttpError(`Scripted HTTP ${turn.status}: ${turn.message ?? 'Scripted error'}`, {
        status: turn.status,
        requestId: this.#ids.next('req'),
      })
    }
    if (isDisconnect(turn)) throw new OfflineError('the scripted model dropped the connection')
    const reply = asReply(turn)
    const chars = request.input.length * 50
    return {
      output: replyItems(reply, this.#ids),
      usage: replyUsage(reply, chars),
      responseId: this.#ids.next('resp'),
    }
  }
}

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) throw new Error('ScriptedModel: stream.stallAfter needs a run signal to end the stall.')
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}
