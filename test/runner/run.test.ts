import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { StorageQuotaError } from '../../src/errors.js'
import type { AgentItem } from '../../src/items/types.js'
import { Agent } from '../../src/runner/agent.js'
import { AbortError, MaxTurnsExceededError, ModelHttpError, OutputParseError, RunError, ToolError } from '../../src/model/errors.js'
import { run, setDefaultModelProvider } from '../../src/runner/runner.js'
import { tool } from '../../src/runner/tool.js'
import { MemorySession } from '../../src/session/memory.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { assistantTexts, expectWholeTurns, RecordingSession, userTexts, type NotesContext } from './helpers.js'
import { notesAgent } from './notes.js'

function memoryBot(model: ScriptedModel) {
  return new Agent({ name: 'Memory Bot', instructions: 'You are a helpful assistant that remembers previous conversations.', model })
}

describe('run() with a session', () => {
  it('carries the first exchange into the second request and saves each turn once (python #1699)', async () => {
    const model = new ScriptedModel(["Got it! I'll remember that your favorite color is blue.", 'Your favorite color is blue!'])
    const session = new RecordingSession(new MemorySession('conversation_001'))
    const agent = memoryBot(model)

    const first = await run(agent, 'My favorite color is blue.', { session })
    expect(first.finalOutput).toBe("Got it! I'll remember that your favorite color is blue.")
    const second = await run(agent, "What's my favorite color?", { session })
    expect(second.finalOutput).toBe('Your favorite color is blue!')

    expect(userTexts(model.requests[1]!.input)).toEqual(['My favorite color is blue.', "What's my favorite color?"])
    expect(assistantTexts(model.requests[1]!.input)).toEqual(["Got it! I'll remember that your favorite color is blue."])
    expect(model.requests[1]!.instructions).toBe('You are a helpful assistant that remembers previous conversations.')
    const stored = await session.getItems()
    expect(stored).toHaveLength(4)
    expect(userTexts(stored)).toEqual(['My favorite color is blue.', "What's my favorite color?"])
    expect(session.batches.map((b) => b.length)).toEqual([2, 2])
    expect(second.savedItems).toEqual(stored.slice(2))
  })

  it('keeps per-user sessions apart: alice, bob, alice', async () => {
    const model = new ScriptedModel(['Billing, sure.', 'Reset link sent.', 'Your last invoice is paid.'])
    const agent = new Agent({ name: 'Support Agent', instructions: 'Help customers.', model })
    const sessions = new Map<string, MemorySession>()
    const handle = (userId: string, message: string) => {
      const session = sessions.get(userId) ?? new MemorySession(`user_${userId}`)
      sessions.set(userId, session)
      return run(agent, message, { session })
    }
    await handle('alice', 'I need help with billing')
    await handle('bob', 'How do I reset my password?')
    await handle('alice', 'Can you check my last invoice?')
    expect(userTexts(model.requests[1]!.input)).toEqual(['How do I reset my password?'])
    expect(userTexts(model.requests[2]!.input)).toEqual(['I need help with billing', 'Can you check my last invoice?'])
    expect(assistantTexts(model.requests[2]!.input)).toEqual(['Billing, sure.'])
  })

  it('runs the notes tools through a multi-turn loop and saves each call with its output in one batch', async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Groceries', content: 'milk, eggs' } }] },
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Gym', content: 'Tuesday 7pm' } }, { name: 'list_notes', arguments: {} }] },
      'Saved both notes.',
      { toolCalls: [{ name: 'search_notes', arguments: { query: 'milk' } }] },
      'Your groceries note says milk, eggs.',
    ])
    const context: NotesContext = { userId: 'alice', notes: [] }
    const session = new RecordingSession(new MemorySession('notes_alice'))
    const agent = notesAgent(model)

    const first = await run(agent, 'Save my groceries and gym notes, then list them.', { session, context })
    expect(first.finalOutput).toBe('Saved both notes.')
    expect(context.notes.map((n) => n.title)).toEqual(['Groceries', 'Gym'])
    expect(model.requests[0]!.instructions).toBe('Help alice manage their notes. Use the tools to save, list, and search notes.')
    expect(model.requests[0]!.tools.map((t) => t.name)).toEqual(['save_note', 'list_notes', 'search_notes'])
    // the list_notes output the model saw in request 3 was computed after save_note ran
    const outputs = model.requests[2]!.input.filter((i) => i.type === 'function_call_output').map((i) => i.output)
    expect(outputs).toEqual(["Saved note: 'Groceries'", "Saved note: 'Gym'", '- Groceries: milk, eggs\n- Gym: Tuesday 7pm'])
    // one batch per model response, each whole; the input only in the first
    expect(session.batches.map((b) => b.map((i) => i.type ?? i.role))).toEqual([
      ['user', 'function_call', 'function_call_output'],
      ['function_call', 'function_call', 'function_call_output', 'function_call_output'],
      ['message'],
    ])
    for (const batch of session.batches) expectWholeTurns(batch)

    const second = await run(agent, 'What did I write about milk?', { session, context })
    expect(second.finalOutput).toBe('Your groceries note says milk, eggs.')
    expect(second.newItems.find((i) => i.type === 'function_call_output')?.output).toBe('- Groceries: milk, eggs')
    const stored = await session.getItems()
    expect(stored).toHaveLength(12)
    expectWholeTurns(stored)
    expect(userTexts(stored)).toHaveLength(2)
    expect(first.usage.requests).toBe(3)
    expect(first.usage.perRequest).toHaveLength(3)
    expect(first.usage.totalTokens).toBe(first.usage.perRequest.reduce((s, u) => s + u.totalTokens, 0))
    expect(first.lastResponseId).toBe(first.rawResponses[2]!.responseId)
  })

  it('reports unknown tools to the model instead of failing', async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_everything', arguments: {} }] }, 'Sorry.'])
    const result = await run(notesAgent(model), 'x', { context: { userId: 'a', notes: [] } })
    expect(result.newItems[1]).toMatchObject({ type: 'function_call_output', output: expect.stringMatching(/no tool named "delete_everything"/) })
  })

  it('does not save again a history item the sessionInputCallback repeats (python #4069)', async () => {
    const model = new ScriptedModel(['one', 'two'])
    const session = new MemorySession()
    const agent = memoryBot(model)
    await run(agent, 'first', { session })
    await run(agent, 'second', {
      session,
      // keeps the history and repeats its first item at the end
      sessionInputCallback: (history, input) => [...history, ...input, history[0]!],
    })
    expect(userTexts(model.requests[1]!.input)).toEqual(['first', 'second', 'first'])
    expect(userTexts(await session.getItems())).toEqual(['first', 'second'])
  })

  it('saves a callback-made item once', async () => {
    const model = new ScriptedModel(['ok'])
    const session = new MemorySession()
    await run(memoryBot(model), 'hi', {
      session,
      sessionInputCallback: (history, input) => [...history, { role: 'developer', content: 'be brief' }, ...input],
    })
    expect((await session.getItems()).map((i) => i.role)).toEqual(['developer', 'user', 'assistant'])
  })

  it('drops an orphaned output cut by a limit window from what is sent, never from what is stored (python #4322)', async () => {
    const session = new MemorySession('s', { settings: { limit: 2 } })
    const stored: AgentItem[] = [
      { role: 'user', content: 'list' },
      { type: 'function_call', call_id: 'c1', name: 'list_notes', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'none' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'No notes.' }] },
    ]
    await session.addItems(stored)
    const model = new ScriptedModel(['ok'])
    await run(memoryBot(model), 'again', { session })
    // the window was [output c1, assistant, ...]: the output's call is outside it
    expect(model.requests[0]!.input.map((i) => i.type ?? i.role)).toEqual(['message', 'user'])
    expect(await session.getItems(Infinity)).toHaveLength(6)
    // sessionSettings.limit overrides the session's own
    const wide = new ScriptedModel(['ok'])
    await run(memoryBot(wide), 'third', { session, sessionSettings: { limit: 100 } })
    expect(wide.requests[0]!.input).toHaveLength(7)
  })

  it('throws MaxTurnsExceededError with every finished turn saved whole', async () => {
    const call = { toolCalls: [{ name: 'list_notes', arguments: {} }] }
    const model = new ScriptedModel([call, call, call])
    const session = new MemorySession()
    const error = await run(notesAgent(model), 'loop', { session, maxTurns: 2, context: { userId: 'a', notes: [] } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MaxTurnsExceededError)
    expect(error).toMatchObject({ code: 'max_turns_exceeded', maxTurns: 2, inputSaved: true })
    expect((error as RunError).savedItems).toHaveLength(5)
    expect((error as Error).message).toMatch(/run\(agent, \[\], \{ session \}\)/)
    const stored = await session.getItems()
    expect(stored).toHaveLength(5)
    expectWholeTurns(stored)
  })

  it('after an error mid tool loop, resumes with [] without duplicating the user message', async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'list_notes', arguments: {} }] }, { status: 500 }])
    const session = new MemorySession()
    const agent = notesAgent(model)
    const context = { userId: 'a', notes: [] }
    const error = await run(agent, 'list my notes', { session, context }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelHttpError)
    expect(error).toMatchObject({ status: 500, retryable: true, inputSaved: true })
    expect((error as RunError).savedItems.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output'])
    expectWholeTurns(await session.getItems())

    model.enqueue('You have no notes.')
    const resumed = await run(agent, [], { session, context })
    expect(resumed.finalOutput).toBe('You have no notes.')
    expect(userTexts(model.requests[2]!.input)).toEqual(['list my notes'])
    const stored = await session.getItems()
    expect(userTexts(stored)).toEqual(['list my notes'])
    expect(stored).toHaveLength(4)
  })

  it('saves nothing when the first model call fails, so the same input can simply be sent again (python #3852)', async () => {
    const model = new ScriptedModel([{ status: 429 }, 'Hello!'])
    const session = new MemorySession()
    const agent = memoryBot(model)
    const error = await run(agent, 'hi', { session }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ModelHttpError', code: 'model_http', status: 429, inputSaved: false, savedItems: [] })
    expect((error as Error).message).toMatch(/safe to run the same input again/)
    expect(await session.getItems()).toEqual([])
    await run(agent, 'hi', { session })
    expect(userTexts(await session.getItems())).toEqual(['hi'])
  })

  it('wraps a failing addItems in a RunError that keeps the storage error as cause', async () => {
    const session = new RecordingSession(new MemorySession())
    session.failNextAdd = new StorageQuotaError()
    const error = await run(memoryBot(new ScriptedModel(['ok'])), 'hi', { session }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunError)
    expect(error).toMatchObject({ code: 'storage_quota', inputSaved: false })
    expect((error as RunError).cause).toBeInstanceOf(StorageQuotaError)
    expect(await session.getItems()).toEqual([])
  })

  it('aborting while a tool runs saves nothing of that turn: no call without output (js #1190)', async () => {
    const controller = new AbortController()
    const slow = tool({
      name: 'slow',
      description: 'waits for abort',
      parameters: z.object({}),
      execute: (_args, ctx) =>
        new Promise((_resolve, reject) => {
          controller.abort(new Error('user pressed stop'))
          ctx.signal?.addEventListener('abort', () => reject(ctx.signal?.reason))
          if (ctx.signal?.aborted) reject(ctx.signal.reason)
        }),
    })
    const model = new ScriptedModel([{ toolCalls: [{ name: 'slow', arguments: {} }] }])
    const session = new MemorySession()
    const agent = new Agent({ name: 'a', model, tools: [slow] })
    const error = await run(agent, 'go', { session, signal: controller.signal }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortError)
    expect(error).toMatchObject({ name: 'AbortError', inputSaved: false })
    expect((error as AbortError).cause).toEqual(new Error('user pressed stop'))
    expect(await session.getItems()).toEqual([])
  })

  it('parses outputType into finalOutput, and throws OutputParseError (answer saved) when it does not match', async () => {
    const Weather = z.object({ city: z.string(), celsius: z.number() })
    const model = new ScriptedModel(['{"city":"Oslo","celsius":3}', '{"city":"Oslo"}'])
    const agent = new Agent({ name: 'w', model, outputType: Weather })
    const session = new MemorySession()
    const result = await run(agent, 'weather?', { session })
    const celsius: number = result.finalOutput!.celsius
    expect(celsius).toBe(3)
    expect(model.requests[0]!.outputSchema).toMatchObject({ name: 'final_output', strict: true, schema: { type: 'object' } })
    const error = await run(agent, 'again', { session }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OutputParseError)
    expect(error).toMatchObject({ code: 'output_parse', text: '{"city":"Oslo"}', inputSaved: true })
    expect(await session.getItems()).toHaveLength(4)
  })

  it('supports the manual-history pattern with toInputList()', async () => {
    const model = new ScriptedModel(['Hi Alice!', 'Your name is Alice.'])
    const agent = memoryBot(model)
    let history: AgentItem[] = []
    for (const message of ['My name is Alice', "What's my name?"]) {
      const result = await run(agent, [...history, { role: 'user', content: message }])
      history = result.toInputList()
    }
    expect(userTexts(model.requests[1]!.input)).toEqual(['My name is Alice', "What's my name?"])
    expect(history).toHaveLength(4)
  })

  it('a tool with onError: "throw" stops the run with ToolError and saves nothing of that turn', async () => {
    const failing = tool({
      name: 'charge_card',
      description: 'charges',
      parameters: z.object({}),
      onError: 'throw',
      execute: () => {
        throw new Error('card declined')
      },
    })
    const model = new ScriptedModel([{ toolCalls: [{ name: 'charge_card', arguments: {} }] }])
    const session = new MemorySession()
    const error = await run(new Agent({ name: 'shop', model, tools: [failing] }), 'buy', { session }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ToolError)
    expect(error).toMatchObject({ toolName: 'charge_card', inputSaved: false })
    expect((error as Error).message).toMatch(/card declined/)
    expect(await session.getItems()).toEqual([])
  })

  it('run() uses the default model provider for model names', async () => {
    const model = new ScriptedModel(['from the provider'])
    const names: string[] = []
    setDefaultModelProvider({ getModel: (name) => (names.push(name), model) })
    try {
      expect((await run(new Agent({ name: 'a', model: 'my-model' }), 'hi')).finalOutput).toBe('from the provider')
      expect((await run(new Agent({ name: 'b' }), 'hi').catch((e: unknown) => e)) as Error).toBeInstanceOf(Error)
      expect(names).toEqual(['my-model', 'gpt-4.1'])
    } finally {
      setDefaultModelProvider({ getModel: () => { throw new Error('no default provider in tests') } })
    }
  })

  it('validates maxTurns', async () => {
    await expect(run(memoryBot(new ScriptedModel(['x'])), 'hi', { maxTurns: 0 })).rejects.toThrow(/maxTurns/)
  })
})

describe('usage-tracking sessions', () => {
  it('receive each run\'s usage once, also from a failed run that saved turns, never from one that saved nothing', async () => {
    const call = { toolCalls: [{ name: 'list_notes', arguments: {} }] }
    const model = new ScriptedModel([call, 'done', { status: 500 }, call, { status: 500 }])
    const session = new MemorySession()
    const stored: number[] = []
    const storeRunUsage = session.storeRunUsage.bind(session)
    const addItemsWithUsage = session.addItemsWithUsage.bind(session)
    session.storeRunUsage = (result) => (stored.push(result.usage.requests), storeRunUsage(result))
    // A run that finishes stores its usage with its last turn, in the same write.
    session.addItemsWithUsage = (items, usage) => (stored.push(usage.requests), addItemsWithUsage(items, usage))
    const agent = notesAgent(model)
    const context = { userId: 'a', notes: [] }
    const first = await run(agent, 'one', { session, context })
    await run(agent, 'two', { session, context }).catch(() => undefined) // nothing saved
    await run(agent, 'three', { session, context }).catch(() => undefined) // one turn saved, then 500
    expect(stored).toEqual([2, 1])
    expect(await session.getTurnUsage(1)).toMatchObject({ requests: 2, totalTokens: first.usage.totalTokens })
    expect((await session.getSessionUsage()).requests).toBe(3)
  })
})
