import type { AgentItem, FunctionCallItem, FunctionCallOutputItem, MessageItem } from '../items/items.js'
import { modelSafe } from '../items/model-safe.js'

/** What `run()` accepts as input: a user message, or items (possibly `[]` to resume). */
export type RunInput = string | AgentItem[]

/** The input as items: a string becomes one user message. */
export function toInputItems(input: RunInput): AgentItem[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }]
  return [...input]
}

/** True for a `function_call` item. */
export function isFunctionCall(item: AgentItem): item is FunctionCallItem {
  return item.type === 'function_call' && typeof item.call_id === 'string'
}

/** True for a `function_call_output` item. */
export function isFunctionCallOutput(item: AgentItem): item is FunctionCallOutputItem {
  return item.type === 'function_call_output' && typeof item.call_id === 'string'
}

/** True for an assistant message. */
export function isAssistantMessage(item: AgentItem): item is MessageItem {
  return (item.type === undefined || item.type === 'message') && item.role === 'assistant'
}

/** The text of an assistant message (its `output_text` parts joined). */
export function messageText(item: MessageItem): string {
  if (typeof item.content === 'string') return item.content
  return item.content.map((part) => (typeof part.text === 'string' && part.type !== 'refusal' ? part.text : '')).join('')
}

/**
 * What the model may be sent of `items`: the same items in order, without
 * - a `function_call` whose `function_call_output` is missing, or an output whose call is
 *   missing (a `limit` window can cut between them — openai-agents-python #4322), and
 * - a `reasoning` item not followed by the model output it belongs to (openai-agents-js
 *   #929), which the API rejects.
 *
 * Only what is sent is filtered; the session keeps every item (PITFALLS.md). Returns
 * `items` itself when nothing needs dropping, so the common case allocates nothing. The
 * rule lives with the sessions (`modelSafe`), which apply it too.
 */
export function dropOrphans(items: readonly AgentItem[]): AgentItem[] {
  return modelSafe(items)
}
