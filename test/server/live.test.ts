// Live delivery over real HTTP (Node's server through toNodeListener): Server-Sent Events
// to every device of a user, heartbeats, resume by Last-Event-ID, long-poll, and wake-ups
// across server processes sharing one PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSyncHandler, insecureDevAuthorize, PostgresStore, serveNode, type NodeServer } from '../../src/server/index.js'
import { device, op, user } from './support/client.js'
import { describeEngines, postgresUrl, uniqueUser } from './support/engines.js'

interface SseEvent {
  event: string
  id?: string
  data: string
}

/** Opens `/v1/live` and reads its events (comments as `event: 'comment'`). */
async function openLive(url: string, name: string, headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const response = await fetch(`${url}/v1/live?after=0`, { headers: { authorization: `Bearer ${name}`, ...headers }, signal: abort.signal })
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const queue: SseEvent[] = []
  async function next(): Promise<SseEvent> {
    for (;;) {
      const shifted = queue.shift()
      if (shifted) return shifted
      const { done, value } = await reader.read()
      if (done) throw new Error('stream ended')
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: SseEvent = { event: 'message', data: '' }
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) queue.push({ event: 'comment', data: line.slice(1).trim() })
          else if (line.startsWith('event: ')) event.event = line.slice(7)
          else if (line.startsWith('id: ')) event.id = line.slice(4)
          else if (line.startsWith('data: ')) event.data += line.slice(6)
        }
        if (event.data !== '') queue.push(event)
      }
    }
  }
  /** The next `changes` event, skipping comments. */
  async function changes(): Promise<{ id: string; page: { changes: Array<{ cursor: number; sessionId: string; kind: string }>; cursor: number } }> {
    for (;;) {
      const event = await next()
      if (event.event === 'changes') return { id: event.id!, page: JSON.parse(event.data) }
    }
  }
  return { next, changes, close: () => abort.abort() }
}

describeEngines('live feed', (engine) => {
  let server: NodeServer
  beforeAll(async () => {
    const handler = createSyncHandler({ store: engine.store(), authorize: insecureDevAuthorize, heartbeatMs: 200 })
    server = await serveNode(handler)
  })
  afterAll(() => server.close())
  const http = (name: string) => {
    const call = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${name}`, 'content-type': 'application/json', ...init.headers } })
      return { status: response.status, body: await response.json() }
    }
    return { call, push: (...ops: unknown[]) => call('/v1/push', { method: 'POST', body: JSON.stringify({ ops }) }) }
  }

  it('streams each new change to every device of the user, and nothing of other users', async () => {
    const alice = uniqueUser('alice')
    const bob = uniqueUser('bob')
    const phone = await openLive(server.url, alice)
    const laptop = await openLive(server.url, alice)
    const bobsPhone = await openLive(server.url, bob)
    try {
      expect((await http(alice).push(op.append('chat', [user('hello from the tablet')]))).status).toBe(200)
      for (const stream of [phone, laptop]) {
        const { id, page } = await stream.changes()
        expect(id).toBe('1')
        expect(page.changes).toMatchObject([{ cursor: 1, sessionId: 'chat', kind: 'append', items: [{ seq: 0, item: user('hello from the tablet') }] }])
      }
      await http(bob).push(op.append('bobs', [user('mine')]))
      const { page } = await bobsPhone.changes()
      expect(page.changes.map((change) => change.sessionId)).toEqual(['bobs'])
    } finally {
      for (const stream of [phone, laptop, bobsPhone]) stream.close()
    }
  })

  it('sends heartbeats while quiet and resumes after Last-Event-ID', async () => {
    const name = uniqueUser()
    await http(name).push(op.append('a', [user('1')]), op.append('a', [user('2')]))
    const resumed = await openLive(server.url, name, { 'last-event-id': '1' })
    try {
      const { page } = await resumed.changes()
      expect(page.changes.map((change) => change.cursor)).toEqual([2])
      let event = await resumed.next()
      while (event.event === 'comment' && event.data === 'connected') event = await resumed.next()
      expect(event).toEqual({ event: 'comment', data: 'heartbeat' })
    } finally {
      resumed.close()
    }
  })

  it('answers a long-poll as soon as a change is committed, and an idle one with an empty page', async () => {
    const name = uniqueUser()
    const me = http(name)
    const idle = await me.call('/v1/changes?after=0&waitMs=50')
    expect(idle.body).toEqual({ changes: [], cursor: 0, hasMore: false })
    const waiting = me.call('/v1/changes?after=0&waitMs=30000')
    await new Promise((resolve) => setTimeout(resolve, 50)) // usually waiting by now; either order must deliver
    await me.push(op.append('p', [user('wake up')]))
    const woken = await waiting
    expect(woken.body.changes).toMatchObject([{ kind: 'append', sessionId: 'p' }])
    expect((await me.call('/v1/changes?after=0&waitMs=30001')).status).toBe(400)
  })

  it('serves the rest of the protocol through the Node adapter, body size limit included', async () => {
    const name = uniqueUser()
    const me = http(name)
    expect((await me.push(op.append('n', [user('via node')]))).body.results[0]).toMatchObject({ firstSeq: 0 })
    expect((await me.call('/v1/sessions/n/items')).body.items).toMatchObject([{ item: user('via node') }])
    const big = await me.push(op.append('n', [user('x'.repeat(2 * 1024 * 1024))]))
    expect(big.status).toBe(413)
    expect((await me.call('/v1/sessions/n/items')).body.length).toBe(1)
  })
})

describe.skipIf(postgresUrl() === '')('live feed across two server processes on one PostgreSQL', () => {
  it('wakes a live reader of one store for a change committed through another', async () => {
    const writer = new PostgresStore(postgresUrl())
    const reader = new PostgresStore(postgresUrl())
    const server = await serveNode(createSyncHandler({ store: reader, authorize: insecureDevAuthorize, heartbeatMs: 60_000 }))
    const name = uniqueUser()
    try {
      await Promise.all([writer.ready(), reader.ready()])
      const stream = await openLive(server.url, name)
      await device(createSyncHandler({ store: writer, authorize: insecureDevAuthorize }), name).push(op.append('x', [user('from the other process')]))
      const { page } = await stream.changes()
      expect(page.changes).toMatchObject([{ sessionId: 'x', kind: 'append' }])
      stream.close()
    } finally {
      await server.close()
      await Promise.all([writer.close(), reader.close()])
    }
  })
})
