// `idb-agents/server` (Node only): conversation history on PostgreSQL or embedded PGlite,
// PostgresSession for agents running in Node, and the sync protocol's Fetch-API handler.
export { PostgresStore, type AppliedOp, type PostgresStoreOptions, type PostgresTarget } from './store.js'
export { PostgresSession, DEFAULT_USER_ID, type PostgresSessionOptions } from './session.js'
export { ConflictError, NotFoundError, type ConflictDetails } from './errors.js'
export type { SqlClient, SqlDatabase, TransactionOptions } from './db.js'
export { SCHEMA_VERSION } from './schema.js'
export * from './protocol.js'
export { createSyncHandler, type Authorize, type SyncHandler, type SyncHandlerOptions } from './handler.js'
export type { PageOptions } from './feed.js'
export { MAX_OPS_PER_PUSH } from './validate.js'
export { serveNode, toNodeListener, type NodeListener, type NodeServer } from './node.js'
export { insecureDevAuthorize } from './dev.js'
