// The session kinds the ported tests run against, built only from the public API. Each kind
// says what it offers, so a test ported from another SDK runs on every kind it applies to.
import { inject } from 'vitest'
import {
  createOpenAIClient,
  EncryptedSession,
  IndexedDBSession,
  MemorySession,
  OpenAIConversationsSession,
  OpenAIResponsesCompactionSession,
  SummarizingCompactionSession,
  type BranchingSession,
  type Session,
  type SessionSettings,
  type UsageTrackingSession,
} from '../../../src/index.js'
import { createServerScript } from '../../../src/testing/index.js'

/** One way of storing a conversation. */
export interface SessionKind {
  readonly name: string
  /** A fresh, empty session (a new id, or a new conversation). */
  make(options?: { settings?: SessionSettings }): Session
  /**
   * A second object on the same stored conversation as `session`, or `undefined` when the
   * kind keeps history in the object itself (MemorySession).
   */
  reopen?(session: Session): Session
  /** Another id in the same store: for isolation tests. */
  sibling?(session: Session): Session
  /** Items come back from a server with ids and typed messages, not as given. */
  readonly remote?: boolean
}

/** A kind whose sessions branch and record usage. */
export interface BranchingKind {
  readonly name: string
  make(options?: { settings?: SessionSettings }): BranchingSession & UsageTrackingSession
  /** The IndexedDB database the session lives in, when it does. */
  dbNameOf?(session: { sessionId: string }): string
  /** A second object on the same stored session (another tab), when the kind stores it outside the object. */
  reopen?(session: { sessionId: string }): BranchingSession & UsageTrackingSession
}

let counter = 0
const uniqueId = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`
/** A database of its own for this test file. */
export const dbName = uniqueId('ported-db')

/** An AES-GCM-256 key, as an app managing its own keys would pass it. */
export const dataKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])

const serverUrl = inject('apiServerUrl')
/** A script on the local API server, shared by the kinds that need a client. */
const sharedScript = await createServerScript(serverUrl, [])
/** An `openai` client on the local API server (no retries: tests see each call). */
export const sharedClient = createOpenAIClient({ baseURL: sharedScript.baseURL, maxRetries: 0 })

const idb = (id: string, settings?: SessionSettings) => new IndexedDBSession(id, { dbName, ...(settings && { settings }) })
const memory = (id: string, settings?: SessionSettings) => new MemorySession(id, settings ? { settings } : {})

export const memoryKind: SessionKind = {
  name: 'MemorySession',
  make: (o = {}) => memory(uniqueId('mem'), o.settings),
  sibling: () => memory(uniqueId('mem')),
}

export const indexedDBKind: SessionKind = {
  name: 'IndexedDBSession',
  make: (o = {}) => idb(uniqueId('idb'), o.settings),
  reopen: (s) => idb(s.sessionId),
  sibling: () => idb(uniqueId('idb')),
}

export const encryptedMemoryKind: SessionKind = {
  name: 'EncryptedSession(MemorySession)',
  make: (o = {}) => new EncryptedSession(memory(uniqueId('encm'), o.settings), { key: dataKey }),
  sibling: () => new EncryptedSession(memory(uniqueId('encm')), { key: dataKey }),
}

export const encryptedIndexedDBKind: SessionKind = {
  name: 'EncryptedSession(IndexedDBSession)',
  make: (o = {}) => new EncryptedSession(idb(uniqueId('enci'), o.settings), { key: dataKey }),
  reopen: (s) => new EncryptedSession(idb(s.sessionId), { key: dataKey }),
  sibling: () => new EncryptedSession(idb(uniqueId('enci')), { key: dataKey }),
}

const responsesCompaction = (underlyingSession: Session) =>
  new OpenAIResponsesCompactionSession({ underlyingSession, client: sharedClient })

export const compactionMemoryKind: SessionKind = {
  name: 'OpenAIResponsesCompactionSession(MemorySession)',
  make: (o = {}) => responsesCompaction(memory(uniqueId('cmpm'), o.settings)),
  sibling: () => responsesCompaction(memory(uniqueId('cmpm'))),
}

export const compactionIndexedDBKind: SessionKind = {
  name: 'OpenAIResponsesCompactionSession(IndexedDBSession)',
  make: (o = {}) => responsesCompaction(idb(uniqueId('cmpi'), o.settings)),
  reopen: (s) => responsesCompaction(idb(s.sessionId)),
  sibling: () => responsesCompaction(idb(uniqueId('cmpi'))),
}

const summarizing = (underlyingSession: Session) =>
  new SummarizingCompactionSession({ underlyingSession, summarize: async () => 'summary' })

export const summarizingKind: SessionKind = {
  name: 'SummarizingCompactionSession(IndexedDBSession)',
  make: (o = {}) => summarizing(idb(uniqueId('sum'), o.settings)),
  reopen: (s) => summarizing(idb(s.sessionId)),
  sibling: () => summarizing(idb(uniqueId('sum'))),
}

export const conversationsKind: SessionKind = {
  name: 'OpenAIConversationsSession (local API server)',
  remote: true,
  make: (o = {}) => new OpenAIConversationsSession({ client: sharedClient, ...(o.settings && { settings: o.settings }) }),
  reopen: (s) => new OpenAIConversationsSession({ client: sharedClient, conversationId: s.sessionId }),
  sibling: () => new OpenAIConversationsSession({ client: sharedClient }),
}

/** Every session kind. */
export const allKinds: readonly SessionKind[] = [
  memoryKind,
  indexedDBKind,
  encryptedMemoryKind,
  encryptedIndexedDBKind,
  compactionMemoryKind,
  compactionIndexedDBKind,
  summarizingKind,
  conversationsKind,
]

/** The kinds that branch and record usage. */
export const branchingKinds: readonly BranchingKind[] = [
  { name: 'MemorySession', make: (o = {}) => memory(uniqueId('bmem'), o.settings) },
  { name: 'IndexedDBSession', make: (o = {}) => idb(uniqueId('bidb'), o.settings), dbNameOf: () => dbName, reopen: (s) => idb(s.sessionId) },
  {
    name: 'EncryptedSession(MemorySession)',
    make: (o = {}) => EncryptedSession.wrap(memory(uniqueId('benm'), o.settings), { key: dataKey }),
  },
  {
    name: 'EncryptedSession(IndexedDBSession)',
    make: (o = {}) => EncryptedSession.wrap(idb(uniqueId('beni'), o.settings), { key: dataKey }),
    dbNameOf: () => dbName,
    reopen: (s) => EncryptedSession.wrap(idb(s.sessionId), { key: dataKey }),
  },
]

/**
 * The kinds that offer `@openai/agents`' history transactions (`applyHistoryTransaction`);
 * each `make()` returns a session for which `isSessionHistoryTransactionAwareSession` is true.
 */
export const historyKinds: readonly SessionKind[] = [memoryKind, indexedDBKind, encryptedMemoryKind, encryptedIndexedDBKind]
