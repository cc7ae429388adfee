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
} from '../compaction/compaction-error.js'
export {
  anyTrigger,
  itemCountTrigger,
  tokenBudgetTrigger,
  TokenEstimator,
  type CompactionTrigger,
  type CompactionTriggerContext,
  type TokenBudgetTriggerOptions,
} from '../compaction/triggers.js'
export { COMPACTED_VIEW_DB_SUFFIX, CompactingSession, type CompactedPrefix, type CompactingSessionOptions } from '../compaction/compacting-session.js'
export { OpenAIResponsesCompactionSession, type OpenAIResponsesCompactionSessionOptions } from '../openai/responses-compaction-session.js'
export {
  chatSummarizer,
  isSummaryItem,
  renderConversation,
  SUMMARY_PREFIX,
  SummarizingCompactionSession,
  type Summarizer,
  type SummarizingCompactionSessionOptions,
  type SummaryText,
} from '../compaction/summarizing-session.js'
export { ConversationError, OpenAIConversationsSession, type OpenAIConversationsSessionOptions } from '../openai/conversations-session.js'
