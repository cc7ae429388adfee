import type { AgentItem } from '../items/types.js'

/** What `run()` accepts as input: a user message, or items (possibly `[]` to resume). */
export type RunInput = string | AgentItem[]

/** The input as items: a string becomes one user message. */
export function toInputItems(input: RunInput): AgentItem[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }]
  return [...input]
}
