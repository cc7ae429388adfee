// The items sessions store: Responses-API input items as plain JSON.
/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue }

/** One part of a message's content (`input_text`, `output_text`, `input_image`, …). */
export interface ContentPart {
  type: string
  text?: string
  [key: string]: unknown
}

/** A chat message: `{ role, content }` with string or part-array content. */
export interface MessageItem {
  type?: 'message'
  id?: string
  role: 'user' | 'assistant' | 'system' | 'developer'
  content: string | ContentPart[]
  status?: 'in_progress' | 'completed' | 'incomplete'
  [key: string]: unknown
}

/** A tool call the model made. `arguments` is a JSON string. */
export interface FunctionCallItem {
  type: 'function_call'
  id?: string
  call_id: string
  name: string
  arguments: string
  status?: 'in_progress' | 'completed' | 'incomplete'
  [key: string]: unknown
}

/** The result of a tool call, matched to it by `call_id`. */
export interface FunctionCallOutputItem {
  type: 'function_call_output'
  id?: string
  call_id: string
  output: string | ContentPart[]
  [key: string]: unknown
}

/** A reasoning item returned by a reasoning model. */
export interface ReasoningItem {
  type: 'reasoning'
  id?: string
  summary: ContentPart[]
  encrypted_content?: string | null
  [key: string]: unknown
}

/** An opaque compaction item produced by `responses.compact`. */
export interface CompactionItem {
  type: 'compaction'
  id?: string
  encrypted_content: string
  [key: string]: unknown
}

/** An item of a type this version does not know; kept as it is. */
export interface UnknownItem {
  type: string
  [key: string]: unknown
}

/**
 * A Responses-API input item as sessions store it: plain JSON, in the API's own wire
 * names (`call_id`, `encrypted_content`). Unknown future item types are kept as they are.
 */
export type AgentItem =
  | MessageItem
  | FunctionCallItem
  | FunctionCallOutputItem
  | ReasoningItem
  | CompactionItem
  | UnknownItem
