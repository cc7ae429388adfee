// When to compact: by the number of foldable items (the SDKs' default) or by a token budget
// (asked for by users, declined by the Python SDK), estimated from the items and refined
// from the usage the model reports.
import { InvalidArgumentError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import type { RequestUsage } from '../session/usage.js'
import { jsonLength } from '../items/json.js'

/** What a {@link CompactionTrigger} decides on. */
export interface CompactionTriggerContext<TItem = AgentItem> {
  /** The model-facing history now: what the next request would carry. */
  items: readonly TItem[]
  /**
   * Items compaction would fold away: every item but user messages and earlier
   * compaction (or summary) items, which compaction keeps.
   */
  candidateCount: number
  /** Estimated tokens of `items` (see {@link TokenEstimator}). */
  estimatedTokens: number
  /** Usage of the request that produced the newest items, when the runner reported it. */
  lastUsage?: RequestUsage
}

/**
 * Decides whether to compact after a turn. Return `true` to compact. Combine several with
 * {@link anyTrigger}.
 */
export type CompactionTrigger<TItem = AgentItem> = (context: CompactionTriggerContext<TItem>) => boolean | Promise<boolean>

/**
 * Fires once at least `minCandidates` items could be folded (user messages and compaction
 * items do not count): the default of the Python and JavaScript Agents SDKs.
 *
 * @param options.minCandidates - @default 10
 */
export function itemCountTrigger<TItem = AgentItem>(options: { minCandidates?: number } = {}): CompactionTrigger<TItem> {
  const min = options.minCandidates ?? 10
  if (!Number.isInteger(min) || min < 1) throw new InvalidArgumentError(`minCandidates must be an integer >= 1, got ${String(min)}.`)
  return (context) => context.candidateCount >= min
}

/** Options of {@link tokenBudgetTrigger}. */
export interface TokenBudgetTriggerOptions {
  /** The most input tokens a request may carry (the model's context window, or less). */
  maxInputTokens: number
  /**
   * Compact once the history reaches this fraction of `maxInputTokens`, leaving room for
   * the next message, instructions and tools.
   * @default 0.8
   */
  threshold?: number
  /** Never compact with fewer foldable items than this (nothing to gain). @default 2 */
  minCandidates?: number
}

/**
 * Fires when the estimated tokens of the history reach `threshold × maxInputTokens`, so the
 * next request stays under `maxInputTokens`. The estimate is the reported usage of the last
 * request when the runner gave it, else a length-based estimate calibrated by earlier
 * reports (see {@link TokenEstimator}).
 */
export function tokenBudgetTrigger<TItem = AgentItem>(options: TokenBudgetTriggerOptions): CompactionTrigger<TItem> {
  const { maxInputTokens, threshold = 0.8, minCandidates = 2 } = options
  if (!(typeof maxInputTokens === 'number' && maxInputTokens > 0 && Number.isFinite(maxInputTokens))) {
    throw new InvalidArgumentError(`maxInputTokens must be a positive number, got ${String(maxInputTokens)}.`)
  }
  if (!(threshold > 0 && threshold <= 1)) throw new InvalidArgumentError(`threshold must be in (0, 1], got ${String(threshold)}.`)
  const limit = maxInputTokens * threshold
  return (context) => context.candidateCount >= minCandidates && context.estimatedTokens >= limit
}

/** A trigger that fires when any of `triggers` does. */
export function anyTrigger<TItem = AgentItem>(...triggers: CompactionTrigger<TItem>[]): CompactionTrigger<TItem> {
  return async (context) => {
    for (const trigger of triggers) if (await trigger(context)) return true
    return false
  }
}

/**
 * Estimates tokens from the JSON length of items: 4 characters a token until the model
 * reports real usage, then the ratio those reports show (clamped to 1–8 characters a
 * token, so one odd report cannot make compaction run every turn or never).
 */
export class TokenEstimator {
  /** Tokens per character of item JSON. @default 0.25 */
  tokensPerChar = 0.25

  /** Estimated tokens of `items`. */
  estimate(items: readonly unknown[]): number {
    return Math.ceil(jsonLength(items) * this.tokensPerChar)
  }

  /**
   * Learns from a report that `items` (what was sent, plus the reply) came to `tokens`.
   * Returns `tokens`, the best estimate for those items.
   */
  calibrate(items: readonly unknown[], tokens: number): number {
    const chars = jsonLength(items)
    if (chars > 0 && tokens > 0 && Number.isFinite(tokens)) {
      this.tokensPerChar = Math.min(1, Math.max(1 / 8, tokens / chars))
    }
    return tokens
  }
}
