// The sync server on PostgreSQL (issue 14): push of 10,000 items through the handler vs a
// raw `pg` multi-row INSERT of the same rows in one transaction (goal ≥ 0.7× its
// throughput), pull of a 10,000-item session (snapshot and change feed) vs a raw SELECT of
// its rows, and device-to-device latency over loopback HTTP (push on one device to the SSE
// event on another; goal < 100 ms median). Prints figures; asserts nothing about time.
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { expect, inject, it } from 'vitest'
import type { AgentItem } from '../src/index.js'
import { createSyncHandler, insecureDevAuthorize, PostgresStore, serveNode } from '../src/server/index.js'
import { compareMs, medianMs, report } from './support/measure.js'

const COUNT = 10_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31)
const filler = 'x'.repeat(200)
const items: AgentItem[] = Array.from({ length: COUNT }, (_, i) =>
  i % 2 === 0
    ? { role: 'user', content: `question ${i} ${filler}` }
    : { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${i} ${filler}` }] },
)
const url = inject('postgresUrl')

it.skipIf(url === '')(`sync server on PostgreSQL: push and pull of ${COUNT} items, device-to-device latency`, async () => {
  const store = new PostgresStore(url)
  await store.ready()
  const handler = createSyncHandler({ store, authorize: insecureDevAuthorize, maxBodyBytes: 64 * 1024 * 1024, page: { maxItems: COUNT } })
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_raw_items (LIKE idb_agents_items INCLUDING ALL)`)
  const userId = `bench-${randomUUID().slice(0, 8)}`
  const headers = { authorization: `Bearer ${userId}`, 'content-type': 'application/json' }

  // Ours: one push request, as a device sends it, into a new session each time. The body
  // is the device's work: made from the items serialized once, untimed.
  const itemsJson = JSON.stringify(items)
  const pushThroughHandler = async () => {
    const body = `{"ops":[{"opId":"${randomUUID()}","sessionId":"${randomUUID()}","kind":"append","items":${itemsJson}}]}`
    const response = await handler(new Request('http://bench/v1/push', { method: 'POST', headers, body }))
    if (response.status !== 200) throw new Error(`push failed: ${response.status} ${await response.text()}`)
    await response.arrayBuffer()
  }
  // Anchor: the same rows, JSON already serialized, one multi-row INSERT in one transaction.
  const texts = items.map((item) => JSON.stringify(item))
  const placeholders = texts.map((_, i) => `($1, $2, $${3 + i * 4}, $${4 + i * 4}, $${5 + i * 4}, $${6 + i * 4}::json)`).join(', ')
  const rawInsert = async () => {
    const sessionId = randomUUID()
    const now = Date.now()
    let turn = 0
    const params: unknown[] = [userId, sessionId]
    texts.forEach((text, i) => params.push(i, now, i % 2 === 0 ? ++turn : null, text))
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`INSERT INTO bench_raw_items (user_id, session_id, seq, created_at, turn, item) VALUES ${placeholders}`, params)
      await client.query('COMMIT')
    } finally {
      client.release()
    }
  }
  const [push = NaN, raw = NaN] = await compareMs([pushThroughHandler, rawInsert], ROUNDS, 1)

  // Pull: one 10k-item session, read whole.
  const pulled = randomUUID()
  const seed = await handler(new Request('http://bench/v1/push', { method: 'POST', headers, body: JSON.stringify({ ops: [{ opId: randomUUID(), sessionId: pulled, kind: 'append', items }] }) }))
  expect(seed.status).toBe(200)
  const get = async (path: string, expected: number) => {
    const response = await handler(new Request(`http://bench${path}`, { headers }))
    const body = (await response.json()) as { items?: unknown[]; changes?: unknown[] }
    if ((body.items ?? body.changes)!.length !== expected) throw new Error(`unexpected pull of ${path}`)
  }
  const snapshot = () => get(`/v1/sessions/${pulled}/snapshot`, COUNT)
  const rawSelect = async () => {
    const { rows } = await pool.query(`SELECT seq, created_at, item FROM idb_agents_items WHERE user_id = $1 AND session_id = $2 ORDER BY seq`, [userId, pulled])
    if (rows.length !== COUNT) throw new Error('unexpected raw pull')
  }
  // The feed from the seed's change: one change carrying all 10k items.
  const seedCursor = (await store.cursor(userId)) - 1
  const feed = () => get(`/v1/changes?after=${seedCursor}&limit=1`, 1)
  const [pullSnapshot = NaN, pullFeed = NaN, pullRaw = NaN] = await compareMs([snapshot, feed, rawSelect], ROUNDS, 1)
  const window = () => get(`/v1/sessions/${pulled}/items?limit=50`, 50)
  const pullWindow = await medianMs(window, ROUNDS, 10)

  // Device to device: push on one device, the SSE event on another, over loopback HTTP.
  const server = await serveNode(handler)
  const live = await fetch(`${server.url}/v1/live?after=${await store.cursor(userId)}`, { headers })
  const reader = live.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const nextChange = async () => {
    for (;;) {
      const at = buffer.indexOf('event: changes')
      const end = at >= 0 ? buffer.indexOf('\n\n', at) : -1
      if (end >= 0) {
        buffer = buffer.slice(end + 2)
        return
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('live stream ended')
      buffer += value
    }
  }
  const turn = [items[0]!, items[1]!]
  const deviceToDevice = async () => {
    const arrived = nextChange()
    const response = await fetch(`${server.url}/v1/push`, { method: 'POST', headers, body: JSON.stringify({ ops: [{ opId: randomUUID(), sessionId: 'latency', kind: 'append', items: turn }] }) })
    await response.arrayBuffer()
    await arrived
  }
  const latency = await medianMs(deviceToDevice, ROUNDS * 4, 1)
  await reader.cancel()
  await server.close()

  report(`Sync server on PostgreSQL (${COUNT} items of ~250 bytes, median of ${ROUNDS} interleaved rounds; ratio = ours ÷ anchor time)`, [
    { name: 'push 10k items via handler (1 op)', ours: push, anchor: raw, anchorName: 'raw INSERT', goal: '≤ 1.43× time, i.e. ≥ 0.7× throughput' },
    { name: 'pull 10k-item session: snapshot', ours: pullSnapshot, anchor: pullRaw, anchorName: 'raw SELECT', goal: 'report' },
    { name: 'pull 10k-item session: change feed page', ours: pullFeed, anchor: pullRaw, anchorName: 'raw SELECT', goal: 'report' },
    { name: 'getItems window (limit 50) of the 10k session', ours: pullWindow, anchor: pullRaw, anchorName: 'raw SELECT', goal: 'O(limit)' },
  ])
  console.log(`  push throughput: ours ${Math.round(COUNT / push)} items/ms vs raw ${Math.round(COUNT / raw)} items/ms = ${(raw / push).toFixed(2)}× (goal ≥ 0.7×)`)
  console.log(`  device-to-device latency (push → SSE on loopback): median ${latency.toFixed(2)} ms over ${ROUNDS * 4} (goal < 100 ms)\n`)

  await pool.query(`DROP TABLE bench_raw_items`)
  await pool.end()
  await store.close()
}, 600_000)
