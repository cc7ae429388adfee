// The dev proxy: forwards /api/openai/* to the OpenAI API and adds the key on the server
// side, so the browser never sees it. The reference for "through your own proxy": a real
// app does the same in its backend, after checking the user's own session.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { Plugin } from 'vite'
import { readBody } from './offline-model-plugin.js'

export const PROXY_PATH = '/api/openai'
export const CONFIG_PATH = '/api/demo-config.json'

export interface ProxyOptions {
  /** The key added to every forwarded request; without one the proxy answers 503. */
  apiKey: string | undefined
  /** Where requests go. @default 'https://api.openai.com/v1' */
  upstream?: string | undefined
}

// Only what the API needs goes upstream: no cookies, no origin, no browser-sent auth.
const FORWARDED_HEADERS = ['content-type', 'accept', 'openai-beta', 'x-stainless-retry-count']

export function openaiProxyPlugin(options: ProxyOptions): Plugin {
  const upstream = (options.upstream ?? 'https://api.openai.com/v1').replace(/\/$/, '')
  // `model`: whether this server also serves the offline model (the dev server does; the
  // preview server of the production build does not, and the page runs it itself).
  const handler = async (req: IncomingMessage, res: ServerResponse, next: () => void, model: boolean): Promise<void> => {
    const path = req.url ?? '/'
    if (path.split('?')[0] === CONFIG_PATH) {
      // The dev server also serves the sync server (sync-plugin.ts); the preview server does not.
      const config = { proxy: Boolean(options.apiKey), model, sync: model }
      return void res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(config))
    }
    if (!path.startsWith(`${PROXY_PATH}/`)) return next()
    if (!options.apiKey) {
      const message = 'The dev proxy has no OPENAI_API_KEY. Start `npm run demo` with OPENAI_API_KEY set, or pick another connection.'
      return void res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'proxy_error' } }))
    }
    const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}` }
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req)
    const target = upstream + path.slice(PROXY_PATH.length).replace(/^\/v1(?=\/|$)/, '')
    let response: Response
    try {
      response = await fetch(target, { method: req.method ?? 'GET', headers, ...(body !== undefined && { body }) })
    } catch (error) {
      // No network on the server's side: say so in the API's error shape, as a gateway would.
      const message = `The dev proxy could not reach ${upstream}: ${error instanceof Error ? error.message : String(error)}.`
      return void res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'proxy_error' } }))
    }
    const out: Record<string, string> = {}
    for (const name of ['content-type', 'x-request-id', 'retry-after', 'retry-after-ms', 'openai-processing-ms']) {
      const value = response.headers.get(name)
      if (value !== null) out[name] = value
    }
    res.writeHead(response.status, out)
    if (!response.body) return void res.end()
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(res)
  }
  type Server = { middlewares: { use: (fn: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void) => void } }
  // Returns nothing: a function returned from configureServer would run as a post hook.
  const use = (server: Server, model: boolean): void => {
    server.middlewares.use((req, res, next) => void handler(req, res, next, model).catch(next))
  }
  return {
    name: 'idb-agents-demo:openai-proxy',
    configureServer: (server) => use(server, true),
    configurePreviewServer: (server) => use(server, false),
  }
}
