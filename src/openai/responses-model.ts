import type OpenAI from 'openai'
import type { AgentItem, JsonObject } from '../items/types.js'
import { RunError } from '../model/errors.js'
import { num, type Model, type ModelRequest, type ModelResponse, type ModelStreamEvent } from '../model/model.js'
import { assertOnline, toModelError } from './errors.js'

type CreateParams = OpenAI.Responses.ResponseCreateParamsNonStreaming
type ApiResponse = OpenAI.Responses.Response

/**
 * A {@link Model} on the OpenAI Responses API (`POST /v1/responses`), through the given
 * `openai` client: the default model of the runner. History is sent in full every turn
 * (the session is the memory), so it works with `store: false` too.
 */
export class OpenAIResponsesModel implements Model {
  readonly #client: OpenAI
  readonly #model: string

  /**
   * @param client - an `openai` client (see `createOpenAIClient` for direct and proxy setups)
   * @param model - the model name, e.g. `'gpt-4.1'`
   */
  constructor(client: OpenAI, model: string) {
    this.#client = client
    this.#model = model
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    assertOnline(this.#client.baseURL)
    try {
      const { data, request_id } = await this.#client.responses
        .create(this.#params(request), { signal: request.signal ?? null })
        .withResponse()
      return toModelResponse(data, request_id)
    } catch (error) {
      throw toModelError(error, request.signal)
    }
  }

  async *getStreamedResponse(request: ModelRequest): AsyncGenerator<ModelStreamEvent, void, undefined> {
    assertOnline(this.#client.baseURL)
    try {
      const { data: stream, request_id } = await this.#client.responses
        .create({ ...this.#params(request), stream: true }, { signal: request.signal ?? null })
        .withResponse()
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') yield { type: 'output_text_delta', delta: event.delta }
        else if (event.type === 'response.completed' || event.type === 'response.incomplete') {
          yield { type: 'response_done', response: toModelResponse(event.response, request_id) }
          return
        } else if (event.type === 'response.failed') {
          throw failed(event.response)
        } else if (event.type === 'error') {
          throw new RunError('run_failed', `The model stream reported an error: ${event.message}`)
        }
      }
    } catch (error) {
      throw toModelError(error, request.signal)
    }
  }

  #params(request: ModelRequest): CreateParams {
    const settings = request.modelSettings
    const params: Record<string, unknown> = {
      model: this.#model,
      input: request.input,
      ...(request.instructions !== undefined && { instructions: request.instructions }),
    }
    if (request.tools.length > 0) params.tools = request.tools
    if (request.outputSchema) {
      const { name, schema, strict } = request.outputSchema
      params.text = { format: { type: 'json_schema', name, schema, strict } }
    }
    if (settings.temperature !== undefined) params.temperature = settings.temperature
    if (settings.topP !== undefined) params.top_p = settings.topP
    if (settings.maxTokens !== undefined) params.max_output_tokens = settings.maxTokens
    if (settings.parallelToolCalls !== undefined) params.parallel_tool_calls = settings.parallelToolCalls
    if (settings.store !== undefined) params.store = settings.store
    // Without server-side storage, reasoning items can only be replayed with their encrypted content.
    if (settings.store === false) params.include = ['reasoning.encrypted_content']
    if (settings.reasoning !== undefined) params.reasoning = settings.reasoning
    if (settings.toolChoice !== undefined) {
      const choice = settings.toolChoice
      params.tool_choice = choice === 'auto' || choice === 'required' || choice === 'none' ? choice : { type: 'function', name: choice }
    }
    return { ...params, ...settings.extraBody } as unknown as CreateParams
  }
}

function toModelResponse(response: ApiResponse, requestId: string | null): ModelResponse {
  if (response.status === 'failed') throw failed(response)
  const usage = (response.usage ?? {}) as unknown as JsonObject
  const result: ModelResponse = {
    output: response.output as unknown as AgentItem[],
    usage: { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens), totalTokens: num(usage.total_tokens) },
    responseId: response.id,
  }
  if (requestId) result.requestId = requestId
  return result
}

function failed(response: ApiResponse): RunError {
  const detail = response.error ? `${response.error.code}: ${response.error.message}` : 'no reason given'
  return new RunError('run_failed', `The model response failed (${detail}). Nothing of this turn was saved; retry.`)
}
