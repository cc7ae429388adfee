// Turns: a turn starts at each user message. Pure functions over a branch's items, shared
// by every session kind that offers turns, search and usage.
import { field, isUserMessage, messageText } from '../items/predicates.js'
import type { UsageTotals } from './usage.js'

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

/** A stored item, when it was stored, and, on a turn's user message, the turn's usage. */
export interface TimedItem<TItem = unknown> {
  item: TItem
  /** When it was stored (ms since epoch). */
  createdAt: number
  /** On the user message starting a turn: the usage recorded for that turn. */
  usage?: UsageTotals | undefined
}

/** Length of `TurnInfo.userText` and of search snippets. */
export const PREVIEW_LENGTH = 120

function firstText(item: unknown): string {
  const content = field(item, 'content')
  if (typeof content === 'string') return content
  const first = Array.isArray(content) ? content.find((part) => typeof field(part, 'text') === 'string') : undefined
  return first ? String(field(first, 'text')) : ''
}

const preview = (text: string): string => (text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text)

/** The `userText` of a turn starting with `item`: its first text part, cut to {@link PREVIEW_LENGTH}. */
export function userTextOf(item: unknown): string {
  return preview(firstText(item))
}

/**
 * A snippet around the first user or assistant text among `items` (one turn's) that
 * contains `needle` (lower case), or `undefined`.
 */
export function snippetIn(items: readonly unknown[], needle: string): string | undefined {
  for (const item of items) {
    const role = field(item, 'role')
    if (role !== 'user' && role !== 'assistant') continue
    const haystack = messageText(item)
    const at = haystack.toLowerCase().indexOf(needle)
    if (at < 0) continue
    const from = Math.max(0, at - 40)
    return preview(haystack.slice(from, at + needle.length + 60))
  }
  return undefined
}

/** Groups a branch's items, oldest first, into turns. Items before the first user message belong to no turn. */
export function toTurns(entries: readonly TimedItem<unknown>[]): Array<TurnInfo & { entries: TimedItem[] }> {
  const turns: Array<TurnInfo & { entries: TimedItem[] }> = []
  for (const entry of entries) {
    if (isUserMessage(entry.item)) {
      const turn: TurnInfo & { entries: TimedItem[] } = {
        turn: turns.length + 1,
        userText: userTextOf(entry.item),
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
export function listTurns(entries: readonly TimedItem<unknown>[]): TurnInfo[] {
  return toTurns(entries).map(({ entries: _entries, ...info }) => info)
}

/**
 * Turns whose user or assistant message text contains `text`, case-insensitively, with a
 * snippet around the first match.
 */
export function findInTurns(entries: readonly TimedItem<unknown>[], text: string): TurnMatch[] {
  const needle = text.toLowerCase()
  if (needle === '') return []
  const matches: TurnMatch[] = []
  for (const { entries: items, ...info } of toTurns(entries)) {
    const snippet = snippetIn(items.map((entry) => entry.item), needle)
    if (snippet !== undefined) matches.push({ ...info, snippet })
  }
  return matches
}
