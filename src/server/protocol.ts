// The wire types live in src/remote/protocol.ts, below both the server and the browser's
// RemoteSession and SyncedSession; the server re-exports them.
export * from '../remote/protocol.js'
