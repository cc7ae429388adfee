// Turns: a turn starts at each user message. Pure functions over a branch's items, shared
// by every session kind that offers turns, search and usage.

/** Usage totals of one turn, a branch or a whole session. */
export interface UsageTotals {
  /** Model requests made. */
  requests: number
  inputTokens: number
  outputTokens: number
  totalTokens: number
}

/** One turn of the current branch, as listed by `getTurns()`. */
export interface TurnInfo {
  /** 1-based turn number. */
  turn: number
  /** The user's text (its first text part, cut to {@link PREVIEW_LENGTH} characters). */
  userText: string
  /** Items in the turn, the user message included. */
  itemCount: number
  /** When the user message was stored (ms since epoch). */
  startedAt: number
  /** When the turn's last item was stored (ms since epoch). */
  endedAt: number
  /** Token usage recorded for the turn, when known. */
  usage?: UsageTotals
}

/** A turn whose user or assistant text contains the searched text. */
export interface TurnMatch extends TurnInfo {
  /** The matched text with some context around it. */
  snippet: string
}

/** An item and when it was stored. */
export interface TimedItem {
  item: unknown
  createdAt: number
  usage?: UsageTotals | undefined
}

/** Length of `TurnInfo.userText` and of search snippets. */
export const PREVIEW_LENGTH = 120

function field(item: unknown, key: string): unknown {
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[key] : undefined
}

/**
 * True for a user message, which starts a turn. An encrypted envelope of a user message
 * keeps `role: 'user'` in clear for this reason.
 */
export function isTurnStart(item: unknown): boolean {
  return field(item, 'role') === 'user'
}

/** The text of a message item: its string content, or its text parts joined. `''` for other items. */
export function messageText(item: unknown): string {
  const content = field(item, 'content')
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => field(part, 'text'))
    .filter((text): text is string => typeof text === 'string')
    .join('\n')
}

function firstText(item: unknown): string {
  const content = field(item, 'content')
  if (typeof content === 'string') return content
  const first = Array.isArray(content) ? content.find((part) => typeof field(part, 'text') === 'string') : undefined
  return first ? String(field(first, 'text')) : ''
}

const preview = (text: string): string => (text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text)

/** Groups a branch's items, oldest first, into turns. Items before the first user message belong to no turn. */
export function toTurns(entries: readonly TimedItem[]): Array<TurnInfo & { entries: TimedItem[] }> {
  const turns: Array<TurnInfo & { entries: TimedItem[] }> = []
  for (const entry of entries) {
    if (isTurnStart(entry.item)) {
      const turn: TurnInfo & { entries: TimedItem[] } = {
        turn: turns.length + 1,
        userText: preview(firstText(entry.item)),
        itemCount: 0,
        startedAt: entry.createdAt,
        endedAt: entry.createdAt,
        entries: [],
      }
      if (entry.usage) turn.usage = entry.usage
      turns.push(turn)
    }
    const current = turns[turns.length - 1]
    if (!current) continue
    current.entries.push(entry)
    current.itemCount += 1
    current.endedAt = entry.createdAt
  }
  return turns
}

/** Lists the turns of a branch (see {@link toTurns}) without their items. */
export function listTurns(entries: readonly TimedItem[]): TurnInfo[] {
  return toTurns(entries).map(({ entries: _entries, ...info }) => info)
}

/**
 * Turns whose user or assistant message text contains `text`, case-insensitively, with a
 * snippet around the first match.
 */
export function findInTurns(entries: readonly TimedItem[], text: string): TurnMatch[] {
  const needle = text.toLowerCase()
  if (needle === '') return []
  const matches: TurnMatch[] = []
  for (const { entries: items, ...info } of toTurns(entries)) {
    for (const { item } of items) {
      const role = field(item, 'role')
      if (role !== 'user' && role !== 'assistant') continue
      const haystack = messageText(item)
      const at = haystack.toLowerCase().indexOf(needle)
      if (at < 0) continue
      const from = Math.max(0, at - 40)
      matches.push({ ...info, snippet: preview(haystack.slice(from, at + needle.length + 60)) })
      break
    }
  }
  return matches
}

/** Adds usage totals. */
export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    requests: a.requests + b.requests,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  }
}

/** Zero usage. */
export const NO_USAGE: UsageTotals = Object.freeze({ requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 })
