// The public API of idb-agents. Nothing outside this file (and `idb-agents/testing`) is public.
export * from './errors.js'
export type {
  AgentItem,
  CompactionItem,
  ContentPart,
  FunctionCallItem,
  FunctionCallOutputItem,
  JsonObject,
  JsonValue,
  MessageItem,
  ReasoningItem,
  UnknownItem,
} from './items/items.js'
export { toStoredItems } from './items/items.js'
export type {
  BranchInfo,
  BranchingSession,
  ReplaceableSession,
  RewritableSession,
  RunUsageSource,
  Session,
  SessionSettings,
  UsageTrackingSession,
} from './session/session.js'
export { isBranchingSession, isReplaceableSession, isRewritableSession, isUsageTrackingSession } from './session/session.js'
export type { TurnInfo, TurnMatch, UsageTotals } from './session/turns.js'
export { MemorySession, type MemorySessionOptions } from './session/memory.js'
export { IndexedDBSession, type IndexedDBSessionOptions } from './idb/indexeddb-session.js'
export { DEFAULT_DB_NAME, type DatabaseOptions } from './idb/database.js'
export type { SessionInfo } from './idb/records.js'
export {
  deleteSession,
  listSessions,
  renameSession,
  searchSessions,
  type ListSessionsOptions,
  type SessionSearchResult,
  type SessionPage,
} from './idb/admin.js'
export {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  exportSession,
  importSession,
  type ImportSessionOptions,
  type SessionExport,
} from './idb/export.js'
export { onSessionsChanged, type SessionChange, type SessionChangeKind, type Unsubscribe } from './idb/changes.js'
export * from './sync/index.js'
export * from './session/long-conversations.js'
export * from './crypto/index.js'
export * from './runner/index.js'
