// The offline demo model running inside the page: the brain behind the runner's Model
// interface. Used by the production build (no dev server) and whenever the browser is
// offline — the openai client refuses requests while `navigator.onLine` is false, even
// to a local endpoint.
import { AbortError, type Model, type ModelRequest, type ModelResponse, type ModelStreamEvent } from '../../../src/index.js'
import { IdMaker, replyItems, replyUsage, textDeltas } from '../../../src/testing/script.js'
import { think } from './brain.js'

/** Pause between streamed words, so streaming is visible. */
const WORD_DELAY_MS = 12

export class LocalDemoModel implements Model {
  readonly #ids = new IdMaker(`local${Date.now().toString(36)}`)

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    request.signal?.throwIfAborted()
    const reply = think({ input: request.input, tools: request.tools.map((t) => t.name) })
    return {
      output: replyItems(reply, this.#ids),
      usage: replyUsage(reply, JSON.stringify(request.input).length),
      responseId: this.#ids.next('resp'),
    }
  }

  async *getStreamedResponse(request: ModelRequest): AsyncGenerator<ModelStreamEvent, void, undefined> {
    const response = await this.getResponse(request)
    const message = response.output.find((item) => item.type === 'message')
    const text = message && Array.isArray(message.content) ? String(message.content[0]?.text ?? '') : ''
    for (const delta of textDeltas(text)) {
      await pause(WORD_DELAY_MS, request.signal)
      yield { type: 'output_text_delta', delta }
    }
    yield { type: 'response_done', response }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(signal.reason))
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new AbortError(signal.reason))), { once: true })
  })
}
