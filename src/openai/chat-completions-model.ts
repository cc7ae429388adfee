import type OpenAI from 'openai'
import type { AgentItem, ContentPart, JsonObject, JsonValue } from '../items/types.js'
import { isAssistantMessage, isFunctionCall, isFunctionCallOutput, messageText } from '../items/predicates.js'
import { num, type Model, type ModelRequest, type ModelResponse, type ModelStreamEvent } from '../model/model.js'
import type { RequestUsage } from '../session/usage.js'
import { assertOnline, toModelError } from './errors.js'

type CreateParams = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming
type ChatMessage = JsonObject & { role: string }
type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } }

/**
 * A {@link Model} on the Chat Completions API (`POST /v1/chat/completions`), for
 * OpenAI-compatible servers: local LLM servers, other providers. Items are stored in the
 * Responses format either way, so a session can switch between the two models.
 * Reasoning and other Responses-only items are not sent.
 */
export class OpenAIChatCompletionsModel implements Model {
  readonly #client: OpenAI
  readonly #model: string

  /**
   * @param client - an `openai` client whose `baseURL` points at the compatible server
   * @param model - the model name that server knows
   */
  constructor(client: OpenAI, model: string) {
    this.#client = client
    this.#model = model
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    assertOnline(this.#client.baseURL)
    try {
      const { data, request_id } = await this.#client.chat.completions
        .create(this.#params(request), { signal: request.signal ?? null })
        .withResponse()
      const message = data.choices[0]?.message
      const calls = (message?.tool_calls ?? []).filter((c): c is ToolCall => c.type === 'function')
      const usage = (data.usage ?? {}) as unknown as JsonObject
      return response(data.id, request_id, message?.content ?? '', calls, toUsage(usage))
    } catch (error) {
      throw toModelError(error, request.signal)
    }
  }

  async *getStreamedResponse(request: ModelRequest): AsyncGenerator<ModelStreamEvent, void, undefined> {
    assertOnline(this.#client.baseURL)
    try {
      const params = { ...this.#params(request), stream: true as const, stream_options: { include_usage: true } }
      const { data: stream, request_id } = await this.#client.chat.completions
        .create(params, { signal: request.signal ?? null })
        .withResponse()
      let id = ''
      let text = ''
      let usage: RequestUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 }
      const calls: ToolCall[] = []
      for await (const chunk of stream) {
        id ||= chunk.id
        if (chunk.usage) usage = toUsage(chunk.usage as unknown as JsonObject)
        const delta = chunk.choices[0]?.delta
        if (delta?.content) {
          text += delta.content
          yield { type: 'output_text_delta', delta: delta.content }
        }
        for (const part of delta?.tool_calls ?? []) {
          const call = (calls[part.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } })
          if (part.id) call.id = part.id
          if (part.function?.name) call.function.name += part.function.name
          if (part.function?.arguments) call.function.arguments += part.function.arguments
        }
      }
      yield { type: 'response_done', response: response(id, request_id, text, calls.filter(Boolean), usage) }
    } catch (error) {
      throw toModelError(error, request.signal)
    }
  }

  #params(request: ModelRequest): CreateParams {
    const settings = request.modelSettings
    const params: Record<string, unknown> = { model: this.#model, messages: toMessages(request.instructions, request.input) }
    if (request.tools.length > 0) {
      params.tools = request.tools.map(({ name, description, parameters, strict }) => ({
        type: 'function',
        function: { name, description, parameters, strict },
      }))
      if (settings.parallelToolCalls !== undefined) params.parallel_tool_calls = settings.parallelToolCalls
    }
    if (request.outputSchema) params.response_format = { type: 'json_schema', json_schema: request.outputSchema }
    if (settings.temperature !== undefined) params.temperature = settings.temperature
    if (settings.topP !== undefined) params.top_p = settings.topP
    if (settings.maxTokens !== undefined) params.max_completion_tokens = settings.maxTokens
    if (settings.store !== undefined) params.store = settings.store
    if (settings.reasoning?.effort) params.reasoning_effort = settings.reasoning.effort
    if (settings.toolChoice !== undefined) {
      const choice = settings.toolChoice
      params.tool_choice =
        choice === 'auto' || choice === 'required' || choice === 'none' ? choice : { type: 'function', function: { name: choice } }
    }
    return { ...params, ...settings.extraBody } as unknown as CreateParams
  }
}

/** Converts stored (Responses-format) items to Chat Completions messages. */
export function toMessages(instructions: string | undefined, items: readonly AgentItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions === undefined ? [] : [{ role: 'system', content: instructions }]
  // Consecutive assistant text and tool calls form one assistant message in this API.
  let assistant: ChatMessage | undefined
  for (const item of items) {
    if (isAssistantMessage(item)) {
      assistant = { role: 'assistant', content: messageText(item) }
      messages.push(assistant)
    } else if (isFunctionCall(item)) {
      if (!assistant) messages.push((assistant = { role: 'assistant', content: null }))
      const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } }
      assistant.tool_calls = [...((assistant.tool_calls as JsonValue[] | undefined) ?? []), call]
    } else if (isFunctionCallOutput(item)) {
      assistant = undefined
      const content = typeof item.output === 'string' ? item.output : item.output.map((p) => p.text ?? '').join('')
      messages.push({ role: 'tool', tool_call_id: item.call_id, content })
    } else if (typeof item.role === 'string' && (item.type === undefined || item.type === 'message')) {
      assistant = undefined
      const content = item.content as string | ContentPart[]
      messages.push({ role: item.role, content: item.role === 'user' ? userContent(content) : textOf(content) })
    }
  }
  return messages
}

function textOf(content: string | ContentPart[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('')
}

function userContent(content: string | ContentPart[]): JsonValue {
  if (typeof content === 'string') return content
  return content.map((part): JsonValue => {
    if (part.type === 'input_image' && typeof part.image_url === 'string') {
      return { type: 'image_url', image_url: { url: part.image_url, detail: typeof part.detail === 'string' ? part.detail : 'auto' } }
    }
    return { type: 'text', text: part.text ?? '' }
  })
}

function toUsage(usage: JsonObject): RequestUsage {
  const inputTokens = num(usage.prompt_tokens)
  const outputTokens = num(usage.completion_tokens)
  return { inputTokens, outputTokens, totalTokens: num(usage.total_tokens) || inputTokens + outputTokens }
}

function response(id: string, requestId: string | null, text: string, calls: ToolCall[], usage: RequestUsage): ModelResponse {
  const output: AgentItem[] = []
  if (text !== '') {
    output.push({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] })
  }
  for (const call of calls) {
    output.push({ type: 'function_call', call_id: call.id, name: call.function.name, arguments: call.function.arguments, status: 'completed' })
  }
  const result: ModelResponse = { output, usage }
  if (id) result.responseId = id
  if (requestId) result.requestId = requestId
  return result
}
