import type OpenAI from 'openai'
import { renderConversation, type Summarizer } from '../compaction/summarizing-session.js'
import { toCompactionError } from './responses-compaction-session.js'

/** Options of {@link chatSummarizer}. */
export interface ChatSummarizerOptions {
  /** The model that summarizes, as the server knows it. */
  model: string
  /** The summarizer's system prompt. @default a prompt asking for facts, decisions and open tasks */
  instructions?: string
}

const DEFAULT_INSTRUCTIONS =
  'You compress conversations. Summarize the conversation you are given so that an assistant can continue it: ' +
  'keep facts about the user, decisions, results of tool calls and open tasks; drop small talk. Answer with the summary only.'

/**
 * A {@link Summarizer} for `SummarizingCompactionSession` that asks a Chat Completions model
 * (any OpenAI-compatible server, local models included) for the summary.
 *
 * ```ts
 * const session = new SummarizingCompactionSession({
 *   underlyingSession: new IndexedDBSession('chat'),
 *   summarize: chatSummarizer(createOpenAIClient({ baseURL: 'http://127.0.0.1:11434/v1' }), { model: 'llama3.2' }),
 * })
 * ```
 *
 * @param client - an `openai` client whose `baseURL` points at the server
 */
export function chatSummarizer(client: OpenAI, options: ChatSummarizerOptions): Summarizer {
  const { model, instructions = DEFAULT_INSTRUCTIONS } = options
  return async (items) => {
    let completion: OpenAI.Chat.ChatCompletion
    try {
      completion = await client.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: instructions },
          { role: 'user', content: renderConversation(items) },
        ],
      })
    } catch (error) {
      throw toCompactionError(error, 'The summarizing call')
    }
    const text = completion.choices[0]?.message?.content ?? ''
    const usage = completion.usage
    if (!usage) return text
    return { text, usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, totalTokens: usage.total_tokens } }
  }
}
