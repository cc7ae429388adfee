// Scripted model turns shared by the in-process ScriptedModel and the local API server.
// Plain JSON, so a browser test can send a script to the server over HTTP.
import type { AgentItem, JsonObject } from '../items/types.js'
import type { RequestUsage } from '../session/usage.js'

/** One tool call a scripted turn makes. */
export interface ScriptedToolCall {
  /** The tool's name. */
  name: string
  /** Arguments: an object (sent as JSON) or a raw string (to test bad JSON). */
  arguments: JsonObject | string
  /** The `call_id`; a unique one is made up when omitted. */
  callId?: string
}

/** Streaming behaviour of a scripted turn (ignored for non-streamed requests). */
export interface ScriptedStreamOptions {
  /**
   * Send this many text deltas, then stall (keep the response open without finishing)
   * until the client aborts. For abort-mid-stream tests without timers.
   */
  stallAfter?: number
  /** Pause between stream events, in milliseconds (a slow stream). @default 0 */
  chunkDelayMs?: number
}

/** A turn that answers with text (the final answer, unless `toolCalls` are given). */
export interface ScriptedReply {
  /** The answer text; streamed as word-sized deltas. */
  text?: string
  /** Tool calls the model makes in this turn. */
  toolCalls?: ScriptedToolCall[]
  /** Usage reported; defaults are derived from the sizes of request and answer. */
  usage?: Partial<RequestUsage>
  stream?: ScriptedStreamOptions
}

/** A turn that fails with an HTTP error (after which the client may retry). */
export interface ScriptedHttpError {
  status: number
  /** The error message in the body. @default 'Scripted error <status>' */
  message?: string
  /** Extra response headers, e.g. `retry-after-ms`. */
  headers?: Record<string, string>
}

/** A turn whose connection is dropped: the client sees a network-layer failure. */
export interface ScriptedDisconnect {
  disconnect: true
}

/** One scripted model turn; a plain string is shorthand for `{ text }`. */
export type ScriptedTurn = string | ScriptedReply | ScriptedHttpError | ScriptedDisconnect

/** True for an HTTP error turn. */
export function isHttpError(turn: ScriptedTurn): turn is ScriptedHttpError {
  return typeof turn === 'object' && 'status' in turn
}

/** True for a disconnect turn. */
export function isDisconnect(turn: ScriptedTurn): turn is ScriptedDisconnect {
  return typeof turn === 'object' && 'disconnect' in turn
}

/** The reply form of a text or reply turn. */
export function asReply(turn: string | ScriptedReply): ScriptedReply {
  return typeof turn === 'string' ? { text: turn } : turn
}

/** Splits text into the deltas a stream sends: words with their trailing space. */
export function textDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? []
}

/** Makes ids unique per script: `<prefix>_<tag>_<n>`. */
export class IdMaker {
  #n = 0
  constructor(readonly tag: string) {}
  next(prefix: string): string {
    this.#n += 1
    return `${prefix}_${this.tag}_${this.#n}`
  }
}

/** The Responses-API output items of a reply. */
export function replyItems(reply: ScriptedReply, ids: IdMaker): AgentItem[] {
  const output: AgentItem[] = []
  if (reply.text !== undefined && reply.text !== '') {
    output.push({
      id: ids.next('msg'),
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    })
  }
  for (const call of reply.toolCalls ?? []) {
    output.push({
      id: ids.next('fc'),
      type: 'function_call',
      call_id: call.callId ?? ids.next('call'),
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
      status: 'completed',
    })
  }
  return output
}

/** Usage of a reply: the scripted figures, else rough sizes (4 characters a token). */
export function replyUsage(reply: ScriptedReply, requestChars: number): RequestUsage {
  const inputTokens = reply.usage?.inputTokens ?? Math.ceil(requestChars / 4)
  const outputChars = (reply.text ?? '').length + JSON.stringify(reply.toolCalls ?? []).length - 2
  const outputTokens = reply.usage?.outputTokens ?? Math.ceil(outputChars / 4)
  return { inputTokens, outputTokens, totalTokens: reply.usage?.totalTokens ?? inputTokens + outputTokens }
}
