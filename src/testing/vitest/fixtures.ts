// Items and histories the capability suites share.
import type { AgentItem } from '../../items/types.js'
import type { Session } from '../../session/session.js'

let counter = 0

/** A session id no other test uses. */
export function uniqueSessionId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${++counter}`
}

export const user = (text: string): AgentItem => ({ role: 'user', content: text })

export const assistant = (text: string): AgentItem => ({
  type: 'message',
  role: 'assistant',
  content: [{ type: 'output_text', text }],
})

/** A turn: the question, `extra` items, the answer. */
export const turn = (n: number | string, extra: AgentItem[] = []): AgentItem[] => [user(`question ${n}`), ...extra, assistant(`answer ${n}`)]

/** The text (or type) of each item, for comparing histories. */
export const texts = (items: AgentItem[]): unknown[] =>
  items.map((item) => ('content' in item ? (typeof item.content === 'string' ? item.content : (item.content as Array<{ text: string }>)[0]!.text) : item.type))

/** A system message, then six turns; the second holds a tool call and its output. */
export async function addSixTurns(session: Session<AgentItem>): Promise<void> {
  await session.addItems([{ role: 'system', content: 'Be brief.' }])
  for (let n = 1; n <= 6; n++) {
    const call = { type: 'function_call', call_id: `c${n}`, name: 'lookup', arguments: '{}' } as AgentItem
    const output = { type: 'function_call_output', call_id: `c${n}`, output: `tool ${n}` } as AgentItem
    await session.addItems(turn(n, n === 2 ? [call, output] : []))
  }
}
