// What the offline demo model says: brief answers, what it remembers of the user (from the
// history it is sent, summaries included), and the summary it writes for compaction.
import { LIKES, matchIntent, type Intent } from './intents.js'
import { asItem, itemText } from './text.js'

/** First line of a summary item in the history (the library's SUMMARY_PREFIX). */
const SUMMARY_PREFIX = 'Summary of the earlier conversation:'

const isSummary = (item: unknown): boolean => asItem(item).role !== 'user' && itemText(item).startsWith(SUMMARY_PREFIX)

const HELP = [
  "I'm the offline demo model: no network, no API key. I can",
  '- **save** a note: “save a note called Groceries: milk”',
  '- **list** them: “what notes do I have?”',
  '- **search** them: “find notes about milk”',
  '- **update** one: “change the Groceries note to bread”',
  '- **delete** one: “delete the Groceries note”',
  '',
  'Tell me your favorite color, and ask me about it later.',
].join('\n')

const MARKDOWN = [
  '## Markdown works',
  'Answers can use **bold**, *italics*, `inline code` and [links](https://github.com/openai/openai-agents-js).',
  '',
  '1. numbered lists',
  '2. and bullets:',
  '   - like this one',
  '',
  '> A quote, for good measure.',
  '',
  '```ts',
  "import { IndexedDBSession, run } from 'idb-agents'",
  '',
  "const session = new IndexedDBSession('alice')",
  "await run(agent, 'List my notes', { session })",
  '```',
].join('\n')

/** Facts the user told, as the lines they would say them in ("my favorite color is blue"). */
function factsIn(text: string): Array<{ subject: string; value: string }> {
  const facts: Array<{ subject: string; value: string }> = []
  for (const line of text.split('\n')) {
    const intent = matchIntent(line.replace(/^(?:- |User: )/, ''))
    if (intent.kind === 'remember') facts.push(intent)
  }
  return facts
}

/** What the user said about `subject`, newest first, from their messages and earlier summaries. */
function recall(history: unknown[], subject: string): string[] {
  const values: string[] = []
  for (const item of [...history].reverse()) {
    const text = asItem(item).role === 'user' ? itemText(item) : isSummary(item) ? itemText(item) : ''
    for (const fact of factsIn(text).reverse()) if (fact.subject === subject && !values.includes(fact.value)) values.push(fact.value)
  }
  return values
}

const sentence = (subject: string, value: string): string => (subject === LIKES ? `I like ${value}` : `my ${subject} is ${value}`)
const list = (values: string[]): string => (values.length < 2 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`)

/** A text answer for an intent that needs no tool. */
export function answer(intent: Intent, history: unknown[]): string {
  switch (intent.kind) {
    case 'remember':
      return intent.subject === LIKES
        ? `Got it! I'll remember that you like ${intent.value}.`
        : `Got it! I'll remember that your ${intent.subject} is ${intent.value}.`
    case 'recall': {
      const values = recall(history, intent.subject)
      if (intent.subject === LIKES) return values.length ? `You like ${list(values.reverse())}.` : "You haven't told me what you like yet."
      return values[0] ? `Your ${intent.subject} is ${values[0]}!` : `You haven't told me your ${intent.subject} yet.`
    }
    case 'greet':
      return 'Hi! I can save, list, search, update and delete your notes, and remember your favorite color. What shall we do?'
    case 'thanks':
      return "You're welcome!"
    case 'help':
      return HELP
    case 'markdown':
      return MARKDOWN
    default:
      return 'I only understand notes and a few facts about you. Try “save a note: call mom” or “what notes do I have?”, or say **help**.'
  }
}

/** The answer once the tools of the last step have answered. */
export function answerAfterTools(outputs: Array<{ name: string; output: string }>): string {
  return outputs
    .map(({ name, output }) => {
      if (output.startsWith('Error')) return output
      // A call the user rejected (or left waiting for a new message) did not run.
      if (output.startsWith('Tool execution was not approved') || output.startsWith('Tool execution was cancelled')) {
        return name === 'delete_note' ? 'OK, I did not delete it. The note is still there.' : 'OK, I did not do that.'
      }
      if (name === 'list_notes' || name === 'search_notes') return output.startsWith('No ') ? output : `Here you go:\n${output}`
      return `Done. ${output}`
    })
    .join('\n\n')
}

/**
 * The summary of a conversation rendered as lines ("User: …", "Assistant: …", "Tool call
 * name(args)", an earlier summary): what the user said about themselves (newest wins), how
 * many messages they wrote, which tools ran. Short and deterministic.
 */
export function summarize(conversation: string): string {
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
      for (const fact of factsIn(line)) facts.set(fact.subject === LIKES ? `${LIKES}:${fact.value}` : fact.subject, sentence(fact.subject, fact.value))
    }
  }
  const lines = [`The user wrote ${messages} messages before this summary.`]
  if (facts.size > 0) lines.push('They told me:', ...[...facts.values()].map((fact) => `- ${fact}`))
  if (tools.size > 0) lines.push(`Tools used: ${[...tools].join(', ')}.`)
  return lines.join('\n')
}
