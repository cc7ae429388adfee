// Long conversations: compaction sessions, their triggers, and the Conversations API session.
// Re-exported by src/index.ts.
export {
  CompactionError,
  isCompactionAwareSession,
  type CompactionArgs,
  type CompactionAwareSession,
  type CompactionMode,
  type CompactionResult,
  type ReportedUsage,
} from './compaction-hook.js'
export {
  anyTrigger,
  itemCountTrigger,
  tokenBudgetTrigger,
  TokenEstimator,
  type CompactionTrigger,
  type CompactionTriggerContext,
  type TokenBudgetTriggerOptions,
} from './compaction-triggers.js'
export { COMPACTED_VIEW_DB_SUFFIX, CompactingSession, type CompactedPrefix, type CompactingSessionOptions } from './transcript.js'
export { OpenAIResponsesCompactionSession, type OpenAIResponsesCompactionSessionOptions } from './compaction.js'
export {
  chatSummarizer,
  isSummaryItem,
  renderConversation,
  SUMMARY_PREFIX,
  SummarizingCompactionSession,
  type Summarizer,
  type SummarizingCompactionSessionOptions,
  type SummaryText,
} from './summarizing-compaction.js'
export { ConversationError, OpenAIConversationsSession, type OpenAIConversationsSessionOptions } from './conversations.js'
