// A sync server for client tests: the real handler on an engine's store, called in-process
// through an injected fetch, with switches to fail requests the way networks do.
import { createSyncHandler, insecureDevAuthorize, type PostgresStore, type SyncHandler } from '../../../src/server/index.js'

export interface TestServer {
  handler: SyncHandler
  /** A fetch for `user` (sends `Authorization: Bearer <user>`), through the faults below. */
  fetch: typeof fetch
  url: string
  /** While true, every request fails as if the network were down. */
  down: boolean
  /** The next `n` pushes are applied by the server, but their responses are lost. */
  loseResponses: number
  /** Requests seen, by path. */
  requests: string[]
  /**
   * Items this server refuses as `invalid_item` although the device accepted them (as a
   * server with stricter rules would): a push holding one is refused whole, as the real
   * handler refuses a push with a bad item.
   */
  refusesItem?: (item: unknown) => boolean
}

export function testServer(store: () => PostgresStore): TestServer {
  let handler: SyncHandler | undefined
  const server: TestServer = {
    get handler() {
      handler ??= createSyncHandler({ store: store(), authorize: insecureDevAuthorize, maxWaitMs: 2_000, heartbeatMs: 500 })
      return handler
    },
    url: 'http://sync.test',
    down: false,
    loseResponses: 0,
    requests: [],
    fetch: async (input, init) => {
      const request = new Request(input, init)
      const path = new URL(request.url).pathname
      server.requests.push(path)
      if (server.down) throw new TypeError('fetch failed')
      if (path.endsWith('/push') && server.refusesItem) {
        const refused = refusal(await request.clone().json(), server.refusesItem)
        if (refused) return Response.json({ error: refused }, { status: 400 })
      }
      const response = await server.handler(request)
      if (path.endsWith('/push') && server.loseResponses > 0) {
        server.loseResponses -= 1
        await response.text()
        throw new TypeError('network connection lost')
      }
      return response
    },
  }
  return server
}

/** The handler's `invalid_item` error for the first refused item of a push body, if any. */
function refusal(body: { ops: Array<{ opId: string; items?: unknown[] }> }, refuses: (item: unknown) => boolean) {
  for (const [opIndex, op] of body.ops.entries()) {
    const index = op.items?.findIndex(refuses) ?? -1
    if (index >= 0) {
      const message = `ops[${opIndex}]: Cannot store item ${index}: this server refuses it. Nothing of this push was stored.`
      return { code: 'invalid_item', message, opIndex, opId: op.opId, index, path: '' }
    }
  }
  return undefined
}

/** Client options of a device of `user` on `server`. */
export function deviceOptions(server: TestServer, user: string) {
  return { url: server.url, headers: { authorization: `Bearer ${user}` }, fetch: server.fetch }
}
