// Token usage, in the two shapes `@openai/agents` uses: one request's, and totals.
import { InvalidArgumentError } from '../errors.js'

/** Token usage of one model request (or of one compaction call). */
export interface RequestUsage {
  /** Tokens sent (prompt: history, instructions, tools). */
  inputTokens: number
  /** Tokens generated. */
  outputTokens: number
  /** Input plus output. */
  totalTokens: number
}

/** Usage summed over requests: a run's, a turn's, a branch's or a whole session's. */
export interface UsageTotals extends RequestUsage {
  /** Model requests made. */
  requests: number
}

/** Anything carrying a run's usage, such as the runner's `RunResult`. */
export interface RunUsageSource {
  usage: UsageTotals
}

/** Zero usage. */
export const NO_USAGE: UsageTotals = Object.freeze({ requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 })

/** Adds usage totals. */
export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    requests: a.requests + b.requests,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  }
}

/** The four totals of `usage` and nothing else (stored rows carry keys beside them). */
export function pickUsage(usage: UsageTotals): UsageTotals {
  return { requests: usage.requests, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.totalTokens }
}

/**
 * Checks a usage source and returns its totals.
 * @throws {@link InvalidArgumentError} when a total is missing, negative or not a finite number
 */
export function usageOf(result: RunUsageSource): UsageTotals {
  const usage = (result as Partial<RunUsageSource> | undefined)?.usage
  const read = (key: keyof UsageTotals): number => {
    const value = usage?.[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`storeRunUsage expects a run result with usage.${key} as a number >= 0, got ${String(value)}.`)
    }
    return value
  }
  return { requests: read('requests'), inputTokens: read('inputTokens'), outputTokens: read('outputTokens'), totalTokens: read('totalTokens') }
}
