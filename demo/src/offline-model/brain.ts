// The offline demo model's "brain": deterministic rules over the Responses-API input
// items. It decides one model turn: call a notes tool, or answer in text. Shared by the
// in-page model and the dev server's /api/demo-model endpoint (no DOM, no Node APIs).
import type { ScriptedReply } from '../../../src/testing/script.js'

/** What the brain reads of a request: the items sent and the names of the tools offered. */
export interface BrainRequest {
  input: unknown[]
  tools: string[]
}

type Item = Record<string, unknown>

const asItem = (value: unknown): Item => (typeof value === 'object' && value !== null ? (value as Item) : {})

/** The text of a message item (string content or its text parts). */
export function itemText(value: unknown): string {
  const content = asItem(value).content
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part) => asItem(part).text).filter((t): t is string => typeof t === 'string').join('')
}

const isUser = (item: unknown): boolean => asItem(item).role === 'user'

/** First line of the request the demo's compaction sends to have the oldest turns summarized. */
export const SUMMARIZE_REQUEST = 'Summarize this conversation so you can continue it:'
/** First line of a summary item in the history (the library's SUMMARY_PREFIX). */
const SUMMARY_PREFIX = 'Summary of the earlier conversation:'
const isSummary = (item: unknown): boolean => asItem(item).role !== 'user' && itemText(item).startsWith(SUMMARY_PREFIX)
const FACT = /\bmy ([a-z][a-z ]{0,40}?) (?:is|are) ([^.!?\n]+)/gi

interface Rule {
  pattern: RegExp
  tool: string
  args: (match: RegExpMatchArray) => Record<string, string>
}

const clean = (text: string | undefined): string => (text ?? '').trim().replace(/^["'“‘]|["'”’.]$/g, '').trim()

// Order matters: the first matching rule wins.
const rules: Rule[] = [
  {
    pattern: /\b(?:save|add|create|make|write)\b.*?\bnote\b\s*(?:called|titled|named|about)?\s*["“']?(.+?)["”']?\s*[:—–-]\s*([\s\S]+)/i,
    tool: 'save_note',
    args: (m) => ({ title: clean(m[1]), content: clean(m[2]) }),
  },
  {
    pattern: /\b(?:update|change|edit|replace)\b.*?\bnote\b\s*(?:called|titled|named)?\s*["“']?(.+?)["”']?\s*(?:[:—–]|\bto\b|\bwith\b)\s*([\s\S]+)/i,
    tool: 'update_note',
    args: (m) => ({ title: clean(m[1]), content: clean(m[2]) }),
  },
  {
    pattern: /\b(?:delete|remove|forget|drop)\b.*?\bnote\b\s*(?:called|titled|named)?\s*["“']?(.+?)["”']?\s*$/i,
    tool: 'delete_note',
    args: (m) => ({ title: clean(m[1]) }),
  },
  {
    pattern: /\b(?:search|find|look)\b.*?\bnotes?\b.*?\b(?:for|about|with|mentioning|containing)\b\s*([\s\S]+)/i,
    tool: 'search_notes',
    args: (m) => ({ query: clean(m[1]).replace(/\?$/, '') }),
  },
  { pattern: /\b(?:list|show|what are|read|see)\b.*\bnotes\b|^\s*notes\s*\??\s*$/i, tool: 'list_notes', args: () => ({}) },
]

/** "my favorite color is blue" → ["favorite color", "blue"], from the newest user message that says it. */
function recallFact(history: unknown[], subject: string): string | undefined {
  const wanted = normalise(subject)
  for (const item of [...history].reverse()) {
    if (!isUser(item) && !isSummary(item)) continue
    for (const match of itemText(item).matchAll(FACT)) {
      if (normalise(match[1] ?? '') === wanted) return clean(match[2])
    }
  }
  return undefined
}

const normalise = (text: string): string => text.toLowerCase().replace(/favou?rite/g, 'favorite').replace(/\s+/g, ' ').trim()

function answerAfterTools(outputs: Array<{ name: string; output: string }>): string {
  return outputs
    .map(({ name, output }) => {
      if (output.startsWith('Error')) return output
      if (name === 'list_notes' || name === 'search_notes') return output.startsWith('No ') ? output : `Here you go:\n${output}`
      return `Done. ${output}`
    })
    .join('\n\n')
}

const HELP =
  "I'm the offline demo model: a few fixed rules, no network, no API key. Try “Save a note called Groceries: milk, eggs”, " +
  '“List my notes”, “Search notes for milk”, “Update note Groceries: bread”, “Delete note Groceries”, ' +
  '“My favorite color is blue” and later “What\'s my favorite color?”.'

/**
 * The summary of a conversation rendered as lines ("User: …", "Assistant: …", "Tool call
 * name(args)", an earlier summary): what the user said about themselves (newest wins),
 * how many messages they wrote, which tools ran. Short and deterministic.
 */
function summarize(conversation: string): string {
  const facts = new Map<string, string>()
  const tools = new Set<string>()
  let messages = 0
  for (const line of conversation.split('\n')) {
    const earlier = line.match(/^The user wrote (\d+) messages/)
    if (earlier) messages += Number(earlier[1])
    if (line.startsWith('User: ')) messages++
    const tool = line.match(/^Tool call (\w+)\(/)
    if (tool) tools.add(tool[1] ?? '')
    const used = line.match(/^Tools used: (.+)\.$/)
    if (used) for (const name of (used[1] ?? '').split(', ')) tools.add(name)
    if (line.startsWith('User: ') || line.startsWith('- ')) {
      for (const match of line.matchAll(FACT)) facts.set(normalise(match[1] ?? ''), `my ${match[1]} is ${clean(match[2])}`)
    }
  }
  const lines = [`The user wrote ${messages} messages before this summary.`]
  if (facts.size > 0) lines.push('They told me:', ...[...facts.values()].map((fact) => `- ${fact}`))
  if (tools.size > 0) lines.push(`Tools used: ${[...tools].join(', ')}.`)
  return lines.join('\n')
}

/** Decides the next model turn for `request`. Deterministic: the same input gives the same reply. */
export function think(request: BrainRequest): ScriptedReply {
  const input = request.input
  const lastUser = input.findLastIndex(isUser)
  const userText = lastUser >= 0 ? itemText(input[lastUser]).trim() : ''
  // The compaction's request (never the chat's: the chat always offers the notes tools).
  if (request.tools.length === 0 && userText.startsWith(SUMMARIZE_REQUEST)) return { text: summarize(userText.slice(SUMMARIZE_REQUEST.length)) }
  const afterUser = input.slice(lastUser + 1).map(asItem)

  // Second request of a turn: the tools have answered; report what they said.
  const outputs = afterUser.filter((item) => item.type === 'function_call_output')
  if (outputs.length > 0) {
    const names = new Map(afterUser.filter((i) => i.type === 'function_call').map((i) => [i.call_id, String(i.name)]))
    return { text: answerAfterTools(outputs.map((o) => ({ name: names.get(o.call_id) ?? 'tool', output: String(o.output ?? '') }))) }
  }

  for (const rule of rules) {
    const match = userText.match(rule.pattern)
    if (match && request.tools.includes(rule.tool)) return { toolCalls: [{ name: rule.tool, arguments: rule.args(match) }] }
  }

  const question = userText.match(/\bwhat(?:'s|’s| is| are) my ([a-z][a-z ]{0,40}?)\s*\??$/i)
  if (question) {
    const subject = question[1] ?? ''
    const fact = recallFact(input.slice(0, lastUser), subject)
    return { text: fact ? `Your ${subject} is ${fact}!` : `You haven't told me your ${subject} yet.` }
  }
  const statement = userText.match(/\bmy ([a-z][a-z ]{0,40}?) (?:is|are) ([^.!?\n]+)/i)
  if (statement) return { text: `Got it! I'll remember that your ${statement[1]} is ${clean(statement[2])}.` }
  if (/^(?:hi|hello|hey)\b/i.test(userText)) return { text: `Hello! ${HELP}` }
  if (/\bhelp\b|what can you do/i.test(userText)) return { text: HELP }
  const turns = input.filter(isUser).length
  return {
    text: `You said: “${userText}”. That is message ${turns} of this conversation, and I keep all of them on this device. ${HELP}`,
  }
}
