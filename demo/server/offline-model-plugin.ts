// Serves the offline demo model at /api/demo-model/v1/responses in the Responses wire
// format (JSON, or SSE when `stream: true`), so the app reaches it exactly as it reaches
// the real API: through the openai client and a baseURL.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Plugin } from 'vite'
import type { JsonObject } from '../../src/items/types.js'
import { IdMaker } from '../../src/testing/script.js'
import { responsesWire } from '../../src/testing/api-server/wire.js'
import { think } from '../src/offline-model/brain.js'

export const DEMO_MODEL_PATH = '/api/demo-model/v1'
const WORD_DELAY_MS = 12

export function offlineModelPlugin(): Plugin {
  const ids = new IdMaker('demo')
  const handler = async (req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> => {
    if (req.url?.split('?')[0] !== `${DEMO_MODEL_PATH}/responses`) return next()
    if (req.method !== 'POST') return void res.writeHead(405).end()
    const body = JSON.parse((await readBody(req)) || '{}') as JsonObject
    const input = Array.isArray(body.input) ? body.input : typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : []
    const tools = Array.isArray(body.tools) ? body.tools.map((t) => String((t as JsonObject | null)?.name ?? '')) : []
    const wire = responsesWire(think({ input, tools }), body, ids)
    if (body.stream !== true) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(wire.json))
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    for (const event of wire.events) {
      if (res.destroyed) return
      if (event.delta) await new Promise((resolve) => setTimeout(resolve, WORD_DELAY_MS))
      res.write(`event: ${event.event ?? 'message'}\ndata: ${JSON.stringify(event.data)}\n\n`)
    }
    res.end()
  }
  return {
    name: 'idb-agents-demo:offline-model',
    configureServer(server) {
      server.middlewares.use((req, res, next) => void handler(req, res, next).catch(next))
    },
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
