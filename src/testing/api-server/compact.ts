// `POST /v1/responses/compact` of the test server, and the stored responses it can refer to
// by `previous_response_id`. The compaction item is opaque, as the API's is, but
// deterministic: tests can compare histories.
import type { JsonObject, JsonValue } from '../../items/types.js'
import type { IdMaker } from '../script.js'
import { apiError, asItems, checkReasoningFollowers, toStoredMessage, type WireResult } from './wire-items.js'

/** The context (input and output items) of every response a script stored (`store` not false). */
export type StoredResponses = Map<string, JsonObject[]>

/** Records a `/v1/responses` exchange the way the API stores it, unless `store: false`. */
export function storeResponse(responses: StoredResponses, request: JsonObject, response: JsonObject): void {
  if (request.store === false || typeof response.id !== 'string') return
  const previous = typeof request.previous_response_id === 'string' ? (responses.get(request.previous_response_id) ?? []) : []
  const output = Array.isArray(response.output) ? (response.output as JsonObject[]) : []
  responses.set(response.id, [...previous, ...asItems(request.input), ...output])
}

/**
 * Answers a compact request: every user message of the history, then one `compaction`
 * item folding everything else (earlier compaction items included). Fails like the API:
 * 400 without `model`, without history, for an unknown `previous_response_id`
 * (a `store: false` response is never stored — openai-agents-python #2333), or for a
 * reasoning item sent without its following item.
 */
export function compactWire(body: JsonObject, responses: StoredResponses, ids: IdMaker): WireResult {
  if (typeof body.model !== 'string' || body.model === '') return apiError(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter')
  const previousId = body.previous_response_id
  let history: JsonObject[] = []
  if (typeof previousId === 'string') {
    const stored = responses.get(previousId)
    if (!stored) return apiError(400, `Previous response with id '${previousId}' not found.`, 'previous_response_id', 'previous_response_not_found')
    history = [...stored]
  }
  const input = asItems(body.input)
  const invalid = checkReasoningFollowers(input)
  if (invalid) return invalid
  history.push(...input)
  if (history.length === 0) return apiError(400, "Either 'input' or 'previous_response_id' must be provided.", 'input', 'missing_required_parameter')
  const users = history.filter((item) => item.role === 'user').map((item) => toStoredMessage(item, ids))
  const folded = history.length - users.length
  const summary = Buffer.from(JSON.stringify({ folded, users: users.length })).toString('base64')
  const output: JsonObject[] = [...users, { id: ids.next('cmp'), type: 'compaction', encrypted_content: `gAAAA${summary}` }]
  const inputTokens = Math.ceil(JSON.stringify(history).length / 4)
  const outputTokens = Math.ceil(JSON.stringify(output).length / 4)
  const json: JsonObject = {
    id: ids.next('resp'),
    object: 'response.compaction',
    created_at: Math.floor(Date.now() / 1000),
    output: output as JsonValue,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  }
  return { status: 200, json }
}
