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

/** Client options of a device of `user` on `server`. */
export function deviceOptions(server: TestServer, user: string) {
  return { url: server.url, headers: { authorization: `Bearer ${user}` }, fetch: server.fetch }
}
