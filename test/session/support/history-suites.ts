// Branches, turns, usage, search and rewriting: the public capability suites of
// idb-agents/testing/vitest, run together for every session kind that offers them, in Node
// (MemorySession, IndexedDBSession on fake-indexeddb) and in the real browsers.
import type { AgentItem, BranchingSession, UsageTrackingSession } from '../../../src/index.js'
import { isPositionalSession, isRewritableSession } from '../../../src/index.js'
import {
  describeBranchingConformance,
  describePositionalConformance,
  describeRewriteConformance,
  describeUsageConformance,
} from '../../../src/testing/vitest/index.js'

export type HistorySession = BranchingSession<AgentItem> & UsageTrackingSession<AgentItem>

/**
 * @param open - returns a session object for an id; called again with the same id to
 *   simulate a reload (IndexedDB) or to get the same object back (memory)
 */
export function describeBranching(name: string, open: (sessionId: string) => HistorySession, options: { rewritable?: boolean; positional?: boolean } = {}): void {
  describeBranchingConformance(name, open)
  describeUsageConformance(name, open)
  if (options.positional) {
    describePositionalConformance(name, (id) => {
      const session = open(id)
      if (!isPositionalSession(session)) throw new Error(`${name} does not implement addItemsAt`)
      return session
    })
  }
  if (!options.rewritable) return
  describeRewriteConformance(name, (id) => {
    const session = open(id)
    if (!isRewritableSession(session)) throw new Error(`${name} does not implement rewriteItems`)
    return session
  })
}
