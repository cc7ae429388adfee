import type { AgentItem, FunctionCallItem, FunctionCallOutputItem, MessageItem } from '../items.js'

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
 * `items` itself when nothing needs dropping, so the common case allocates nothing.
 */
export function dropOrphans(items: readonly AgentItem[]): AgentItem[] {
  const calls = new Set<string>()
  const outputs = new Set<string>()
  for (const item of items) {
    if (isFunctionCall(item)) calls.add(item.call_id)
    else if (isFunctionCallOutput(item)) outputs.add(item.call_id)
  }
  const keep = new Array<boolean>(items.length)
  let dropped = false
  // Walk backwards so each reasoning item knows whether model output follows it.
  let modelOutputFollows = false
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as AgentItem
    let kept = true
    if (isFunctionCall(item)) kept = outputs.has(item.call_id)
    else if (isFunctionCallOutput(item)) kept = calls.has(item.call_id)
    else if (item.type === 'reasoning') kept = modelOutputFollows
    keep[i] = kept
    if (!kept) {
      dropped = true
      continue
    }
    if (item.type === 'reasoning') continue
    modelOutputFollows = isFunctionCall(item) || isAssistantMessage(item) || isOtherModelOutput(item)
  }
  return dropped ? items.filter((_, i) => keep[i]) : (items as AgentItem[])
}

const inputOnlyTypes = new Set(['message', 'function_call_output', 'compaction', 'item_reference'])

/** Hosted-tool calls and other typed outputs the model produces (not inputs). */
function isOtherModelOutput(item: AgentItem): boolean {
  return typeof item.type === 'string' && !inputOnlyTypes.has(item.type) && !('role' in item)
}
