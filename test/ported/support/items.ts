// Item builders and readers shared by the ported tests.
import type { AgentItem, Session } from '../../../src/index.js'

export const user = (text: string): AgentItem => ({ role: 'user', content: text })
export const assistant = (text: string): AgentItem => ({ role: 'assistant', content: text })
export const assistantMessage = (text: string): AgentItem => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text, annotations: [] }],
})
export const functionCall = (callId: string, name = 'lookup'): AgentItem => ({
  type: 'function_call',
  call_id: callId,
  name,
  arguments: '{}',
})
export const functionOutput = (callId: string, output = 'ok'): AgentItem => ({
  type: 'function_call_output',
  call_id: callId,
  output,
})

/** The text of a message: string content, or its text parts joined. `''` for other items. */
export function textOf(item: AgentItem | undefined): string {
  const content = item?.content
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part) => (typeof part === 'object' && part !== null && typeof part.text === 'string' ? part.text : '')).join('')
}

/** Texts of `items` (messages only; other items give `''`). */
export const texts = (items: readonly (AgentItem | undefined)[]): string[] => items.map(textOf)

/** Texts of a session's items, all of them. */
export const storedTexts = async (session: Session): Promise<string[]> => texts(await session.getItems())

/** A session that records each `addItems` batch and counts pops, over any session. */
export { RecordingSession } from '../../runner/helpers.js'

/** A promise with its resolve function outside, to hold an operation at a known point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Items as short lines (`role: text`, `call id`, `output id: text`), whatever shape a store gives them back in. */
export const itemLines = (items: readonly AgentItem[]): string[] =>
  items.map((item) =>
    item.type === 'function_call_output'
      ? `output ${item.call_id}: ${String(item.output)}`
      : item.type === 'function_call'
        ? `call ${item.call_id}`
        : `${item.role}: ${textOf(item)}`,
  )

/** Strings that break a parser, an escaper or a storage encoding if one is in the way. */
export const hostileStrings = [
  "O'Reilly",
  '{"nested": "json"}',
  'Quote: "Hello world"',
  'Line1\nLine2\tTabbed\r\n',
  '\\n\\t\\r Special escapes',
  '\\u0000 written out',
  '"SELECT * FROM users WHERE name = "admin";"',
  "Robert'); DROP TABLE students;--",
  'nul \u0000 inside',
  'lone surrogates \ud800 and \udfff',
  'line separators \u2028 \u2029',
  '</script><script>alert(1)</script>',
  '',
]
