import type { RequestUsage, UsageTotals } from '../session/usage.js'

/**
 * Token usage of a run: totals plus one entry per request (model calls, and a compaction
 * call made after the run's last turn).
 */
export class Usage implements UsageTotals {
  /** Model requests made. */
  requests = 0
  /** Tokens sent, summed over requests. */
  inputTokens = 0
  /** Tokens generated, summed over requests. */
  outputTokens = 0
  /** Input plus output, summed over requests. */
  totalTokens = 0
  /** One entry per request, in order. */
  readonly perRequest: RequestUsage[] = []

  /** Adds one request's usage. */
  add(usage: RequestUsage): void {
    this.requests += 1
    this.inputTokens += usage.inputTokens
    this.outputTokens += usage.outputTokens
    this.totalTokens += usage.totalTokens
    this.perRequest.push({ ...usage })
  }
}
