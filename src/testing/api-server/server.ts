// A local HTTP server speaking the model APIs' wire format, for tests. Node only.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JsonObject, JsonValue } from '../../items/types.js'
import { asReply, IdMaker, isDisconnect, isHttpError, type ScriptedHttpError, type ScriptedTurn } from '../script.js'
import { chatWire, responsesWire, type SseEvent, type WireReply } from './wire.js'
import { compactWire, storeResponse, type StoredResponses } from './compact.js'
import { ConversationStore, conversationsRoute } from './conversations.js'
import type { WireResult } from './wire-items.js'

/** A request the server received on a script's model endpoints. */
export interface RecordedRequest {
  method: string
  /** Path after the script prefix, e.g. `/v1/responses`. */
  path: string
  /** Request headers, lower-case names. */
  headers: Record<string, string>
  /** The parsed JSON body, or `null`. */
  body: JsonValue
}

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** Port to listen on. @default 0 (any free port) */
  port?: number
}

/** A running test server. */
export interface ApiServer {
  /** `http://127.0.0.1:<port>`; scripts live under it. */
  readonly url: string
  /** Stops the server and drops open connections. */
  close(): Promise<void>
}

interface Script {
  turns: ScriptedTurn[]
  requests: RecordedRequest[]
  ids: IdMaker
  /** Responses stored for `previous_response_id` (those not sent with `store: false`). */
  responses: StoredResponses
  conversations: ConversationStore
  /** Scripted failures of the next calls to a route (`responses.compact`, `conversations.*`). */
  faults: Map<string, ScriptedHttpError[]>
}

/**
 * Starts the model API test server on 127.0.0.1. Tests create a script per test (so tests
 * running in parallel never share one) through its control endpoints, then point the
 * `openai` client at the script's `baseURL`:
 *
 * - `POST /__scripts` `{ turns }` → `{ id, baseURL }`; `POST /__scripts/:id/turns` appends;
 *   `GET /__scripts/:id/requests` lists what was received; `DELETE /__scripts/:id`.
 * - `POST /s/:id/v1/responses` and `/s/:id/v1/chat/completions`: JSON, or SSE when the body
 *   has `stream: true`. Each request takes the next turn.
 * - `POST /s/:id/v1/responses/compact` and the `/s/:id/v1/conversations` endpoints (see
 *   `compact.ts`, `conversations.ts`): answered from the script's state, not from turns.
 *   `POST /__scripts/:id/faults` `{ route, errors }` makes the next calls of a route
 *   (`'responses.compact'`, `'conversations.items.create'` …) fail with those HTTP errors.
 *
 * Every response carries CORS headers, so tests in a real browser reach it the way an
 * app reaches its proxy. Use `createServerScript()` (browser-safe) to drive it.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const scripts = new Map<string, Script>()
  let url = ''
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `test server failure: ${String(error)}` } })
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    cors(req, res)
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (req.method === 'OPTIONS') return void res.writeHead(204).end()
    const body = await readJson(req)
    const parts = path.split('/').filter(Boolean)
    if (parts[0] === '__scripts') {
      if (parts.length === 1 && req.method === 'POST') {
        const id = randomUUID().slice(0, 8)
        const ids = new IdMaker(id)
        scripts.set(id, { turns: turnsOf(body), requests: [], ids, responses: new Map(), conversations: new ConversationStore(ids), faults: new Map() })
        return sendJson(res, 201, { id, baseURL: `${url}/s/${id}/v1` })
      }
      const script = scripts.get(parts[1] ?? '')
      if (!script) return sendJson(res, 404, { error: { message: `no script ${parts[1]}` } })
      if (parts[2] === 'turns' && req.method === 'POST') {
        script.turns.push(...turnsOf(body))
        return sendJson(res, 200, { remaining: script.turns.length })
      }
      if (parts[2] === 'requests' && req.method === 'GET') return sendJson(res, 200, script.requests as unknown as JsonValue)
      if (parts[2] === 'faults' && req.method === 'POST') {
        const { route, errors } = (body ?? {}) as { route?: string; errors?: ScriptedHttpError[] }
        if (typeof route !== 'string' || !Array.isArray(errors)) return sendJson(res, 400, { error: { message: 'faults needs { route, errors }' } })
        script.faults.set(route, [...(script.faults.get(route) ?? []), ...errors])
        return sendJson(res, 200, { queued: script.faults.get(route)!.length })
      }
      if (parts.length === 2 && req.method === 'DELETE') {
        scripts.delete(parts[1] ?? '')
        return void res.writeHead(204).end()
      }
    }
    if (parts[0] === 's') {
      const script = scripts.get(parts[1] ?? '')
      const endpoint = '/' + parts.slice(2).join('/')
      if (script && req.method === 'POST' && (endpoint === '/v1/responses' || endpoint === '/v1/chat/completions')) {
        return serveModel(script, endpoint, req, res, body)
      }
      if (script && parts[2] === 'v1') {
        const query = new URL(req.url ?? '/', 'http://localhost').searchParams
        const served = serveState(script, req.method ?? 'GET', parts.slice(3), query, body)
        if (served) {
          script.requests.push({ method: req.method ?? 'GET', path: endpoint + (query.size > 0 ? `?${query}` : ''), headers: headersOf(req), body })
          res.setHeader('x-request-id', `req_${script.ids.tag}_${script.requests.length - 1}`)
          res.setHeader('retry-after-ms', '1') // the client's retries of a scripted 5xx stay instant
          return sendJson(res, served.status, served.json)
        }
      }
    }
    sendJson(res, 404, { error: { message: `test server: no route for ${req.method} ${path}`, type: 'invalid_request_error' } })
  }

  /** Compact and Conversations requests: answered from the script's state, or a scripted fault. */
  function serveState(script: Script, method: string, parts: string[], query: URLSearchParams, body: JsonValue): WireResult | undefined {
    const route =
      method === 'POST' && parts.join('/') === 'responses/compact'
        ? 'responses.compact'
        : parts[0] === 'conversations'
          ? conversationsRoute(method, parts.slice(1))
          : undefined
    if (route === undefined) return undefined
    const fault = script.faults.get(route)?.shift()
    if (fault) {
      const type = fault.status >= 500 ? 'server_error' : 'invalid_request_error'
      return { status: fault.status, json: { error: { message: fault.message ?? `Scripted error ${fault.status}`, type, code: null, param: null } } }
    }
    const json = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as JsonObject
    if (route === 'responses.compact') return compactWire(json, script.responses, script.ids)
    return script.conversations.handle(route, parts.slice(1), query, json)
  }

  async function serveModel(script: Script, endpoint: string, req: IncomingMessage, res: ServerResponse, body: JsonValue) {
    const index = script.requests.length
    script.requests.push({ method: req.method ?? 'POST', path: endpoint, headers: headersOf(req), body })
    const requestId = `req_${script.ids.tag}_${index}`
    res.setHeader('x-request-id', requestId)
    const turn = script.turns.shift()
    if (turn === undefined) {
      const message = `idb-agents test server: script ${script.ids.tag} has no turn left for request #${index}`
      return sendJson(res, 400, { error: { message, type: 'invalid_request_error', code: 'script_exhausted', param: null } })
    }
    if (isDisconnect(turn)) return void req.socket.destroy()
    if (isHttpError(turn)) return sendError(res, turn)
    const reply = asReply(turn)
    const json = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as JsonObject
    const wire: WireReply = (endpoint === '/v1/responses' ? responsesWire : chatWire)(reply, json, script.ids)
    if (endpoint === '/v1/responses') storeResponse(script.responses, json, wire.json)
    if (json.stream !== true) return sendJson(res, 200, wire.json)
    await sendStream(res, wire.events, reply.stream?.stallAfter, reply.stream?.chunkDelayMs ?? 0)
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

function turnsOf(body: JsonValue): ScriptedTurn[] {
  const turns = typeof body === 'object' && body !== null && !Array.isArray(body) ? body.turns : undefined
  return Array.isArray(turns) ? (turns as unknown as ScriptedTurn[]) : []
}

function cors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', '*')
  res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS')
  res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*')
  res.setHeader('access-control-expose-headers', 'x-request-id, retry-after, retry-after-ms')
  res.setHeader('access-control-max-age', '600')
  if (req.headers['access-control-request-private-network']) res.setHeader('access-control-allow-private-network', 'true')
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

async function readJson(req: IncomingMessage): Promise<JsonValue> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return null
  try {
    return JSON.parse(text) as JsonValue
  } catch {
    return text
  }
}

function sendJson(res: ServerResponse, status: number, body: JsonValue): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function sendError(res: ServerResponse, turn: ScriptedHttpError): void {
  // `retry-after-ms: 1` keeps the openai client's retries of scripted errors instant.
  for (const [name, value] of Object.entries({ 'retry-after-ms': '1', ...turn.headers })) res.setHeader(name, value)
  const message = turn.message ?? `Scripted error ${turn.status}`
  const type = turn.status >= 500 ? 'server_error' : 'invalid_request_error'
  sendJson(res, turn.status, { error: { message, type, code: null, param: null } })
}

async function sendStream(
  res: ServerResponse,
  events: SseEvent[],
  stallAfter: number | undefined,
  delayMs: number,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  let stallAt = -1
  if (stallAfter !== undefined) {
    let deltas = 0
    stallAt = events.findIndex((e) => e.delta === true && deltas++ === stallAfter)
    if (stallAt === -1) stallAt = events.length - 1
  }
  const closed = new Promise<void>((resolve) => res.on('close', resolve))
  for (const [i, event] of events.entries()) {
    if (i === stallAt) return closed
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    if (res.destroyed) return
    const data = event.data === '[DONE]' ? '[DONE]' : JSON.stringify(event.data)
    res.write(`${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`)
  }
  res.end()
}
