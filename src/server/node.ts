import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { SyncHandler } from './handler.js'

// Node's http server (and Express, which hands on the same req/res) in front of a Fetch
// handler: the request body streams in, the response body streams out with backpressure,
// and a client that goes away aborts `request.signal` and cancels the response body.

/** A Node `(req, res)` listener, usable with `http.createServer` and as Express middleware. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Adapts a Fetch handler to Node's `http` server or Express. Under Express, mount it with
 * `app.use('/sync', toNodeListener(handler))`: Express strips `/sync` from `req.url`, so
 * the handler's `basePath` stays `''`.
 */
export function toNodeListener(handler: SyncHandler): NodeListener {
  return (req, res) => {
    void serve(handler, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end()
    })
  }
}

async function serve(handler: SyncHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const aborted = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort()
  })
  const host = req.headers.host ?? 'localhost'
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const one of value) headers.append(name, one)
    else if (value !== undefined) headers.set(name, value)
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  const request = new Request(new URL(req.url ?? '/', `http://${host}`), {
    method: req.method ?? 'GET',
    headers,
    signal: aborted.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
  const response = await handler(request)
  res.writeHead(response.status, Object.fromEntries(response.headers))
  if (!response.body) {
    res.end()
    return
  }
  res.flushHeaders()
  const reader = response.body.getReader()
  aborted.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) await Promise.race([once(res, 'drain'), once(res, 'close')])
      if (aborted.signal.aborted) return
    }
  } finally {
    res.end()
  }
}

/** A running Node server: its base URL and how to stop it. */
export interface NodeServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

/**
 * Serves `handler` on Node's http server.
 * @param options.port - @default 0 (a free port)
 * @param options.host - @default '127.0.0.1'
 */
export async function serveNode(handler: SyncHandler, options: { port?: number; host?: string } = {}): Promise<NodeServer> {
  const server = createServer(toNodeListener(handler))
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  await once(server, 'listening')
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
