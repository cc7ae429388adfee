// vitest globalSetup for browser tests of sync: the real sync handler on PGlite (in
// memory), served on a free port with CORS open to the test page, its URL handed to the
// tests (`inject('syncServerUrl')`). `Authorization: Bearer <name>` is user <name> (dev only).
import type { TestProject } from 'vitest/node'
import { createSyncHandler, insecureDevAuthorize, PostgresStore, serveNode, type SyncHandler } from '../../src/server/index.js'

function withCors(inner: SyncHandler): SyncHandler {
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'authorization, content-type, last-event-id',
    'access-control-allow-methods': 'GET, POST, PUT',
  }
  return async (request) => {
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors })
    const response = await inner(request)
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value)
    return response
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const store = new PostgresStore({})
  await store.ready()
  const server = await serveNode(withCors(createSyncHandler({ store, authorize: insecureDevAuthorize, heartbeatMs: 2_000 })))
  project.provide('syncServerUrl', server.url)
  return async () => {
    await server.close()
    await store.close()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the sync server for browser tests. */
    syncServerUrl: string
  }
}
