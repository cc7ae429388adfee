import { InvalidArgumentError, messageOf } from '../errors.js'
import { isCompactionItem, isUserMessage, messageText } from '../items/predicates.js'
import type { AgentItem, MessageItem } from '../items/types.js'
import type { RequestUsage } from '../session/usage.js'
import { CompactingSession, type CompactedPrefix, type CompactingSessionOptions } from './compacting-session.js'
import { CompactionError } from './compaction-error.js'

/** Turns the oldest part of a conversation into a summary text. */
export type Summarizer = (items: AgentItem[]) => Promise<SummaryText>

/** What a {@link Summarizer} returns: the text, and the usage of the call when known. */
export type SummaryText = string | { text: string; usage?: RequestUsage }

/** Options of {@link SummarizingCompactionSession}. */
export interface SummarizingCompactionSessionOptions extends CompactingSessionOptions {
  /**
   * Writes the summary: `chatSummarizer(client, { model })` summarizes with a Chat
   * Completions call (any OpenAI-compatible server, local models included), or your own.
   */
  summarize: Summarizer
  /**
   * Newest turns kept verbatim (a turn starts at a user message and holds its tool calls
   * and outputs, so a call is never separated from its output).
   * @default 2
   */
  keepTurns?: number
  /**
   * Role of the summary message. `'system'` suits most servers; use `'developer'` for
   * OpenAI models that prefer it.
   * @default 'system'
   */
  summaryRole?: 'system' | 'developer' | 'assistant'
}

/** First line of every summary message; how a summary is recognised in the history. */
export const SUMMARY_PREFIX = 'Summary of the earlier conversation:'

/**
 * Compaction for servers without `responses.compact` (Chat Completions servers, local
 * models): the oldest turns are summarized by a model call into one message, the newest
 * `keepTurns` turns are kept verbatim. Same triggers and the same never-lost transcript as
 * {@link OpenAIResponsesCompactionSession} (see {@link CompactingSession}).
 *
 * ```ts
 * const session = new SummarizingCompactionSession({
 *   underlyingSession: new IndexedDBSession('chat'),
 *   summarize: chatSummarizer(createOpenAIClient({ baseURL: 'http://127.0.0.1:11434/v1' }), { model: 'llama3.2' }),
 *   shouldTriggerCompaction: tokenBudgetTrigger({ maxInputTokens: 8000 }),
 * })
 * ```
 */
export class SummarizingCompactionSession extends CompactingSession {
  readonly #summarize: Summarizer
  readonly #keepTurns: number
  readonly #role: 'system' | 'developer' | 'assistant'

  /** @param options - the transcript's session, how to summarize, what to keep */
  constructor(options: SummarizingCompactionSessionOptions) {
    super(options)
    const keepTurns = options.keepTurns ?? 2
    if (!Number.isInteger(keepTurns) || keepTurns < 0) throw new InvalidArgumentError(`keepTurns must be an integer >= 0, got ${String(keepTurns)}.`)
    this.#keepTurns = keepTurns
    this.#role = options.summaryRole ?? 'system'
    if (typeof options.summarize !== 'function') {
      throw new InvalidArgumentError('SummarizingCompactionSession needs `summarize`, e.g. chatSummarizer(client, { model }) for a Chat Completions call.')
    }
    this.#summarize = options.summarize
  }

  protected override isKeptItem(item: AgentItem): boolean {
    return isUserMessage(item) || isCompactionItem(item) || isSummaryItem(item)
  }

  protected async compactItems(items: AgentItem[]): Promise<CompactedPrefix | undefined> {
    const starts = items.flatMap((item, i) => (isUserMessage(item) ? [i] : []))
    const cut = this.#keepTurns === 0 ? items.length : starts[starts.length - this.#keepTurns]
    if (cut === undefined || cut === 0) return undefined
    const folded = items.slice(0, cut)
    if (folded.length === 1 && isSummaryItem(folded[0])) return undefined
    let summary: SummaryText
    try {
      summary = await this.#summarize(folded)
    } catch (error) {
      throw error instanceof CompactionError
        ? error
        : new CompactionError(`The summarizing call failed: ${messageOf(error)}.`, error)
    }
    const text = typeof summary === 'string' ? summary : summary.text
    if (typeof text !== 'string' || text.trim() === '') {
      throw new CompactionError('The summarizer returned no text, so nothing was replaced; check the summarizing model.')
    }
    const item: MessageItem = { type: 'message', role: this.#role, content: `${SUMMARY_PREFIX}\n${text.trim()}` }
    const prefix: CompactedPrefix = { items: [item, ...items.slice(cut)], mode: 'summary' }
    if (typeof summary !== 'string' && summary.usage) prefix.usage = summary.usage
    return prefix
  }
}

/** True for a summary message written by {@link SummarizingCompactionSession}. */
export function isSummaryItem(item: unknown): boolean {
  const message = item as Partial<MessageItem> | undefined
  return (
    typeof message === 'object' &&
    message !== null &&
    message.role !== 'user' &&
    typeof message.content === 'string' &&
    message.content.startsWith(SUMMARY_PREFIX)
  )
}

/** The items as plain text lines a summarizer can read. */
export function renderConversation(items: readonly AgentItem[]): string {
  const lines: string[] = []
  for (const item of items) {
    if (isSummaryItem(item)) lines.push(String(item.content))
    else if (typeof item.role === 'string') lines.push(`${capitalize(String(item.role))}: ${messageText(item)}`)
    else if (item.type === 'function_call') lines.push(`Tool call ${String(item.name)}(${String(item.arguments)})`)
    else if (item.type === 'function_call_output') {
      lines.push(`Tool result: ${typeof item.output === 'string' ? item.output : messageText({ content: item.output })}`)
    }
  }
  return lines.join('\n')
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
