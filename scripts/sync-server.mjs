// `npm run sync-server`: the reference sync server, for development. It runs the built
// library (`npm run sync-server` builds it first), so what it serves is what users import.
//
//   storage  PGlite (embedded PostgreSQL) under .data/sync-server — or PostgreSQL when
//            DATABASE_URL=postgresql://… is set
//   address  http://127.0.0.1:8787 — PORT and HOST change it (HOST=0.0.0.0 for other devices)
//   users    DEV ONLY: "Authorization: Bearer <name>" is trusted as user <name>, no password.
//            Apps mount createSyncHandler with their own authorize (docs/sync.md).
import { fileURLToPath } from 'node:url'

const entry = process.env.IDB_AGENTS_SERVER_ENTRY ?? new URL('../dist/server/index.js', import.meta.url).href
const { PostgresStore, createSyncHandler, insecureDevAuthorize, serveNode } = await import(entry)

const databaseUrl = process.env.DATABASE_URL
const dataDir = process.env.SYNC_DATA_DIR ?? fileURLToPath(new URL('../.data/sync-server', import.meta.url))
const store = new PostgresStore(databaseUrl ? databaseUrl : { dataDir })
await store.ready()

const handler = createSyncHandler({ store, authorize: insecureDevAuthorize })
const server = await serveNode(withDevCors(handler), { port: Number(process.env.PORT ?? 8787), host: process.env.HOST ?? '127.0.0.1' })
const where = databaseUrl ? `PostgreSQL at ${new URL(databaseUrl).host}` : `PGlite in ${dataDir}`
console.log(`idb-agents sync server: ${server.url}/v1 (${where})`)
console.log('DEV ONLY: "Authorization: Bearer <name>" is trusted as user <name>. Ctrl+C stops it.')

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return
    stopping = true
    await server.close()
    await store.close()
    process.exit(0)
  })
}

/** Lets a dev page on another origin (the demo on :5173) call the server. */
function withDevCors(inner) {
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'authorization, content-type, last-event-id',
    'access-control-allow-methods': 'GET, POST, PUT',
    'access-control-max-age': '600',
  }
  return async (request) => {
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors })
    const response = await inner(request)
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value)
    return response
  }
}
