// The demo's sync server: `idb-agents/server`'s Fetch handler mounted on the dev server at
// /api/sync, storing in PGlite (embedded PostgreSQL) under .data/demo-sync (git-ignored).
// PGlite opens on the first sync request, so `npm run demo` starts as fast as before.
//
// DEVELOPMENT ONLY: sign-in is insecureDevAuthorize — `Authorization: Bearer <name>` is
// trusted as user <name>, no password. A real app mounts createSyncHandler with an
// `authorize` that checks its own session cookie or token (docs/sync.md).
// The production build (`npm run build:demo`, `preview:demo`) has no server: no sync there.
import { fileURLToPath } from 'node:url'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Plugin } from 'vite'
import type { NodeListener } from '../../src/server/index.js'

export const SYNC_PATH = '/api/sync'

export interface SyncPluginOptions {
  /** Where PGlite keeps its files. @default '<repo>/.data/demo-sync' */
  dataDir?: string | undefined
}

export function syncPlugin(options: SyncPluginOptions = {}): Plugin {
  const dataDir = options.dataDir ?? fileURLToPath(new URL('../../.data/demo-sync', import.meta.url))
  let listener: Promise<{ listen: NodeListener; close: () => Promise<void> }> | undefined
  // Loaded on first use: neither the server code nor PGlite's WASM slows the dev server's start.
  const open = async () => {
    const { PostgresStore, createSyncHandler, insecureDevAuthorize, toNodeListener } = await import('../../src/server/index.js')
    const store = new PostgresStore({ dataDir })
    const handler = createSyncHandler({ store, authorize: insecureDevAuthorize })
    return { listen: toNodeListener(handler), close: () => store.close() }
  }
  return {
    name: 'idb-agents-demo:sync',
    configureServer(server) {
      // connect strips the mount path from req.url: the handler's basePath stays ''.
      server.middlewares.use(SYNC_PATH, (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
        listener ??= open()
        listener.then(
          (sync) => sync.listen(req, res),
          (error: unknown) => {
            listener = undefined // try again on the next request
            next(error)
          },
        )
      })
      server.httpServer?.once('close', () => void listener?.then((sync) => sync.close()).catch(() => {}))
    },
  }
}
