// The runner through the openai client against the local API server: the path a proxy uses.
import { describe, expect, expectTypeOf, inject, it } from 'vitest'
import type { JsonObject } from '../../src/items/types.js'
import { Agent } from '../../src/runner/agent.js'
import OpenAI from 'openai'
import { InvalidArgumentError } from '../../src/errors.js'
import { AbortError, ModelHttpError, OfflineError } from '../../src/model/errors.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { OpenAIProvider } from '../../src/openai/provider.js'
import { Runner } from '../../src/runner/runner.js'
import { MemorySession } from '../../src/session/memory.js'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'
import type { ScriptedTurn } from '../../src/testing/script.js'
import { assistantTexts, expectWholeTurns, RecordingSession, userTexts, remoteClientCounting, withoutIds } from '../runner/helpers.js'
import { notesAgent } from '../runner/notes.js'

const serverUrl = inject('apiServerUrl')
type Api = 'responses' | 'chat_completions'

async function setup(turns: ScriptedTurn[], api: Api = 'responses', maxRetries = 2) {
  const script = await createServerScript(serverUrl, turns)
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries })
  const runner = new Runner({ modelProvider: new OpenAIProvider({ client, api }), model: 'gpt-test' })
  return { script, runner }
}

const bodies = async (script: ServerScript) => (await script.requests()).map((r) => r.body as JsonObject)

describe.each<Api>(['responses', 'chat_completions'])('over HTTP (%s)', (api) => {
  const path = api === 'responses' ? '/v1/responses' : '/v1/chat/completions'

  it('carries the first exchange into the second request (seed: favorite color)', async () => {
    const { script, runner } = await setup(["Got it! I'll remember that.", 'Your favorite color is blue!'], api)
    const session = new MemorySession()
    const agent = new Agent({ name: 'Memory Bot', instructions: 'Remember things.' })
    await runner.run(agent, 'My favorite color is blue.', { session })
    const second = await runner.run(agent, "What's my favorite color?", { session })
    expect(second.finalOutput).toBe('Your favorite color is blue!')
    const requests = await script.requests()
    expect(requests.map((r) => r.path)).toEqual([path, path])
    const sent = requests[1]!.body as JsonObject
    if (api === 'responses') {
      expect(sent).toMatchObject({ model: 'gpt-test', instructions: 'Remember things.' })
      expect(userTexts(sent.input as never)).toEqual(['My favorite color is blue.', "What's my favorite color?"])
    } else {
      expect(sent.messages).toEqual([
        { role: 'system', content: 'Remember things.' },
        { role: 'user', content: 'My favorite color is blue.' },
        { role: 'assistant', content: "Got it! I'll remember that." },
        { role: 'user', content: "What's my favorite color?" },
      ])
    }
    expect(second.rawResponses[0]!.requestId).toBe(`req_${script.id}_1`)
    expect(second.usage.totalTokens).toBeGreaterThan(0)
  })

  it('runs a tool loop; streaming persists exactly what the non-streaming run persists', async () => {
    const turns: ScriptedTurn[] = [
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Gym', content: 'Tue' }, callId: 'call_1' }, { name: 'list_notes', arguments: {}, callId: 'call_2' }] },
      'Saved and listed.',
    ]
    const plain = await setup(turns, api)
    const streamed = await setup(turns, api)
    const plainSession = new RecordingSession(new MemorySession())
    const streamSession = new RecordingSession(new MemorySession())
    const result = await plain.runner.run(notesAgent(), 'Save gym', { session: plainSession, context: { userId: 'a', notes: [] } })
    const stream = await streamed.runner.run(notesAgent(), 'Save gym', {
      session: streamSession,
      context: { userId: 'a', notes: [] },
      stream: true,
    })
    let text = ''
    for await (const event of stream) if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') text += event.data.delta
    expect(text).toBe('Saved and listed.')
    expect(result.finalOutput).toBe('Saved and listed.')
    const stored = withoutIds(await plainSession.getItems())
    expect(stored.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call', 'function_call_output', 'function_call_output', 'message'])
    expect(withoutIds(await streamSession.getItems())).toEqual(stored)
    expect(streamSession.batches.map((b) => b.length)).toEqual(plainSession.batches.map((b) => b.length))
    expectWholeTurns(stored)
    // the second request sent the calls with their outputs, in the wire format of the API
    const second = (await bodies(streamed.script))[1]!
    expect(second.stream).toBe(true)
    if (api === 'responses') {
      expect((second.input as JsonObject[]).filter((i) => i.type === 'function_call_output')).toEqual([
        { type: 'function_call_output', call_id: 'call_1', output: "Saved note: 'Gym'" },
        { type: 'function_call_output', call_id: 'call_2', output: '- Gym: Tue' },
      ])
      expect((second.tools as JsonObject[]).map((t) => t.name)).toEqual(['save_note', 'list_notes', 'search_notes'])
    } else {
      const messages = second.messages as JsonObject[]
      expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool'])
      expect((messages[2]!.tool_calls as JsonObject[]).map((c) => c.id)).toEqual(['call_1', 'call_2'])
      expect((second.tools as JsonObject[])[0]).toMatchObject({ type: 'function', function: { name: 'save_note', strict: true } })
    }
  })

  it('retries a 500 inside the openai client: one user message, no duplicate', async () => {
    const { script, runner } = await setup([{ status: 500 }, 'Recovered.'], api)
    const session = new RecordingSession(new MemorySession())
    const result = await runner.run(new Agent({ name: 'a' }), 'hello', { session })
    expect(result.finalOutput).toBe('Recovered.')
    const requests = await script.requests()
    expect(requests).toHaveLength(2)
    expect(requests[0]!.body).toEqual(requests[1]!.body)
    expect(userTexts(await session.getItems())).toEqual(['hello'])
    expect(session.pops).toBe(0)
  })

  it('aborting mid-stream leaves only whole turns', async () => {
    const { runner } = await setup(
      [
        { toolCalls: [{ name: 'list_notes', arguments: {} }] },
        { text: 'You have no notes at all yet', stream: { stallAfter: 1 } },
      ],
      api,
    )
    const session = new MemorySession()
    const controller = new AbortController()
    const stream = await runner.run(notesAgent(), 'list', {
      session,
      context: { userId: 'a', notes: [] },
      stream: true,
      signal: controller.signal,
    })
    const error = await (async () => {
      for await (const event of stream) if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') controller.abort()
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortError)
    const stored = await session.getItems()
    expect(stored.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output'])
    expectWholeTurns(stored)
    expect(assistantTexts(stored)).toEqual([])
  })
})

describe('structured output over HTTP', () => {
  it.each<Api>(['responses', 'chat_completions'])('sends the outputType schema and parses the answer (%s)', async (api) => {
    const { z } = await import('zod')
    const { script, runner } = await setup(['{"city":"Oslo","celsius":3}'], api)
    const agent = new Agent({ name: 'w', outputType: z.object({ city: z.string(), celsius: z.number() }) })
    const result = await runner.run(agent, 'weather?')
    expectTypeOf(result.finalOutput).toEqualTypeOf<{ city: string; celsius: number } | undefined>() // undefined while paused for approvals, as in @openai/agents
    expect(result.finalOutput).toEqual({ city: 'Oslo', celsius: 3 })
    const [body] = await bodies(script)
    const schema = { type: 'object', properties: { city: { type: 'string' }, celsius: { type: 'number' } }, required: ['city', 'celsius'], additionalProperties: false }
    if (api === 'responses') expect(body!.text).toEqual({ format: { type: 'json_schema', name: 'final_output', schema, strict: true } })
    else expect(body!.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'final_output', schema, strict: true } })
  })

  it('with store: false asks for encrypted reasoning so it can be replayed', async () => {
    const { script, runner } = await setup(['ok'])
    await runner.run(new Agent({ name: 'a', modelSettings: { store: false, reasoning: { effort: 'low' } } }), 'hi')
    expect((await bodies(script))[0]).toMatchObject({ store: false, include: ['reasoning.encrypted_content'], reasoning: { effort: 'low' } })
  })
})

describe('errors over HTTP', () => {
  it('a 500 after the client gave up is a retryable ModelHttpError with the request id; nothing saved', async () => {
    const { script, runner } = await setup([{ status: 500, message: 'upstream exploded' }, 'Hello!'], 'responses', 0)
    const session = new MemorySession()
    const agent = new Agent({ name: 'a' })
    const error = await runner.run(agent, 'hi', { session }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelHttpError)
    expect(error).toMatchObject({ status: 500, retryable: true, requestId: `req_${script.id}_0`, inputSaved: false })
    expect((error as Error).message).toMatch(/upstream exploded/)
    expect((error as ModelHttpError).cause).toMatchObject({ status: 500 })
    expect(await session.getItems()).toEqual([])
    await runner.run(agent, 'hi', { session })
    expect(userTexts(await session.getItems())).toEqual(['hi'])
  })

  it('a 400 is not retryable and names what to check', async () => {
    const { runner } = await setup([{ status: 401, message: 'bad key' }])
    const error = await runner.run(new Agent({ name: 'a' }), 'hi').catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ModelHttpError', status: 401, retryable: false })
    expect((error as Error).message).toMatch(/API key/)
  })

  it('a dropped connection is an OfflineError', async () => {
    const { runner } = await setup([{ disconnect: true }], 'responses', 0)
    const error = await runner.run(new Agent({ name: 'a' }), 'hi').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OfflineError)
    expect(error).toMatchObject({ code: 'offline' })
  })

  it('a refused connection is an OfflineError', async () => {
    const client = createOpenAIClient({ baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 })
    const runner = new Runner({ client })
    const error = await runner.run(new Agent({ name: 'a' }), 'hi').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OfflineError)
    expect((error as Error).message).toMatch(/network layer/)
  })

  async function whileOffline<T>(body: () => Promise<T>): Promise<T> {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator')
    Object.defineProperty(globalThis, 'navigator', { value: { onLine: false }, configurable: true })
    try {
      return await body()
    } finally {
      if (original) Object.defineProperty(globalThis, 'navigator', original)
      else delete (globalThis as { navigator?: unknown }).navigator
    }
  }

  it('navigator.onLine === false fails fast with OfflineError, before any request to a remote server', async () => {
    const script = await createServerScript(serverUrl, ['never sent'])
    // A remote proxy; its fetch would reach the local server if the request were made.
    const { client, fetched } = remoteClientCounting(script.baseURL)
    const error = await whileOffline(() => new Runner({ client }).run(new Agent({ name: 'a' }), 'hi').catch((e: unknown) => e))
    expect(error).toBeInstanceOf(OfflineError)
    expect((error as Error).message).toMatch(/offline/)
    expect(fetched()).toBe(0)
    expect(await script.requests()).toEqual([])
  })

  it('still reaches a model server on this device (loopback) when the browser reports offline', async () => {
    const { script, runner } = await setup(['answered locally'])
    const result = await whileOffline(() => runner.run(new Agent({ name: 'a' }), 'hi'))
    expect(result.finalOutput).toBe('answered locally')
    expect(await script.requests()).toHaveLength(1)
  })
})

describe('client setup', () => {
  it('proxy mode sends no Authorization header, but the app\'s own headers and fetch', async () => {
    const script = await createServerScript(serverUrl, ['ok'])
    let fetched = 0
    const client = createOpenAIClient({
      baseURL: script.baseURL,
      defaultHeaders: { 'x-app-session': 'abc' },
      fetch: (input, init) => {
        fetched += 1
        return fetch(input, init)
      },
    })
    await new Runner({ client }).run(new Agent({ name: 'a' }), 'hi')
    const [request] = await script.requests()
    expect(request!.headers.authorization).toBeUndefined()
    expect(request!.headers['x-app-session']).toBe('abc')
    expect(fetched).toBe(1)
  })

  it('proxy mode keeps an Authorization header the app sets itself', async () => {
    const script = await createServerScript(serverUrl, ['ok'])
    const client = createOpenAIClient({ baseURL: script.baseURL, defaultHeaders: { Authorization: 'Bearer app-token' } })
    await new Runner({ client }).run(new Agent({ name: 'a' }), 'hi')
    expect((await script.requests())[0]!.headers.authorization).toBe('Bearer app-token')
  })

  it('direct mode sends the key', async () => {
    const script = await createServerScript(serverUrl, ['ok'])
    const client = createOpenAIClient({ apiKey: 'sk-test', baseURL: script.baseURL })
    await new Runner({ client }).run(new Agent({ name: 'a', model: 'gpt-x', modelSettings: { temperature: 0.2, maxTokens: 50 } }), 'hi')
    const [request] = await script.requests()
    expect(request!.headers.authorization).toBe('Bearer sk-test')
    expect(request!.body).toMatchObject({ model: 'gpt-x', temperature: 0.2, max_output_tokens: 50 })
  })

  it('needs an apiKey or a baseURL', () => {
    expect(() => createOpenAIClient({})).toThrow(/apiKey.*baseURL/)
  })

  it('refuses a baseURL with a user name or password, without repeating the password', () => {
    const error = (() => {
      try {
        createOpenAIClient({ baseURL: 'http://alice:s3cret-pass@127.0.0.1:9/v1' })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).not.toContain('s3cret-pass')
    expect((error as Error).message).toMatch(/defaultHeaders/)
  })

  it('a request that can never be sent (credentials in the URL) is not "offline": no password echoed, input not kept as pending', async () => {
    // A client made without createOpenAIClient, as an app may pass its own.
    const client = new OpenAI({ apiKey: 'k', baseURL: 'http://bob:hunter2-secret@127.0.0.1:9/v1', maxRetries: 0 })
    const session = new MemorySession()
    const kept: unknown[] = []
    const pendingInput = { add: async (...args: unknown[]) => void kept.push(args) } as never
    const error = await new Runner({ client }).run(new Agent({ name: 'a' }), 'hi', { session, pendingInput }).catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(OfflineError)
    expect(error).toMatchObject({ name: 'RunError', code: 'invalid_argument', inputSaved: false })
    expect((error as Error).message).not.toContain('hunter2-secret')
    expect(String((error as Error).message)).toMatch(/defaultHeaders/)
    expect(kept).toEqual([])
    expect(await session.getItems()).toEqual([])
  })
})
