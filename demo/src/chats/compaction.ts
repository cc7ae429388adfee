// Compaction for the demo's chats: a SummarizingCompactionSession over the chat's session.
// The transcript (what the chat shows) stays whole; the model is sent the compacted view:
// one summary item for the oldest turns, then the newest turns verbatim. The summary is
// written by the connection's own model (any of the four modes; the offline model has a
// deterministic "summarize" rule), so nothing here needs a Chat Completions endpoint.
import {
  itemCountTrigger,
  renderConversation,
  SummarizingCompactionSession,
  type AgentItem,
  type Model,
  type Session,
} from '../../../src/index.js'
import { SUMMARIZE_REQUEST } from '../offline-model/brain.js'
import { itemText } from '../offline-model/text.js'

/** localStorage key (or `?compactAfter=` URL parameter) overriding when compaction starts. */
export const COMPACT_AFTER_KEY = 'idb-agents-demo:compact-after'
/** Compact once this many items (answers, tool calls and outputs; user messages are kept) could be folded. */
const DEFAULT_COMPACT_AFTER = 24
/** Newest turns kept verbatim. */
const KEEP_TURNS = 2

const SUMMARY_INSTRUCTIONS =
  'You compress conversations. Summarize the conversation you are given so that an assistant can continue it: keep facts about the user ' +
  '(quote them in the first person, like "my favorite color is blue"), decisions, results of tool calls and open tasks. Answer with the summary only.'

/** How many foldable items start a compaction: the URL parameter, else localStorage, else the default. */
export function compactAfter(): number {
  const raw = new URLSearchParams(location.search).get('compactAfter') ?? localStorage.getItem(COMPACT_AFTER_KEY)
  const n = Number(raw)
  return raw !== null && Number.isInteger(n) && n >= 1 ? n : DEFAULT_COMPACT_AFTER
}

/** Wraps a chat's session (the transcript) so the model is sent a compacted history. */
export function compactingSession(transcript: Session, view: Session, model: () => Model): SummarizingCompactionSession {
  return new SummarizingCompactionSession({
    underlyingSession: transcript,
    viewSession: view,
    keepTurns: KEEP_TURNS,
    shouldTriggerCompaction: itemCountTrigger({ minCandidates: compactAfter() }),
    summarize: async (items: AgentItem[]) => {
      const response = await model().getResponse({
        instructions: SUMMARY_INSTRUCTIONS,
        input: [{ type: 'message', role: 'user', content: `${SUMMARIZE_REQUEST}\n\n${renderConversation(items)}` }],
        tools: [],
        modelSettings: {},
      })
      const message = response.output.find((item) => item.type === 'message' || item.role === 'assistant')
      const usage = response.usage
      return { text: message ? itemText(message) : '', usage }
    },
  })
}
