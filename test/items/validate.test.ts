import { describe, expect, it } from 'vitest'
import { InvalidItemError } from '../../src/errors.js'
import { MAX_ITEM_DEPTH, toStoredItems } from '../../src/items/validate.js'

const refusal = (items: unknown[]): InvalidItemError => {
  try {
    toStoredItems(items)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidItemError)
    return error as InvalidItemError
  }
  throw new Error('the batch was accepted')
}

describe('toStoredItems', () => {
  it('names where a value first repeats when it refers to itself through others', () => {
    const a: Record<string, unknown> = { type: 'x' }
    const b: Record<string, unknown> = { list: [a] }
    a.inner = b
    const error = refusal([{ type: 'ok' }, a])
    expect(error.index).toBe(1)
    expect(error.path).toBe('inner.list[0]')
    expect(error.message).toMatch(/refers to itself/)
  })

  it('copies an object that appears twice without being a cycle, as two copies', () => {
    const shared = { text: 'same' }
    const [copy] = toStoredItems([{ type: 'x', first: shared, second: [shared] }]) as Array<{ first: object; second: object[] }>
    expect(copy!.first).toEqual(shared)
    expect(copy!.second[0]).toEqual(shared)
    expect(copy!.first).not.toBe(shared)
    expect(copy!.first).not.toBe(copy!.second[0])
  })

  it('takes an item exactly as deep as the limit and refuses one level more, naming the path', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 'bottom'
      for (let i = 1; i < levels; i++) value = { n: value }
      return value
    }
    // The item itself is the first level: `{ type, n: nest(k) }` is k objects deep.
    expect(() => toStoredItems([{ type: 'x', n: nest(MAX_ITEM_DEPTH) }])).not.toThrow()
    const error = refusal([{ type: 'x', n: nest(MAX_ITEM_DEPTH + 1) }])
    expect(error.message).toMatch(/nests more than 500 levels deep/)
    expect(error.path).toBe(Array.from({ length: MAX_ITEM_DEPTH }, (_, i) => (i === 0 ? 'n' : '.n')).join(''))
  })

  it('keeps "__proto__" and "constructor" keys as own data, never as the prototype', () => {
    const item = JSON.parse('{"type":"x","__proto__":{"polluted":true},"constructor":"c","nested":{"__proto__":[1]}}') as object
    const [copy] = toStoredItems([item]) as Array<Record<string, unknown>>
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.hasOwn(copy!, '__proto__')).toBe(true)
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined()
    expect(copy!.constructor).toBe('c')
    expect(Object.hasOwn(copy!.nested as object, '__proto__')).toBe(true)
    expect(JSON.stringify(copy)).toBe(JSON.stringify(item))
  })

  it('names paths with odd keys in brackets', () => {
    const error = refusal([{ type: 'x', 'a.b': { 'c d': [0, Number.NaN] } }])
    expect(error.path).toBe('["a.b"]["c d"][1]')
  })
})
