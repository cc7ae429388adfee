// OpenAIConversationsSession through the `openai` client against the local API server, in
// Node and in real browsers.
import { describe, expect, it } from 'vitest'
import type { AgentItem, JsonObject } from '../../src/items/types.js'
import { Agent } from '../../src/runner/agent.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { Runner } from '../../src/runner/runner.js'
import { ConversationError, OpenAIConversationsSession } from '../../src/openai/conversations-session.js'
import type { Session } from '../../src/session/session.js'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'
import { assistantTexts } from '../runner/helpers.js'

export interface ConversationsSuiteOptions {
  serverUrl: string
  /** A fresh, empty session to mirror into. */
  freshMirror: () => Session
}

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const textOf = (item: AgentItem) =>
  typeof item.content === 'string' ? item.content : (item.content as Array<{ text?: string }>).map((p) => p.text ?? '').join('')

/** A `fetch` that holds the first request matching `path` and `method` until `release()`. */
function gateOn(path: RegExp, method: string) {
  let release!: () => void
  let arrived!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const reached = new Promise<void>((resolve) => (arrived = resolve))
  let held = false
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    if (!held && (init?.method ?? 'GET') === method && path.test(url.pathname)) {
      held = true
      arrived()
      await gate
    }
    return fetch(input, init)
  }
  return { fetch: fetchFn, reached, release }
}

export function describeConversations(name: string, options: ConversationsSuiteOptions): void {
  const { serverUrl, freshMirror } = options
  const setup = async (turns: string[] = [], fetchFn?: typeof fetch) => {
    const script = await createServerScript(serverUrl, turns)
    const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0, ...(fetchFn && { fetch: fetchFn }) })
    return { script, client }
  }
  const calls = async (script: ServerScript, method: string, path: RegExp) =>
    (await script.requests()).filter((r) => r.method === method && path.test(r.path))

  describe(`${name}: OpenAIConversationsSession`, () => {
    it('round-trips a conversation with the runner: the second request carries the first exchange', async () => {
      const { script, client } = await setup(['Got it! Blue.', 'Your favorite color is blue!'])
      const session = new OpenAIConversationsSession({ client })
      const runner = new Runner({ client })
      const agent = new Agent({ name: 'Memory Bot' })
      await runner.run(agent, 'My favorite color is blue.', { session })
      const result = await runner.run(agent, "What's my favorite color?", { session })
      expect(result.finalOutput).toBe('Your favorite color is blue!')
      const input = (await calls(script, 'POST', /^\/v1\/responses$/))[1]!.body as JsonObject
      expect((input.input as AgentItem[]).map(textOf)).toEqual(['My favorite color is blue.', 'Got it! Blue.', "What's my favorite color?"])
      const items = await session.getItems()
      expect(items.map((i) => [i.role, textOf(i)])).toEqual([
        ['user', 'My favorite color is blue.'],
        ['assistant', 'Got it! Blue.'],
        ['user', "What's my favorite color?"],
        ['assistant', 'Your favorite color is blue!'],
      ])
      expect(session.sessionId).toMatch(/^conv_/)
      expect(await session.getSessionId()).toBe(session.sessionId)
      // A second object on the same conversation id sees the same history.
      expect(await new OpenAIConversationsSession({ client, conversationId: session.sessionId }).getItems()).toEqual(items)
    })

    // js packages/agents-openai/src/memory/openaiConversationsSession.ts prepareHistoryItemForModelInput;
    // python run_internal/session_persistence.py: assistant replay metadata is not sent back.
    it("sends stored assistant messages back without the conversation's msg_ ids, which getItems keeps", async () => {
      const { script, client } = await setup(['Got it! Blue.', 'Blue.', 'Still blue.'])
      const session = new OpenAIConversationsSession({ client })
      const runner = new Runner({ client })
      const agent = new Agent({ name: 'Memory Bot' })
      await runner.run(agent, 'My favorite color is blue.', { session })
      const stored = await session.getItems()
      expect(stored.map((item) => typeof item.id)).toEqual(['string', 'string'])
      await runner.run(agent, "What's my favorite color?", { session })
      // Through a sessionInputCallback too: the history it returns is prepared the same way.
      await runner.run(agent, 'And now?', { session, sessionInputCallback: (history, input) => [...history, ...input] })
      const requests = (await calls(script, 'POST', /^\/v1\/responses$/)).map((r) => (r.body as JsonObject).input as AgentItem[])
      for (const input of requests.slice(1)) {
        const assistants = input.filter((item) => item.role === 'assistant')
        expect(assistants.length).toBeGreaterThan(0)
        for (const item of assistants) expect(item).not.toHaveProperty('id')
      }
      expect(requests[2]!.map(textOf)).toEqual(['My favorite color is blue.', 'Got it! Blue.', "What's my favorite color?", 'Blue.', 'And now?'])
      expect((await session.getItems()).slice(0, 2)).toEqual(stored)
    })

    it('keeps the limit local and pages through long conversations (js #1791)', async () => {
      const { script, client } = await setup()
      const session = new OpenAIConversationsSession({ client })
      await session.addItems(Array.from({ length: 250 }, (_, i) => user(`m${i}`)))
      expect(await calls(script, 'POST', /\/items$/)).toHaveLength(13) // at most 20 per call
      const before = (await script.requests()).length
      const three = await session.getItems(3)
      expect(three.map(textOf)).toEqual(['m247', 'm248', 'm249'])
      const newest = await session.getItems(250)
      expect(newest.map(textOf)).toEqual(Array.from({ length: 250 }, (_, i) => `m${i}`))
      const all = await session.getItems()
      expect(all.map(textOf)).toEqual(Array.from({ length: 250 }, (_, i) => `m${i}`))
      const lists = (await script.requests()).slice(before).map((r) => new URLSearchParams(r.path.split('?')[1]))
      expect(lists.map((q) => [q.get('order'), q.get('limit'), q.has('after')])).toEqual([
        ['desc', '3', false],
        ['desc', '100', false],
        ['desc', '100', true],
        ['desc', '50', true],
        ['asc', '100', false],
        ['asc', '100', true],
        ['asc', '100', true],
      ])
      expect(await session.getItems(0)).toEqual([])
    })

    it('pops the newest item, never the same one twice under concurrent pops', async () => {
      const { client } = await setup()
      const session = new OpenAIConversationsSession({ client })
      await session.addItems([user('a'), user('b'), user('c')])
      const popped = await Promise.all([session.popItem(), session.popItem()])
      expect(popped.map((i) => textOf(i!))).toEqual(['c', 'b'])
      expect((await session.getItems()).map(textOf)).toEqual(['a'])
      await session.popItem()
      expect(await session.popItem()).toBeUndefined()
    })

    it('pops each item once across two objects: when another removed the newest first, it pops the next', async () => {
      const { client } = await setup()
      const writer = new OpenAIConversationsSession({ client })
      await writer.addItems([user('a'), user('b')])
      const gate = gateOn(/\/v1\/conversations\/[^/]+\/items\/[^/]+$/, 'DELETE')
      const slow = new OpenAIConversationsSession({ client: createOpenAIClient({ baseURL: client.baseURL, maxRetries: 0, fetch: gate.fetch }), conversationId: writer.sessionId })
      const slowPop = slow.popItem() // reads 'b' as the newest, then its delete waits
      await gate.reached
      expect(textOf((await writer.popItem())!)).toBe('b')
      gate.release() // its delete of 'b' is now a 404
      expect(textOf((await slowPop)!)).toBe('a')
      expect(await writer.getItems()).toEqual([])
    })

    it('clears by deleting the conversation; the next use creates a new one', async () => {
      const { script, client } = await setup()
      const session = new OpenAIConversationsSession({ client })
      await session.addItems([user('a')])
      const first = session.sessionId
      await session.clearSession()
      expect(await calls(script, 'DELETE', new RegExp(`/v1/conversations/${first}$`))).toHaveLength(1)
      expect(session.sessionId).toBe('')
      expect(await session.getItems()).toEqual([])
      expect(session.sessionId).not.toBe(first)
      await expect(client.conversations.items.list(first)).rejects.toThrow(/not found/)
    })

    it('reads behind a clear in flight: getSessionId gives the new id, getItems the empty conversation, never a 404', async () => {
      const gate = gateOn(/\/v1\/conversations\/[^/]+$/, 'DELETE')
      const { client } = await setup([], gate.fetch)
      const session = new OpenAIConversationsSession({ client })
      await session.addItems([user('before the clear')])
      const old = session.sessionId
      const clearing = session.clearSession()
      await gate.reached
      const id = session.getSessionId()
      const items = session.getItems()
      gate.release()
      await clearing
      expect(await id).not.toBe(old)
      expect(await items).toEqual([])
      expect(session.sessionId).toBe(await id)
    })

    // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'waits for an in-flight lazy %s operation before clearing'
    it('clears behind a read in flight: the read finishes on the old conversation, then it is deleted', async () => {
      const events: string[] = []
      let releaseRead!: () => void
      const readGate = new Promise<void>((resolve) => (releaseRead = resolve))
      let readArrived!: () => void
      const readReached = new Promise<void>((resolve) => (readArrived = resolve))
      let holding = false
      const fetchFn: typeof fetch = async (input, init) => {
        const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
        const method = init?.method ?? 'GET'
        if (holding && method === 'GET' && /\/items$/.test(url.pathname)) {
          holding = false
          readArrived()
          await readGate
          events.push('read sent')
        }
        if (method === 'DELETE') {
          events.push('delete sent')
          // A DELETE sent while the read is held reaches the server first.
          const response = await fetch(input, init)
          releaseRead()
          return response
        }
        return fetch(input, init)
      }
      const { client } = await setup([], fetchFn)
      const session = new OpenAIConversationsSession({ client })
      await session.addItems([user('hello')])
      const old = session.sessionId
      holding = true
      const read = session.getItems()
      await readReached
      const clearing = session.clearSession()
      // Give a clear that does not wait a chance to send its DELETE before the read goes on.
      await new Promise((resolve) => setTimeout(resolve, 0))
      releaseRead()
      expect((await read).map(textOf)).toEqual(['hello'])
      await clearing
      expect(events).toEqual(['read sent', 'delete sent'])
      expect(session.sessionId).toBe('')
      await expect(client.conversations.items.list(old)).rejects.toThrow(/not found/)
      expect(await session.getItems()).toEqual([])
    })

    it('drops a reasoning item with neither id nor encrypted_content before items.create, which requires one', async () => {
      const { script, client } = await setup()
      const session = new OpenAIConversationsSession({ client })
      const bare: AgentItem = { type: 'reasoning', summary: [] }
      const answer: AgentItem = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a' }] }
      await session.addItems([user('q'), bare, answer])
      const sent = (await calls(script, 'POST', /\/items$/)).flatMap((r) => (r.body as { items: AgentItem[] }).items)
      expect(sent.map((i) => i.type ?? i.role)).toEqual(['user', 'message'])
      expect((await session.getItems()).map(textOf)).toEqual(['q', 'a'])
    })

    it('creates the conversation once under concurrent first use', async () => {
      const { script, client } = await setup()
      const session = new OpenAIConversationsSession({ client })
      const [id] = await Promise.all([session.getSessionId(), session.addItems([user('x')]), session.getItems(), session.addItems([user('y')])])
      expect(await calls(script, 'POST', /^\/v1\/conversations$/)).toHaveLength(1)
      expect(session.sessionId).toBe(id)
      expect((await session.getItems()).map(textOf)).toEqual(['x', 'y'])
    })

    it('never sends a reasoning item without its following item (js #929, python #1709)', async () => {
      const { script, client } = await setup()
      const session = new OpenAIConversationsSession({ client })
      const reasoning = (n: number): AgentItem => ({ type: 'reasoning', id: `rs_${n}`, summary: [] })
      const answer = (n: number): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `a${n}` }] })
      // Item 20 is a reasoning item: a plain 20-item split would send it alone at the end of a batch.
      const batch = [...Array.from({ length: 19 }, (_, i) => user(`u${i}`)), reasoning(1), answer(1), reasoning(2)]
      await session.addItems(batch)
      const sent = (await calls(script, 'POST', /\/items$/)).map((r) => (r.body as { items: AgentItem[] }).items)
      expect(sent.map((items) => items.length)).toEqual([19, 2])
      expect(sent[1]!.map((i) => i.type)).toEqual(['reasoning', 'message'])
      expect((await session.getItems()).map((i) => i.type)).toEqual([...Array(19).fill('message'), 'reasoning', 'message'])
      // The server refuses what the session avoided.
      await expect(client.conversations.items.create(session.sessionId, { items: [reasoning(3) as never] })).rejects.toThrow(
        /without its required following item/,
      )
    })

    it('rolls back a batch whose second call fails, and maps API errors to ConversationError', async () => {
      let creates = 0
      const failSecond: typeof fetch = async (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
        if (init?.method === 'POST' && url.endsWith('/items') && ++creates === 2) {
          return new Response(JSON.stringify({ error: { message: 'Item invalid', type: 'invalid_request_error' } }), {
            status: 400,
            headers: { 'content-type': 'application/json' },
          })
        }
        return fetch(input, init)
      }
      const { client } = await setup([], failSecond)
      const session = new OpenAIConversationsSession({ client })
      const error = await session.addItems(Array.from({ length: 30 }, (_, i) => user(`m${i}`))).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConversationError)
      expect(error).toMatchObject({ code: 'conversation_failed', status: 400 })
      expect((error as Error).message).toMatch(/400 while adding items: .*Item invalid/)
      expect(await session.getItems()).toEqual([])
      const missing = new OpenAIConversationsSession({ client, conversationId: 'conv_missing' })
      await expect(missing.getItems()).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/does not exist/) })
    })

    it('mirrors the conversation into a local session for offline reading, and heals a failed mirror write', async () => {
      const { client } = await setup(['Hi!'])
      const mirror = freshMirror()
      const mirrorErrors: unknown[] = []
      const session = new OpenAIConversationsSession({ client, mirror, onMirrorError: (e) => mirrorErrors.push(e) })
      await new Runner({ client }).run(new Agent({ name: 'x' }), 'Hello', { session })
      await session.addItems([user('a'), user('b')])
      expect(await session.popItem()).toMatchObject({ role: 'user' })
      expect(await mirror.getItems()).toEqual(await session.getItems())
      expect(assistantTexts(await mirror.getItems())).toEqual(['Hi!'])
      // A failing mirror write does not fail the call; the mirror is rebuilt on the next write.
      const addItems = mirror.addItems.bind(mirror)
      mirror.addItems = async () => {
        throw new Error('quota')
      }
      await session.addItems([user('c')])
      expect(mirrorErrors).toHaveLength(1)
      mirror.addItems = addItems
      await session.addItems([user('d')])
      expect(await mirror.getItems()).toEqual(await session.getItems())
      await session.clearSession()
      expect(await mirror.getItems()).toEqual([])
    })
  })
}
