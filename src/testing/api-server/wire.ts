// Wire formats of the two model endpoints, built from a scripted reply.
import type { JsonObject, JsonValue } from '../../items/types.js'
import { IdMaker, replyItems, replyUsage, textDeltas, type ScriptedReply } from '../script.js'

/** One server-sent event; `delta` marks text deltas (where a stall may begin). */
export interface SseEvent {
  event?: string
  data: JsonValue | '[DONE]'
  delta?: boolean
}

/** A scripted reply in one wire format: the JSON body, or the SSE events of a stream. */
export interface WireReply {
  json: JsonObject
  events: SseEvent[]
}

/** `POST /v1/responses`: a Response object, or its `response.*` event stream. */
export function responsesWire(reply: ScriptedReply, body: JsonObject, ids: IdMaker): WireReply {
  const output = replyItems(reply, ids) as unknown as JsonObject[]
  const usage = replyUsage(reply, JSON.stringify(body.input ?? '').length)
  const base = {
    id: ids.next('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : 'scripted',
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    parallel_tool_calls: true,
    tools: [],
  }
  const json: JsonObject = {
    ...base,
    status: 'completed',
    output,
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.totalTokens,
    },
  }
  let seq = 0
  const ev = (type: string, fields: JsonObject, delta = false): SseEvent => ({
    event: type,
    data: { type, sequence_number: seq++, ...fields },
    ...(delta && { delta: true }),
  })
  const events: SseEvent[] = [ev('response.created', { response: { ...base, status: 'in_progress', output: [], usage: null } })]
  output.forEach((item, output_index) => {
    events.push(ev('response.output_item.added', { output_index, item: inProgress(item) }))
    if (item.type === 'message') {
      const text = reply.text ?? ''
      const item_id = String(item.id ?? '')
      const part = { type: 'output_text', text: '', annotations: [] }
      events.push(ev('response.content_part.added', { item_id, output_index, content_index: 0, part }))
      for (const delta of textDeltas(text)) {
        events.push(ev('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] }, true))
      }
      events.push(ev('response.output_text.done', { item_id, output_index, content_index: 0, text, logprobs: [] }))
      events.push(ev('response.content_part.done', { item_id, output_index, content_index: 0, part: { ...part, text } }))
    } else if (item.type === 'function_call') {
      const item_id = String(item.id ?? '')
      events.push(ev('response.function_call_arguments.delta', { item_id, output_index, delta: String(item.arguments ?? '') }))
      events.push(ev('response.function_call_arguments.done', { item_id, output_index, arguments: String(item.arguments ?? '') }))
    }
    events.push(ev('response.output_item.done', { output_index, item }))
  })
  events.push(ev('response.completed', { response: json }))
  return { json, events }
}

function inProgress(item: JsonObject): JsonObject {
  if (item.type === 'message') return { ...item, status: 'in_progress', content: [] }
  return { ...item, status: 'in_progress', arguments: '' }
}

/** `POST /v1/chat/completions`: a ChatCompletion, or its chunk stream ending in `[DONE]`. */
export function chatWire(reply: ScriptedReply, body: JsonObject, ids: IdMaker): WireReply {
  const usage = replyUsage(reply, JSON.stringify(body.messages ?? '').length)
  const calls = replyItems({ toolCalls: reply.toolCalls ?? [] }, ids).map((item) => ({
    id: String(item.call_id),
    type: 'function',
    function: { name: String(item.name), arguments: String(item.arguments) },
  }))
  const id = ids.next('chatcmpl')
  const created = Math.floor(Date.now() / 1000)
  const model = typeof body.model === 'string' ? body.model : 'scripted'
  const finish_reason = calls.length > 0 ? 'tool_calls' : 'stop'
  const text = reply.text ?? ''
  const chatUsage = { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.totalTokens }
  const message: JsonObject = { role: 'assistant', content: text === '' ? null : text, refusal: null }
  if (calls.length > 0) message.tool_calls = calls
  const json: JsonObject = {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, finish_reason, logprobs: null }],
    usage: chatUsage,
  }
  const chunk = (delta: JsonObject, finish: string | null = null): JsonObject => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  })
  const events: SseEvent[] = [{ data: chunk({ role: 'assistant', content: '' }) }]
  for (const delta of textDeltas(text)) events.push({ data: chunk({ content: delta }), delta: true })
  calls.forEach((call, index) => {
    events.push({ data: chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }) })
    events.push({ data: chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] }) })
  })
  events.push({ data: chunk({}, finish_reason) })
  const options = body.stream_options
  if (typeof options === 'object' && options !== null && !Array.isArray(options) && options.include_usage === true) {
    events.push({ data: { id, object: 'chat.completion.chunk', created, model, choices: [], usage: chatUsage } })
  }
  events.push({ data: '[DONE]' })
  return { json, events }
}
