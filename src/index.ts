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
} from './items.js'
export { toStoredItems } from './items.js'
export type { ReplaceableSession, Session, SessionSettings } from './session/session.js'
export { isReplaceableSession } from './session/session.js'
export { MemorySession, type MemorySessionOptions } from './session/memory.js'
export { IndexedDBSession, type IndexedDBSessionOptions } from './session/indexeddb.js'
export { DEFAULT_DB_NAME, type DatabaseOptions } from './session/indexeddb-connection.js'
export type { SessionInfo } from './session/indexeddb-records.js'
export {
  deleteSession,
  listSessions,
  renameSession,
  type ListSessionsOptions,
  type SessionPage,
} from './session/indexeddb-admin.js'
export * from './crypto/index.js'
