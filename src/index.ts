// The public API of idb-agents: nothing outside this file and the documented subpaths
// (`idb-agents/testing`, `idb-agents/testing/vitest`, `idb-agents/testing/api-server`,
// `idb-agents/server`) is public. Grouped by layer, bottom first (see src/README.md).

// Errors every layer throws.
export {
  HistoryOperationConflictError,
  HistorySuffixMismatchError,
  IdbAgentsError,
  InvalidArgumentError,
  InvalidExportError,
  InvalidItemError,
  InvalidRunStateError,
  PendingRunConflictError,
  PositionConflictError,
  SessionExistsError,
  StorageDataLostError,
  StorageError,
  StorageQuotaError,
  StorageUnavailableError,
  TurnNotFoundError,
  UpgradeBlockedError,
  type IdbAgentsErrorCode,
} from './errors.js'

// Items: what sessions store.
export type { AgentItem, FunctionCallItem, FunctionCallOutputItem, JsonObject, MessageItem } from './items/types.js'
export { toStoredItems } from './items/validate.js'

// Browser primitives.
export { isRunLocked, runLockMode, withRunLock } from './sync/run-lock.js'
export { requestPersistentStorage, storageStatus, type StorageStatus } from './sync/storage-health.js'

// The session contract and its capabilities.
export type { Session, SessionSettings } from './session/session.js'
export {
  isBranchingSession,
  isCompactionReplaceableSession,
  isContentBranchingSession,
  isCountingSession,
  isIndexedDBBackedSession,
  isModelInputPreparingSession,
  isOpenAIResponsesCompactionAwareSession,
  isPendingRunsSession,
  isPositionalSession,
  isResealingSession,
  isReplaceableSession,
  isRewritableSession,
  isSessionHistoryRewriteAwareSession,
  isSessionHistoryTransactionAwareSession,
  isSuffixReplaceableSession,
  isToolUsageSession,
  isUsageTrackingSession,
  type BranchInfo,
  type BranchingSession,
  type CompactionReplaceableSession,
  type ContentBranchingSession,
  type CountingSession,
  type IndexedDBBackedSession,
  type ModelInputPreparingSession,
  type OpenAIResponsesCompactionArgs,
  type OpenAIResponsesCompactionAwareSession,
  type OpenAIResponsesCompactionResult,
  type PendingRun,
  type PendingRunsSession,
  type PendingRunUpdate,
  type PositionalSession,
  type ResealHandler,
  type ResealingSession,
  type ResealRequest,
  type ReplaceableSession,
  type RewritableSession,
  type RewriteItems,
  type SessionHistoryAppendItemsTransaction,
  type SessionHistoryMutation,
  type SessionHistoryReplaceFunctionCallMutation,
  type SessionHistoryReplaceSuffixTransaction,
  type SessionHistoryRewriteArgs,
  type SessionHistoryRewriteAwareSession,
  type SessionHistoryTransaction,
  type SessionHistoryTransactionArgs,
  type SessionHistoryTransactionAwareSession,
  type SuffixReplaceableSession,
  type SuffixReplacement,
  type ToolUsageSession,
  type UsageTrackingSession,
} from './session/capabilities.js'
export type { ToolUsage } from './session/tool-usage.js'
export { applySessionHistoryMutations } from './session/history.js'
export {
  isSealedBranchNamesSession,
  isTitledSession,
  type SealedBranchNamesSession,
  type SealedLabel,
  type TitledSession,
} from './session/labels.js'
export type { TimedItem, TurnInfo, TurnMatch } from './session/turns.js'
export type { RequestUsage, RunUsageSource, UsageTotals } from './session/usage.js'
export { MemorySession, type MemorySessionOptions } from './session/memory.js'

// The model contract.
export type { Model, ModelProvider, ModelRequest, ModelResponse, ModelSettings, ModelStreamEvent, OutputSchema, ToolDefinition } from './model/model.js'
export { Usage } from './model/usage.js'
export {
  AbortError,
  MaxTurnsExceededError,
  ModelHttpError,
  OfflineError,
  OutputParseError,
  RunError,
  StaleRunStateError,
  ToolError,
} from './model/errors.js'

// IndexedDB: the session store, the session list, export/import, change events, pending input.
export { IndexedDBSession, type IndexedDBSessionOptions } from './idb/indexeddb-session.js'
export { DEFAULT_DB_NAME, type DatabaseOptions } from './idb/database.js'
export type { SessionInfo } from './idb/records.js'
export {
  deleteSession,
  listSessions,
  renameSession,
  searchSessions,
  type ListSessionsOptions,
  type SessionPage,
  type SessionSearchResult,
  type TitleOpener,
} from './idb/admin.js'
export { exportSession, importSession, type SessionExport } from './idb/export.js'
export { onSessionsChanged, type SessionChange } from './idb/changes.js'
export { onStorageDataLost, onStorageUpgradeNeeded, type StorageDataLostEvent, type StorageUpgradeEvent } from './idb/database-events.js'
export { PendingInputStore, type PendingInput, type PendingTarget } from './idb/pending-input.js'

// Keys.
export { DecryptionError, KeyStoreError, WrongKeyError, type DecryptionFailure, type SealedLabelKind } from './crypto/errors.js'
export { KeyStore, type KeyringExport } from './crypto/key-store.js'
export { Keyring, type DataKey, type DataKeyProvider } from './crypto/keyring.js'
export { StaticKeyProvider } from './crypto/static-key.js'

// Encryption at rest.
export { EncryptedSession, type EncryptedCapabilities, type EncryptedTitles } from './encrypted/encrypted-session.js'
export { sealedTitles } from './encrypted/labels.js'
export type { EncryptedSessionOptions } from './encrypted/options.js'
export { decryptSessionExport, encryptSessionExport } from './encrypted/export-codec.js'
export { rotateDataKey, type RotationResult } from './encrypted/rotation.js'

// Long conversations.
export { CompactingSession, type CompactedPrefix, type CompactingSessionOptions } from './compaction/compacting-session.js'
export { CompactionError } from './compaction/compaction-error.js'
export { anyTrigger, itemCountTrigger, tokenBudgetTrigger, type CompactionTrigger, type CompactionTriggerContext } from './compaction/triggers.js'
export {
  isSummaryItem,
  renderConversation,
  SUMMARY_PREFIX,
  SummarizingCompactionSession,
  type Summarizer,
  type SummarizingCompactionSessionOptions,
} from './compaction/summarizing-session.js'

// The OpenAI API: client, models, and the sessions it holds.
export { createOpenAIClient, type OpenAIClientOptions } from './openai/client.js'
export { OpenAIProvider, type OpenAIProviderOptions } from './openai/provider.js'
export { OpenAIResponsesModel } from './openai/responses-model.js'
export { OpenAIChatCompletionsModel } from './openai/chat-completions-model.js'
export { OpenAIResponsesCompactionSession, type OpenAIResponsesCompactionSessionOptions } from './openai/responses-compaction-session.js'
export { chatSummarizer } from './openai/chat-summarizer.js'
export { ConversationError, OpenAIConversationsSession, type OpenAIConversationsSessionOptions } from './openai/conversations-session.js'

// The runner.
export { Agent, type AgentOptions } from './runner/agent.js'
export { tool, type FunctionTool, type ToolCallDetails, type ToolOptions } from './runner/tool.js'
export type { ToolUseBehavior } from './runner/tool-use.js'
export {
  RunToolApprovalItem,
  TOOL_APPROVAL_ABANDONED_MESSAGE,
  TOOL_APPROVAL_REJECTION_MESSAGE,
  type ApprovalDecision,
} from './runner/approvals.js'
export { RunState, type HistoryMark, type RunStateData } from './runner/run-state.js'
export { run, Runner, setDefaultModelProvider, setDefaultOpenAIClient, type RunnerOptions } from './runner/runner.js'
export type { RunOptions } from './runner/loop.js'
export type { SessionInputCallback } from './runner/session-input.js'
export type { RunInput } from './runner/input.js'
export { RunContext } from './runner/run-context.js'
export { RunResult } from './runner/result.js'
export { StreamedRunResult } from './runner/stream.js'
export type { RunItem, RunItemStreamEventName, RunStreamEvent } from './runner/events.js'
export { PendingInputKeptError } from './runner/run-guard.js'
export { retryPending, retryPendingWhenOnline, type PendingSent, type RetryPendingOptions } from './runner/retry-pending.js'

// Many devices: the sync server's client, sessions held on it, and local-first sync.
export { SyncClient, type SyncClientOptions, type SyncHeaders } from './remote/client.js'
export { ConflictError, NotFoundError, SyncError, SyncOfflineError, SyncUnauthorizedError, type ConflictDetails } from './remote/errors.js'
export { RemoteSession, type RemoteSessionOptions } from './remote/remote-session.js'
export type * from './remote/protocol.js'
export { SyncedSession, type SyncedSessionOptions } from './remote/synced-session.js'
export type { RetryOptions } from './remote/sync-engine.js'
export { syncSessions, type SyncSessionsOptions } from './remote/sync-sessions.js'
export { downloadKeyring, uploadKeyring, type KeyringSyncOptions, type UploadKeyringOptions } from './remote/keyring-sync.js'
