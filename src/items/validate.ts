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
 * How deep an item may nest. Real items are a few levels deep; this bounds the recursion of
 * the copy here and of the structured clone and JSON steps after it.
 */
export const MAX_ITEM_DEPTH = 500

/** Where the copy is: the item, the path inside it, how deep, and what is being copied. */
interface CopyPosition {
  index: number
  path: string
  depth: number
  seen: Set<object>
}

/** `key` as a path segment: `a.b` for plain names, `a["we.ird"]` otherwise. */
function pathTo(parent: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`
  return `${parent}[${JSON.stringify(key)}]`
}

/**
 * Returns a deep copy of `value` made only of plain JSON, or throws InvalidItemError
 * naming the path of the first value that is not JSON. Object keys whose value is
 * `undefined` are dropped, as `JSON.stringify` would. Every key is kept as the copy's own
 * data, `__proto__` included (as `JSON.parse` makes it), never as its prototype.
 */
function copyJson(value: unknown, at: CopyPosition): JsonValue {
  const { index, path } = at
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
  if (at.depth >= MAX_ITEM_DEPTH) throw new InvalidItemError(index, path, `it nests more than ${MAX_ITEM_DEPTH} levels deep`)
  if (at.seen.has(value)) throw new InvalidItemError(index, path, 'the value refers to itself (a cycle)')
  at.seen.add(value)
  const depth = at.depth + 1
  let copy: JsonValue
  if (Array.isArray(value)) {
    // An index loop: `map` and `every` skip the holes of `[a, , b]`.
    const out: JsonValue[] = []
    for (let i = 0; i < value.length; i++) {
      const where = `${path}[${i}]`
      if (!Object.hasOwn(value, i)) throw new InvalidItemError(index, where, 'an empty slot (a hole in the array) is not JSON (use null)')
      const entry: unknown = value[i]
      if (entry === undefined) throw new InvalidItemError(index, where, 'undefined is not JSON (use null)')
      out.push(copyJson(entry, { index, path: where, depth, seen: at.seen }))
    }
    copy = out
  } else if (isPlainObject(value)) {
    const out: JsonObject = {}
    for (const key of Object.keys(value)) {
      const entry: unknown = (value as Record<string, unknown>)[key]
      if (entry === undefined) continue
      const copied = copyJson(entry, { index, path: pathTo(path, key), depth, seen: at.seen })
      Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true })
    }
    copy = out
  } else {
    throw new InvalidItemError(index, path, `a ${describe(value)} instance is not plain JSON`)
  }
  at.seen.delete(value)
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
  const copies: TItem[] = []
  for (let index = 0; index < items.length; index++) {
    if (!Object.hasOwn(items, index)) {
      throw new InvalidItemError(index, '', 'there is no item here (an empty slot in the batch array)')
    }
    const item: unknown = items[index]
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidItemError(index, '', `an item must be an object, got ${Array.isArray(item) ? 'an array' : describe(item)}`)
    }
    const copy = copyJson(item, { index, path: '', depth: 0, seen: new Set() })
    if (!itemShape.safeParse(copy).success) {
      throw new InvalidItemError(
        index,
        '',
        'an item needs a string "type" (function_call, reasoning, …) or a "role" with string or array "content" of its own',
      )
    }
    copies.push(copy as TItem)
  }
  return copies
}
