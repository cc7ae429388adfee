// The runner with IndexedDBSession (fake-indexeddb in Node; the browser suite repeats the
// key cases in real Chromium), and the interop with @openai/agents.
import { Agent as SdkAgent, run as sdkRun, setTracingDisabled, tool as sdkTool, type AgentInputItem } from '@openai/agents'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../src/runner/agent.js'
import { run } from '../../src/runner/runner.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { assistantTexts, expectWholeTurns, userTexts, type NotesContext } from './helpers.js'
import { notesAgent } from './notes.js'
import { say, SdkScriptedModel } from '../support/sdk-scripted-model.js'

const dbName = `runner-${crypto.randomUUID()}`
const deleteDb = () =>
  new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(dbName)
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
afterAll(deleteDb)

describe('run() with IndexedDBSession', () => {
  it('remembers the favorite color across a recreated session object (reload)', async () => {
    const model = new ScriptedModel(["Got it! I'll remember that your favorite color is blue.", 'Your favorite color is blue!'])
    const agent = new Agent({ name: 'Memory Bot', instructions: 'You are a helpful assistant that remembers previous conversations.', model })
    await run(agent, 'My favorite color is blue.', { session: new IndexedDBSession('conversation_001', { dbName }) })
    // a new object, as after a page reload
    const reloaded = new IndexedDBSession('conversation_001', { dbName })
    const result = await run(agent, "What's my favorite color?", { session: reloaded })
    expect(result.finalOutput).toBe('Your favorite color is blue!')
    expect(userTexts(model.requests[1]!.input)).toEqual(['My favorite color is blue.', "What's my favorite color?"])
    expect(assistantTexts(model.requests[1]!.input)).toEqual(["Got it! I'll remember that your favorite color is blue."])
    expect(await reloaded.getItems()).toHaveLength(4)
  })

  it('keeps alice and bob apart in one database', async () => {
    const model = new ScriptedModel(['Billing, sure.', 'Reset link sent.', 'Invoice paid.'])
    const agent = new Agent({ name: 'Support Agent', instructions: 'Help customers.', model })
    const handle = (userId: string, message: string) =>
      run(agent, message, { session: new IndexedDBSession(`user_${userId}`, { dbName }) })
    await handle('alice', 'I need help with billing')
    await handle('bob', 'How do I reset my password?')
    await handle('alice', 'Can you check my last invoice?')
    expect(userTexts(model.requests[2]!.input)).toEqual(['I need help with billing', 'Can you check my last invoice?'])
    expect(userTexts(model.requests[1]!.input)).toEqual(['How do I reset my password?'])
  })

  it('persists the notes tool loop whole', async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Gym', content: 'Tue' } }] },
      'Saved.',
      { toolCalls: [{ name: 'search_notes', arguments: { query: 'gym' } }] },
      'Gym is on Tue.',
    ])
    const context: NotesContext = { userId: 'alice', notes: [] }
    await run(notesAgent(model), 'Save gym Tue', { session: new IndexedDBSession('notes_alice', { dbName }), context })
    const second = await run(notesAgent(model), 'When is gym?', { session: new IndexedDBSession('notes_alice', { dbName }), context })
    expect(second.finalOutput).toBe('Gym is on Tue.')
    const stored = await new IndexedDBSession('notes_alice', { dbName }).getItems()
    expect(stored.map((i) => i.type ?? i.role)).toEqual([
      'user', 'function_call', 'function_call_output', 'message',
      'user', 'function_call', 'function_call_output', 'message',
    ])
    expectWholeTurns(stored)
  })
})

describe('IndexedDBSession as the session of @openai/agents run()', () => {
  beforeAll(() => setTracingDisabled(true))

  it('holds a multi-turn conversation with a tool call, across a recreated session', async () => {
    const notes: string[] = []
    const saveNote = sdkTool({
      name: 'save_note',
      description: 'Save a note.',
      parameters: z.object({ text: z.string() }),
      execute: ({ text }) => {
        notes.push(text)
        return `saved ${text}`
      },
    })
    const model = new SdkScriptedModel([
      say('Noted: your favorite color is blue.'),
      [{ type: 'function_call', callId: 'call_1', name: 'save_note', arguments: '{"text":"blue"}', status: 'completed' }],
      say('Saved it as a note.'),
      say('Your favorite color is blue!'),
    ])
    const agent = new SdkAgent({ name: 'Memory Bot', instructions: 'Remember.', model, tools: [saveNote] })
    const session = new IndexedDBSession<AgentInputItem>('sdk_interop', { dbName })
    const first = await sdkRun(agent, 'My favorite color is blue.', { session })
    expect(first.finalOutput).toBe('Noted: your favorite color is blue.')
    const second = await sdkRun(agent, 'Save that as a note.', { session })
    expect(second.finalOutput).toBe('Saved it as a note.')
    expect(notes).toEqual(['blue'])
    const third = await sdkRun(agent, "What's my favorite color?", { session: new IndexedDBSession<AgentInputItem>('sdk_interop', { dbName }) })
    expect(third.finalOutput).toBe('Your favorite color is blue!')

    const lastInput = model.requests[3]!.input as { role?: string; type?: string }[]
    expect(lastInput.filter((i) => i.role === 'user')).toHaveLength(3)
    expect(lastInput.map((i) => i.type === 'message' || i.type === undefined ? i.role : i.type)).toEqual([
      'user', 'assistant', 'user', 'function_call', 'function_call_result', 'assistant', 'user',
    ])
    const stored = await session.getItems()
    // the 7 items sent last time plus the final answer, each saved once
    expect(stored).toHaveLength(8)
  })
})
