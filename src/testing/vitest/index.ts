// `idb-agents/testing/vitest`: conformance suites for your own sessions, registered with
// vitest (an optional peer dependency of idb-agents; the rest of `idb-agents/testing`
// works without it).
export { describeSessionConformance, type SessionConformanceOptions, type SessionFactory } from './session.js'
export { describeBranchingConformance, type BranchingSessionFactory } from './branching.js'
export { describeUsageConformance, type UsageSessionFactory } from './usage.js'
export { describeRewriteConformance, type RewritableHistorySession, type RewritableSessionFactory } from './rewrite.js'
export { describePositionalConformance, type PositionalHistorySession, type PositionalSessionFactory } from './positional.js'
export { describeHistoryTransactions, type HistoryTransactionSession, type HistoryTransactionSessionFactory } from './history-transactions.js'
export { describeAdvancedSession, type AdvancedHistorySession, type AdvancedSessionFactory } from './advanced.js'
