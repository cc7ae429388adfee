// The runner in real Chromium: the openai client reaches the local API server cross-origin
// (CORS), as an app reaches its proxy, and history lives in real IndexedDB.
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { JsonObject } from '../../src/items/types.js'
import { Agent } from '../../src/runner/agent.js'
import { AbortError, ModelHttpError, OfflineError } from '../../src/model/errors.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { OpenAIProvider } from '../../src/openai/provider.js'
import { Runner } from '../../src/runner/runner.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { createServerScript } from '../../src/testing/api-server/client.js'
import type { ScriptedTurn } from '../../src/testing/script.js'
import { assistantTexts, expectWholeTurns, userTexts, remoteClientCounting, withoutIds } from './helpers.js'
import { notesAgent } from './notes.js'

const serverUrl = inject('apiServerUrl')
const dbName = `runner-browser-${crypto.randomUUID()}`
afterAll(
  () =>
    new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(dbName)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    }),
)

async function proxyRunner(turns: ScriptedTurn[], api: 'responses' | 'chat_completions' = 'responses', maxRetries = 2) {
  const script = await createServerScript(serverUrl, turns)
  // no apiKey: proxy mode, nothing secret in the page
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries })
  return { script, runner: new Runner({ modelProvider: new OpenAIProvider({ client, api }) }) }
}

describe('runner in Chromium', () => {
  it('remembers the favorite color through a proxy, after the session object is recreated', async () => {
    const { script, runner } = await proxyRunner(["Got it! I'll remember that your favorite color is blue.", 'Your favorite color is blue!'])
    const agent = new Agent({ name: 'Memory Bot', instructions: 'You are a helpful assistant that remembers previous conversations.' })
    await runner.run(agent, 'My favorite color is blue.', { session: new IndexedDBSession('conversation_001', { dbName }) })
    const reloaded = new IndexedDBSession('conversation_001', { dbName })
    const result = await runner.run(agent, "What's my favorite color?", { session: reloaded })
    expect(result.finalOutput).toBe('Your favorite color is blue!')
    const requests = await script.requests()
    const input = (requests[1]!.body as JsonObject).input as never
    expect(userTexts(input)).toEqual(['My favorite color is blue.', "What's my favorite color?"])
    expect(assistantTexts(input)).toEqual(["Got it! I'll remember that your favorite color is blue."])
    expect(requests[1]!.headers.authorization).toBeUndefined()
    expect(requests[1]!.headers.origin).toBe(location.origin)
    expect(result.rawResponses[0]!.requestId).toBe(`req_${script.id}_1`)
  })

  it('alice, bob, alice: alice\'s second request carries only her history', async () => {
    const { script, runner } = await proxyRunner(['Billing, sure.', 'Reset link sent.', 'Invoice paid.'])
    const agent = new Agent({ name: 'Support Agent', instructions: 'Help customers.' })
    const handle = (userId: string, message: string) =>
      runner.run(agent, message, { session: new IndexedDBSession(`user_${userId}`, { dbName }) })
    await handle('alice', 'I need help with billing')
    await handle('bob', 'How do I reset my password?')
    await handle('alice', 'Can you check my last invoice?')
    const inputs = (await script.requests()).map((r) => (r.body as JsonObject).input as never)
    expect(userTexts(inputs[2]!)).toEqual(['I need help with billing', 'Can you check my last invoice?'])
    expect(userTexts(inputs[1]!)).toEqual(['How do I reset my password?'])
  })

  it.each(['responses', 'chat_completions'] as const)('streams a tool loop over SSE (%s) and persists what a plain run persists', async (api) => {
    const turns: ScriptedTurn[] = [
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Gym', content: 'Tue' }, callId: 'call_g' }] },
      'Saved your gym note.',
    ]
    const plain = await proxyRunner(turns, api)
    const streamed = await proxyRunner(turns, api)
    const plainSession = new IndexedDBSession(`plain_${api}`, { dbName })
    const streamSession = new IndexedDBSession(`stream_${api}`, { dbName })
    await plain.runner.run(notesAgent(), 'Save gym', { session: plainSession, context: { userId: 'a', notes: [] } })
    const stream = await streamed.runner.run(notesAgent(), 'Save gym', {
      session: streamSession,
      context: { userId: 'a', notes: [] },
      stream: true,
    })
    const deltas: string[] = []
    for await (const delta of stream.toTextStream()) deltas.push(delta)
    expect(deltas.join('')).toBe('Saved your gym note.')
    expect(deltas.length).toBeGreaterThan(1)
    const expected = withoutIds(await plainSession.getItems())
    expect(expected.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output', 'message'])
    expect(withoutIds(await streamSession.getItems())).toEqual(expected)
  })

  it('an abort mid-stream leaves whole turns in IndexedDB, and resuming does not repeat the user message', async () => {
    const { script, runner } = await proxyRunner([
      { toolCalls: [{ name: 'list_notes', arguments: {} }] },
      { text: 'You have no notes saved at all', stream: { stallAfter: 2 } },
    ])
    const session = new IndexedDBSession('abort_stream', { dbName })
    const controller = new AbortController()
    const context = { userId: 'a', notes: [] }
    const stream = await runner.run(notesAgent(), 'list my notes', { session, context, stream: true, signal: controller.signal })
    let deltas = 0
    const error = await (async () => {
      for await (const event of stream) if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta' && ++deltas === 2) controller.abort()
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortError)
    expect(error).toMatchObject({ inputSaved: true })
    const stored = await session.getItems()
    expect(stored.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output'])
    expectWholeTurns(stored)

    await script.append('No notes yet.')
    const resumed = await runner.run(notesAgent(), [], { session, context })
    expect(resumed.finalOutput).toBe('No notes yet.')
    expect(userTexts(await session.getItems())).toEqual(['list my notes'])
  })

  it('a 500 the client gave up on is a ModelHttpError; the retry saves the user message once', async () => {
    const { runner } = await proxyRunner([{ status: 500 }, 'Hello!'], 'responses', 0)
    const session = new IndexedDBSession('retry_500', { dbName })
    const agent = new Agent({ name: 'a' })
    const error = await runner.run(agent, 'hi', { session }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelHttpError)
    expect(error).toMatchObject({ status: 500, retryable: true, inputSaved: false })
    await runner.run(agent, 'hi', { session })
    expect(userTexts(await session.getItems())).toEqual(['hi'])
  })

  it('navigator.onLine === false is an OfflineError before any request to a remote server', async () => {
    const script = await createServerScript(serverUrl, ['never'])
    const { client, fetched } = remoteClientCounting(script.baseURL)
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true })
    try {
      await expect(new Runner({ client }).run(new Agent({ name: 'a' }), 'hi')).rejects.toBeInstanceOf(OfflineError)
    } finally {
      delete (navigator as { onLine?: boolean }).onLine
    }
    expect(navigator.onLine).toBe(true)
    expect(fetched()).toBe(0)
    expect(await script.requests()).toEqual([])
  })

  it('direct mode needs dangerouslyAllowBrowser and then sends the key', async () => {
    const script = await createServerScript(serverUrl, ['ok'])
    expect(() => createOpenAIClient({ apiKey: 'sk-test', baseURL: script.baseURL })).toThrow(/dangerouslyAllowBrowser/)
    const client = createOpenAIClient({ apiKey: 'sk-test', baseURL: script.baseURL, dangerouslyAllowBrowser: true })
    await new Runner({ client }).run(new Agent({ name: 'a' }), 'hi')
    expect((await script.requests())[0]!.headers.authorization).toBe('Bearer sk-test')
  })

  it('without a configured client, run() fails with advice instead of reaching api.openai.com', async () => {
    const error = await new Runner().run(new Agent({ name: 'a' }), 'hi').catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'RunError', code: 'invalid_argument' })
    expect((error as Error).message).toMatch(/createOpenAIClient/)
  })

  it('resolves a relative proxy path against the page', async () => {
    const client = createOpenAIClient({ baseURL: '/api/openai/v1' })
    expect(client.baseURL).toBe(`${location.origin}/api/openai/v1`)
  })
})
