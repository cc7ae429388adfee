// What kind of item an item is. Items come from storage, other tabs and the API, so every
// predicate accepts `unknown` and reads fields as own data only.
import type { FunctionCallItem, FunctionCallOutputItem, MessageItem } from './types.js'

/** The own field `key` of `item`, or `undefined` (never a value inherited from a prototype). */
export function field(item: unknown, key: string): unknown {
  return typeof item === 'object' && item !== null && Object.hasOwn(item, key) ? (item as Record<string, unknown>)[key] : undefined
}

/** True for a user message: a turn starts there. */
export function isUserMessage(item: unknown): boolean {
  return field(item, 'role') === 'user'
}

/** True for an assistant message. */
export function isAssistantMessage(item: unknown): item is MessageItem {
  const type = field(item, 'type')
  return (type === undefined || type === 'message') && field(item, 'role') === 'assistant'
}

/** True for a `function_call` item. */
export function isFunctionCall(item: unknown): item is FunctionCallItem {
  return field(item, 'type') === 'function_call' && typeof field(item, 'call_id') === 'string'
}

/** True for a `function_call_output` item. */
export function isFunctionCallOutput(item: unknown): item is FunctionCallOutputItem {
  return field(item, 'type') === 'function_call_output' && typeof field(item, 'call_id') === 'string'
}

/** True for a `reasoning` item. */
export function isReasoningItem(item: unknown): boolean {
  return field(item, 'type') === 'reasoning'
}

/** True for a `compaction` item made by `responses.compact`. */
export function isCompactionItem(item: unknown): boolean {
  return field(item, 'type') === 'compaction'
}

/**
 * The text of a message: its string content, or its text parts joined (refusals left out).
 * `''` for items without text.
 */
export function messageText(item: unknown): string {
  const content = field(item, 'content')
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  let text = ''
  for (const part of content) {
    const partText = field(part, 'text')
    if (typeof partText === 'string' && field(part, 'type') !== 'refusal') text += partText
  }
  return text
}
