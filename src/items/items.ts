import * as z from 'zod/mini'
import { InvalidItemError } from '../errors.js'

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

const itemShape = z.union([
  z.object({ type: z.string() }),
  z.object({ role: z.string(), content: z.union([z.string(), z.array(z.unknown())]) }),
])

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  return value.constructor?.name ?? 'object'
}

/**
 * Returns a deep copy of `value` made only of plain JSON, or throws InvalidItemError
 * naming the path of the first value that is not JSON. Object keys whose value is
 * `undefined` are dropped, as `JSON.stringify` would.
 */
function copyJson(value: unknown, index: number, path: string, seen: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidItemError(index, path, `${value} is not a JSON number`)
      return value
    case 'object':
      break
    default:
      throw new InvalidItemError(index, path, `a ${typeof value} is not JSON`)
  }
  if (value === null) return null
  if (seen.has(value)) throw new InvalidItemError(index, path, 'the value refers to itself (a cycle)')
  seen.add(value)
  let copy: JsonValue
  if (Array.isArray(value)) {
    copy = value.map((entry: unknown, i) => {
      const at = `${path}[${i}]`
      if (entry === undefined) throw new InvalidItemError(index, at, 'undefined is not JSON (use null)')
      return copyJson(entry, index, at, seen)
    })
  } else if (isPlainObject(value)) {
    const out: JsonObject = {}
    for (const [key, entry] of Object.entries(value)) {
      if (entry === undefined) continue
      out[key] = copyJson(entry, index, path === '' ? key : `${path}.${key}`, seen)
    }
    copy = out
  } else {
    throw new InvalidItemError(index, path, `a ${describe(value)} instance is not plain JSON`)
  }
  seen.delete(value)
  return copy
}

/**
 * Checks a batch before it is stored and returns plain-JSON copies of it, so that later
 * changes to the caller's objects change nothing stored. Throws {@link InvalidItemError}
 * for the first bad item; then nothing of the batch may be written.
 *
 * Custom {@link Session} implementations can call it to behave like the built-in ones.
 *
 * @param items - the batch passed to `addItems`
 */
export function toStoredItems<TItem>(items: readonly TItem[]): TItem[] {
  if (!Array.isArray(items)) {
    throw new InvalidItemError(0, '', `addItems expects an array of items, got ${describe(items)}`)
  }
  return items.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidItemError(index, '', `an item must be an object, got ${Array.isArray(item) ? 'an array' : describe(item)}`)
    }
    const copy = copyJson(item, index, '', new Set())
    if (!itemShape.safeParse(copy).success) {
      throw new InvalidItemError(
        index,
        '',
        'an item needs a string "type" (function_call, reasoning, …) or a "role" with string or array "content"',
      )
    }
    return copy as TItem
  })
}
