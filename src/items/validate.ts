import * as z from 'zod/mini'
import { InvalidItemError } from '../errors.js'
import type { JsonObject, JsonValue } from './types.js'

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

// Batches idb-agents built itself from items it had already checked and copied (envelopes
// of an EncryptedSession, the copy a compaction session hands to its stores): the session
// below takes them as they are, so a write validates and copies its items once.
const checkedBatches = new WeakSet<readonly unknown[]>()

/**
 * Marks `items` as a batch of checked, plain-JSON copies that no one else holds, so that
 * {@link toStoredItems} takes it as it is. Only for arrays built by idb-agents itself.
 */
export function asStoredBatch<TItem>(items: TItem[]): TItem[] {
  checkedBatches.add(items)
  return items
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
  if (checkedBatches.has(items)) return items as TItem[]
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
