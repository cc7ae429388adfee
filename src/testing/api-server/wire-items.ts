// Item handling shared by the test server's compact and Conversations endpoints.
import type { JsonObject, JsonValue } from '../../items/types.js'
import type { IdMaker } from '../script.js'

/** A status and JSON body to send. */
export interface WireResult {
  status: number
  json: JsonObject
}

/** An error body in the API's format. */
export function apiError(status: number, message: string, param: string | null = null, code: string | null = null): WireResult {
  const type = status >= 500 ? 'server_error' : status === 404 ? 'invalid_request_error' : 'invalid_request_error'
  return { status, json: { error: { message, type, param, code } } }
}

/** `input` (a string, an item array, or nothing) as items. */
export function asItems(input: JsonValue | undefined): JsonObject[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }]
  if (!Array.isArray(input)) return []
  return input.filter((item): item is JsonObject => typeof item === 'object' && item !== null && !Array.isArray(item))
}

/**
 * The API's 400 for a reasoning item not followed by the item it belongs to
 * (openai-agents-js #929, python #1709), or `undefined` when all are followed.
 */
export function checkReasoningFollowers(items: readonly JsonObject[]): WireResult | undefined {
  for (const [i, item] of items.entries()) {
    if (item.type !== 'reasoning') continue
    const next = items[i + 1]
    const followed = next !== undefined && next.type !== 'reasoning' && next.role !== 'user' && next.type !== 'function_call_output'
    if (!followed) {
      return apiError(400, `Item '${String(item.id ?? `input[${i}]`)}' of type 'reasoning' was provided without its required following item.`, 'input', 'invalid_request_error')
    }
  }
  return undefined
}

const idPrefix: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
  compaction: 'cmp',
}

/**
 * An input item as the API returns it once stored: messages typed, with part-array
 * content and a status; every item with an id.
 */
export function toStoredMessage(item: JsonObject, ids: IdMaker): JsonObject {
  const out: JsonObject = { ...item }
  if (out.type === undefined && typeof out.role === 'string') out.type = 'message'
  if (out.type === 'message') {
    if (typeof out.content === 'string') {
      out.content =
        out.role === 'assistant'
          ? [{ type: 'output_text', text: out.content, annotations: [] }]
          : [{ type: 'input_text', text: out.content }]
    }
    out.status ??= 'completed'
  }
  if (typeof out.id !== 'string') out.id = ids.next(idPrefix[String(out.type)] ?? 'item')
  return out
}
