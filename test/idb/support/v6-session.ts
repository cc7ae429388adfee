// What the schema v6 tests on fake-indexeddb share: item builders, a clock that moves only
// when told (so each append can get a time of its own, or share one), and window checks.
import { afterEach, beforeEach, expect, vi } from 'vitest'
import type { AgentItem, IndexedDBSession } from '../../../src/index.js'

/** A database name no other test uses. */
export const freshDb = (): string => `schema-v6-${Math.random().toString(36).slice(2)}`

export const user = (text: string): AgentItem => ({ role: 'user', content: text })
/** A user message in the Responses form: a user message too (it starts a turn). */
export const userMessage = (text: string): AgentItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] })
export const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })
export const call = (id: string): AgentItem => ({ type: 'function_call', call_id: id, name: 'lookup', arguments: `{"q":"${id}"}` })
export const output = (id: string): AgentItem => ({ type: 'function_call_output', call_id: id, output: `result ${id}` })
export const reasoning = (id: string): AgentItem => ({ type: 'reasoning', id, summary: [] })
/** `n` assistant-side items (messages, calls, outputs, reasoning), labelled by `label`. */
export const replies = (label: string, n: number): AgentItem[] =>
  Array.from({ length: n }, (_, i) => {
    const id = `${label}${i}`
    return [assistant(id), call(id), output(id), reasoning(id)][i % 4]!
  })
export const usage = (n: number) => ({ requests: 1, inputTokens: n, outputTokens: n, totalTokens: 2 * n })

let clock = 1_000_000

/**
 * Fakes `Date` (only) in every test of the calling file: the time stands still until
 * {@link tick}, so items appended between two ticks share a time and a row taking another
 * append's time shows.
 */
export function useStillClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(clock)
  })
  afterEach(() => {
    vi.useRealTimers()
  })
}

/** The time now, as the still clock shows it. */
export const now = (): number => clock

/** Moves the still clock on by a second. */
export function tick(): void {
  clock += 1000
  vi.setSystemTime(clock)
}

/** Fails unless every window of the current branch is the tail of `expected`. */
export async function expectWindows(session: IndexedDBSession, expected: readonly AgentItem[]): Promise<void> {
  expect(await session.getItems()).toEqual(expected)
  expect(await session.getItems(expected.length + 3)).toEqual(expected)
  for (let k = 1; k <= expected.length; k++) expect(await session.getItems(k), `getItems(${k})`).toEqual(expected.slice(-k))
}

/** The current branch's items, each with the time its append stored it. */
export async function times(session: IndexedDBSession): Promise<Array<[unknown, number]>> {
  return (await session.getTimedItems()).map((entry) => [entry.item, entry.createdAt])
}
