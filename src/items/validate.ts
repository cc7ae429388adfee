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

/**
 * Where the copy is: the item, the keys leading to the value being copied, and the values
 * on the way (each an ancestor of the next). Paths are spelled out only for an error.
 */
interface CopyWalk {
  index: number
  keys: Array<string | number>
  ancestors: object[]
}

/** `key` as a path segment: `a.b` for plain names, `a["we.ird"]` otherwise. */
function pathTo(parent: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`
  return `${parent}[${JSON.stringify(key)}]`
}

/** The path of the first `length` keys, e.g. `content[0].text`. */
function pathOf(keys: readonly (string | number)[], length = keys.length): string {
  let path = ''
  for (let i = 0; i < length; i++) {
    const key = keys[i]!
    path = typeof key === 'number' ? `${path}[${key}]` : pathTo(path, key)
  }
  return path
}

function invalid(walk: CopyWalk, problem: string): InvalidItemError {
  return new InvalidItemError(walk.index, pathOf(walk.keys), problem)
}

/**
 * The error for `value` past the depth limit. A value that refers to itself nests without
 * end and gets here too: it is named where it first repeats.
 */
function tooDeep(value: object, walk: CopyWalk): InvalidItemError {
  const { ancestors } = walk
  const seen = new Set<object>()
  for (let depth = 0; depth <= ancestors.length; depth++) {
    const here = depth < ancestors.length ? ancestors[depth]! : value
    if (seen.has(here)) return new InvalidItemError(walk.index, pathOf(walk.keys, depth), 'the value refers to itself (a cycle)')
    seen.add(here)
  }
  return invalid(walk, `it nests more than ${MAX_ITEM_DEPTH} levels deep`)
}

/**
 * Returns a deep copy of `value` made only of plain JSON, or throws InvalidItemError
 * naming the path of the first value that is not JSON. Object keys whose value is
 * `undefined` are dropped, as `JSON.stringify` would. Every key is kept as the copy's own
 * data, `__proto__` included (as `JSON.parse` makes it), never as its prototype.
 */
function copyJson(value: unknown, walk: CopyWalk): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw invalid(walk, `${value} is not a JSON number`)
      return value
    case 'object':
      break
    default:
      throw invalid(walk, `a ${typeof value} is not JSON`)
  }
  if (value === null) return null
  const { keys, ancestors } = walk
  if (ancestors.length >= MAX_ITEM_DEPTH) throw tooDeep(value, walk)
  ancestors.push(value)
  let copy: JsonValue
  if (Array.isArray(value)) {
    // An index loop: `map` and `every` skip the holes of `[a, , b]`.
    const out: JsonValue[] = []
    for (let i = 0; i < value.length; i++) {
      keys.push(i)
      if (!Object.hasOwn(value, i)) throw invalid(walk, 'an empty slot (a hole in the array) is not JSON (use null)')
      const entry: unknown = value[i]
      if (entry === undefined) throw invalid(walk, 'undefined is not JSON (use null)')
      out.push(copyJson(entry, walk))
      keys.pop()
    }
    copy = out
  } else if (isPlainObject(value)) {
    const out: JsonObject = {}
    for (const key of Object.keys(value)) {
      const entry: unknown = (value as Record<string, unknown>)[key]
      if (entry === undefined) continue
      keys.push(key)
      const copied = copyJson(entry, walk)
      keys.pop()
      // Plain assignment would make a "__proto__" key the copy's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true })
      else out[key] = copied
    }
    copy = out
  } else {
    throw invalid(walk, `a ${describe(value)} instance is not plain JSON`)
  }
  ancestors.pop()
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
    const copy = copyJson(item, { index, keys: [], ancestors: [] })
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
