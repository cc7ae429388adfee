// The offline demo model's "brain": it decides one model turn over the Responses-API input
// items (call a notes tool, or answer in text) from the intent of the newest user message.
// Deterministic; shared by the in-page model and the dev server's /api/demo-model endpoint
// (no DOM, no Node APIs).
import type { ScriptedReply } from '../../../src/testing/script.js'
import { matchIntent, type Intent } from './intents.js'
import { answer, answerAfterTools, summarize } from './replies.js'
import { asItem, itemText, type Item } from './text.js'

export { itemText } from './text.js'

/** What the brain reads of a request: the items sent and the names of the tools offered. */
export interface BrainRequest {
  input: unknown[]
  tools: string[]
}

const isUser = (item: unknown): boolean => asItem(item).role === 'user'

/** First line of the request the demo's compaction sends to have the oldest turns summarized. */
export const SUMMARIZE_REQUEST = 'Summarize this conversation so you can continue it:'

type ToolIntent = Extract<Intent, { kind: 'save_note' | 'list_notes' | 'search_notes' | 'update_note' | 'append_note' | 'delete_note' }>

/** The tool call that carries out a notes intent (adding to a note reads the notes first). */
function toolCallFor(intent: ToolIntent): { name: string; arguments: Record<string, string> } {
  switch (intent.kind) {
    case 'save_note':
      return { name: 'save_note', arguments: { title: intent.title, content: intent.content } }
    case 'update_note':
      return { name: 'update_note', arguments: { title: intent.title, content: intent.content } }
    case 'delete_note':
      return { name: 'delete_note', arguments: { title: intent.title } }
    case 'search_notes':
      return { name: 'search_notes', arguments: { query: intent.query } }
    case 'list_notes':
    case 'append_note':
      return { name: 'list_notes', arguments: {} }
  }
}

const isToolIntent = (intent: Intent): intent is ToolIntent =>
  ['save_note', 'list_notes', 'search_notes', 'update_note', 'append_note', 'delete_note'].includes(intent.kind)

/** The trailing tool calls and outputs of the current turn: what the last step's tools said. */
function lastStep(afterUser: Item[]): Array<{ name: string; output: string }> {
  const names = new Map(afterUser.filter((i) => i.type === 'function_call').map((i) => [i.call_id, String(i.name)]))
  const outputs: Item[] = []
  for (let i = afterUser.length - 1; i >= 0 && afterUser[i]?.type === 'function_call_output'; i--) outputs.unshift(afterUser[i]!)
  return outputs.map((o) => ({ name: names.get(o.call_id) ?? 'tool', output: String(o.output ?? '') }))
}

/** "- Groceries: milk" lines of list_notes' output, by lower-cased title. */
function notesIn(listing: string): Map<string, { title: string; content: string }> {
  const notes = new Map<string, { title: string; content: string }>()
  for (const line of listing.split('\n')) {
    const m = line.match(/^- (.+?): ([\s\S]*)$/)
    if (m) notes.set((m[1] ?? '').toLowerCase(), { title: m[1] ?? '', content: m[2] ?? '' })
  }
  return notes
}

/** Decides the next model turn for `request`. Deterministic: the same input gives the same reply. */
export function think(request: BrainRequest): ScriptedReply {
  const input = request.input
  const lastUser = input.findLastIndex(isUser)
  const userText = lastUser >= 0 ? itemText(input[lastUser]).trim() : ''
  // The compaction's request (never the chat's: the chat always offers the notes tools).
  if (request.tools.length === 0 && userText.startsWith(SUMMARIZE_REQUEST)) return { text: summarize(userText.slice(SUMMARIZE_REQUEST.length)) }
  const intent = matchIntent(userText)
  const afterUser = input.slice(lastUser + 1).map(asItem)

  // A later request of a turn: the tools have answered.
  const step = lastStep(afterUser)
  if (step.length > 0) {
    const listed = step.find((s) => s.name === 'list_notes')
    if (intent.kind === 'append_note' && listed && request.tools.includes('update_note')) {
      const note = notesIn(listed.output).get(intent.title.toLowerCase())
      if (!note) return { text: `There is no note called “${intent.title}”. Say “save a note called ${intent.title}: ${intent.addition}” to start one.` }
      return { toolCalls: [{ name: 'update_note', arguments: { title: note.title, content: `${note.content}, ${intent.addition}` } }] }
    }
    return { text: answerAfterTools(step) }
  }

  if (isToolIntent(intent)) {
    const call = toolCallFor(intent)
    if (request.tools.includes(call.name)) return { toolCalls: [call] }
    return { text: 'I cannot reach your notes from here.' }
  }
  return { text: answer(intent, input.slice(0, lastUser)) }
}
