// Human in the loop in our runner: tools that need approval, interruptions, RunState,
// resuming, rejecting, abandoning, streaming, and toolUseBehavior. Logic in Node (memory
// and fake-indexeddb sessions); the reload in real browsers is in approvals.browser.test.ts.
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { InvalidArgumentError, InvalidRunStateError, PendingRunConflictError } from '../../src/errors.js'
import { SummarizingCompactionSession } from '../../src/compaction/summarizing-session.js'
import { EncryptedSession } from '../../src/encrypted/encrypted-session.js'
import { deleteSession, listSessions } from '../../src/idb/admin.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import type { AgentItem } from '../../src/items/types.js'
import { StaleRunStateError } from '../../src/model/errors.js'
import { Agent } from '../../src/runner/agent.js'
import { TOOL_APPROVAL_ABANDONED_MESSAGE, TOOL_APPROVAL_REJECTION_MESSAGE } from '../../src/runner/approvals.js'
import type { RunStreamEvent } from '../../src/runner/events.js'
import { RunState } from '../../src/runner/run-state.js'
import { run } from '../../src/runner/runner.js'
import { tool } from '../../src/runner/tool.js'
import { isPendingRunsSession, type PendingRunsSession } from '../../src/session/capabilities.js'
import { MemorySession } from '../../src/session/memory.js'
import type { Session } from '../../src/session/session.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { expectWholeTurns } from './helpers.js'

interface Notes {
  notes: Map<string, string>
}

function notesTools(deleted: string[] = []) {
  const deleteNote = tool({
    name: 'delete_note',
    description: 'Delete a note.',
    parameters: z.object({ title: z.string() }),
    needsApproval: true,
    execute: ({ title }, ctx) => {
      deleted.push(title)
      ;(ctx.context as Notes).notes.delete(title)
      return `Deleted note '${title}'`
    },
  })
  const listNotes = tool({
    name: 'list_notes',
    description: 'List notes.',
    parameters: z.object({}),
    execute: (_args, ctx) => [...(ctx.context as Notes).notes.keys()].join(', ') || 'none',
  })
  return { deleteNote, listNotes, deleted }
}

function context(): Notes {
  return { notes: new Map([['groceries', 'milk'], ['ideas', 'a book']]) }
}

const dbName = `approvals-${crypto.randomUUID()}`
afterAll(
  () =>
    new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(dbName)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    }),
)

const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
const memoryUnder = new Map<string, MemorySession>()
const kinds: Array<[string, (id: string) => PendingRunsSession]> = [
  ['MemorySession', () => new MemorySession()],
  ['IndexedDBSession', (id) => new IndexedDBSession(id, { dbName })],
  ['EncryptedSession over IndexedDBSession', (id) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key })],
  [
    'SummarizingCompactionSession over IndexedDBSession',
    (id) => new SummarizingCompactionSession({ underlyingSession: new IndexedDBSession(id, { dbName }), summarize: async () => 'summary' }) as unknown as PendingRunsSession,
  ],
  // A new EncryptedSession over the same MemorySession stands for a reload.
  ['EncryptedSession over MemorySession', (id) => EncryptedSession.wrap(memoryUnder.get(id) ?? memoryUnder.set(id, new MemorySession()).get(id)!, { key })],
]

describe.each(kinds)('approvals with %s', (_kind, makeSession) => {
  const sessionFor = (): { session: PendingRunsSession; reopen: () => PendingRunsSession } => {
    const id = `s-${crypto.randomUUID()}`
    const session = makeSession(id)
    // A MemorySession cannot be reopened: the same object stands for "after a reload".
    return { session, reopen: () => (session instanceof MemorySession ? session : makeSession(id)) }
  }

  it('stops at a call that needs approval, keeps history whole, and resumes after approval', async () => {
    const { deleteNote, listNotes, deleted } = notesTools()
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'list_notes', arguments: {}, callId: 'c_list' }, { name: 'delete_note', arguments: { title: 'groceries' }, callId: 'c_del' }] },
      'Deleted the groceries note.',
    ])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote, listNotes] })
    const { session, reopen } = sessionFor()
    const ctx = context()
    const result = await run(agent, 'Delete my groceries note', { session, context: ctx })
    expect(result.finalOutput).toBeUndefined()
    expect(result.interruptions.map((i) => [i.type, i.toolName, i.arguments, i.callId])).toEqual([
      ['tool_approval_item', 'delete_note', '{"title":"groceries"}', 'c_del'],
    ])
    expect(deleted).toEqual([])
    // The paused turn is not in the history: nothing there is an orphan call.
    expect(await session.getItems()).toEqual([])
    expect((await session.getPendingRun())?.runId).toBe(result.state!.data.runId)

    // After a "reload": the state comes back from the session.
    const again = reopen()
    const state = await RunState.fromSession(agent, again)
    expect(state?.getInterruptions().map((i) => i.callId)).toEqual(['c_del'])
    state!.approve(state!.getInterruptions()[0]!)
    const resumed = await run(agent, state!, { session: again, context: ctx })
    expect(resumed.finalOutput).toBe('Deleted the groceries note.')
    expect(resumed.interruptions).toEqual([])
    expect(deleted).toEqual(['groceries'])
    expect([...ctx.notes.keys()]).toEqual(['ideas'])
    const items = await again.getItems()
    expectWholeTurns(items)
    expect(items.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call', 'function_call_output', 'function_call_output', 'message'])
    expect(items.filter((i) => i.type === 'function_call_output').map((i) => [i.call_id, i.output])).toEqual([
      ['c_list', 'groceries, ideas'],
      ['c_del', "Deleted note 'groceries'"],
    ])
    expect(await again.getPendingRun()).toBeUndefined()
    // The model saw the whole turn with both outputs.
    expect(model.requests[1]!.input.filter((i) => i.type === 'function_call_output')).toHaveLength(2)
    // The same state cannot be resumed twice.
    const twice = await run(agent, state!, { session: again, context: ctx }).catch((e: unknown) => e)
    expect(twice).toBeInstanceOf(StaleRunStateError)
    expect(deleted).toEqual(['groceries'])
    expect(await again.getItems()).toEqual(items)
  })

  it('rejects with the default or a given message; the model reads it and the tool never runs', async () => {
    for (const message of [undefined, 'The user said no: keep it.']) {
      const { deleteNote, deleted } = notesTools()
      const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'OK, I kept it.'])
      const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
      const { session } = sessionFor()
      const first = await run(agent, 'Delete ideas', { session, context: context() })
      const state = first.state!
      state.reject(first.interruptions[0]!, message === undefined ? {} : { message })
      const done = await run(agent, state, { session, context: context() })
      expect(done.finalOutput).toBe('OK, I kept it.')
      expect(deleted).toEqual([])
      const output = (await session.getItems()).find((i) => i.type === 'function_call_output')
      expect(output?.output).toBe(message ?? TOOL_APPROVAL_REJECTION_MESSAGE)
      expectWholeTurns(await session.getItems())
    }
  })

  it('approves some calls and rejects others in one turn', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([
      {
        toolCalls: [
          { name: 'delete_note', arguments: { title: 'groceries' }, callId: 'a' },
          { name: 'delete_note', arguments: { title: 'ideas' }, callId: 'b' },
        ],
      },
      'Deleted groceries, kept ideas.',
    ])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const { session } = sessionFor()
    const first = await run(agent, 'Delete both', { session, context: context() })
    expect(first.interruptions.map((i) => i.callId)).toEqual(['a', 'b'])
    const state = first.state!
    // Deciding only one: resuming runs nothing and writes nothing.
    state.approve(first.interruptions[0]!)
    const partial = await run(agent, state, { session, context: context() })
    expect(partial.interruptions.map((i) => i.callId)).toEqual(['a', 'b'])
    expect(deleted).toEqual([])
    expect(model.requests).toHaveLength(1)
    expect(await session.getItems()).toEqual([])
    state.reject(first.interruptions[1]!)
    const done = await run(agent, state, { session, context: context() })
    expect(done.finalOutput).toBe('Deleted groceries, kept ideas.')
    expect(deleted).toEqual(['groceries'])
    const outputs = (await session.getItems()).filter((i) => i.type === 'function_call_output')
    expect(outputs.map((o) => [o.call_id, o.output])).toEqual([
      ['a', "Deleted note 'groceries'"],
      ['b', TOOL_APPROVAL_REJECTION_MESSAGE],
    ])
  })

  it('a new message abandons the waiting run: its calls are answered as cancelled, then the new message runs', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'Sure, what instead?'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const { session } = sessionFor()
    const first = await run(agent, 'Delete ideas', { session, context: context() })
    const stale = first.state!
    stale.approve(first.interruptions[0]!) // approved, but never resumed
    const next = await run(agent, 'Never mind, do something else', { session, context: context() })
    expect(next.finalOutput).toBe('Sure, what instead?')
    expect(deleted).toEqual([])
    const items = await session.getItems()
    expectWholeTurns(items)
    expect(items.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output', 'user', 'message'])
    expect(items[2]!.output).toBe(TOOL_APPROVAL_ABANDONED_MESSAGE)
    expect(next.savedItems.slice(0, 3)).toEqual(items.slice(0, 3))
    expect(model.requests[1]!.input.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output', 'user'])
    expect(await session.getPendingRun()).toBeUndefined()
    // The abandoned state is refused, and nothing is written.
    const error = await run(agent, stale, { session, context: context() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StaleRunStateError)
    expect((error as StaleRunStateError).code).toBe('run_state_stale')
    expect(await session.getItems()).toEqual(items)
    expect(deleted).toEqual([])
  })

  it('refuses a state whose session changed meanwhile, running and writing nothing', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'done'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const { session } = sessionFor()
    const first = await run(agent, 'Delete ideas', { session, context: context() })
    const state = first.state!
    state.approve(first.interruptions[0]!)
    await session.addItems([{ role: 'user', content: 'written by someone else' }])
    const before = await session.getItems()
    const error = await run(agent, state, { session, context: context() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StaleRunStateError)
    expect(deleted).toEqual([])
    expect(await session.getItems()).toEqual(before)
    expect((await session.getPendingRun())?.runId).toBe(state.data.runId)
  })

  it('round-trips through toString/fromString, decisions included', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'done'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const { session } = sessionFor()
    const first = await run(agent, 'Delete ideas', { session, context: context() })
    first.state!.approve(first.interruptions[0]!)
    const text = first.state!.toString()
    const copy = await RunState.fromString(agent, text)
    expect(copy.decisionFor('c1')).toEqual({ approved: true })
    expect(copy.toString()).toBe(text)
    await run(agent, copy, { session, context: context() })
    expect(deleted).toEqual(['ideas'])
  })

  it('clearSession drops the waiting run', async () => {
    const { deleteNote } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const { session } = sessionFor()
    await run(agent, 'Delete ideas', { session, context: context() })
    await session.clearSession()
    expect(await session.getPendingRun()).toBeUndefined()
  })

  it('updatePendingRun is a compare-and-set: a wrong expectation writes nothing', async () => {
    const { session } = sessionFor()
    await session.addItems([{ role: 'user', content: 'hi' }])
    const next = { runId: 'r1', state: '{}', createdAt: 1 }
    await session.updatePendingRun({ expected: null, items: [], next })
    const error = await session.updatePendingRun({ expected: 'other', items: [{ role: 'user', content: 'x' }], next: null }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PendingRunConflictError)
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'hi' }])
    expect(await session.getPendingRun()).toEqual(next)
    const twice = await session.updatePendingRun({ expected: null, items: [], next: { ...next, runId: 'r2' } }).catch((e: unknown) => e)
    expect(twice).toBeInstanceOf(PendingRunConflictError)
    // Bad input is a typed error and changes nothing.
    const badItem = await session.updatePendingRun({ expected: 'r1', items: [{ role: 'user', content: new Date() } as unknown as AgentItem], next: null }).catch((e: unknown) => e)
    expect(badItem).toMatchObject({ code: 'invalid_item' })
    const badRun = await session.updatePendingRun({ expected: 'r1', items: [], next: { runId: '', state: 'x', createdAt: 1 } }).catch((e: unknown) => e)
    expect(badRun).toBeInstanceOf(InvalidArgumentError)
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'hi' }])
    expect(await session.getPendingRun()).toEqual(next)
    await session.updatePendingRun({ expected: 'r1', items: [{ role: 'assistant', content: 'a' }], next: null })
    expect(await session.getItems()).toHaveLength(2)
    expect(await session.getPendingRun()).toBeUndefined()
  })
})

describe('approvals with EncryptedSession', () => {
  it('keeps the pending state sealed: no argument, input or output in clear, and a wrong key cannot read it', async () => {
    const { deleteNote, listNotes } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'list_notes', arguments: {} }, { name: 'delete_note', arguments: { title: 'secret-diary' }, callId: 'c1' }] }, 'done'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote, listNotes] })
    const inner = new MemorySession()
    const session = EncryptedSession.wrap(inner, { key })
    const ctx = { notes: new Map([['secret-diary', 'x'], ['private-plans', 'y']]) }
    await run(agent, 'Please delete my confidential note', { session, context: ctx })
    const stored = JSON.stringify(await inner.getPendingRun())
    for (const secret of ['secret-diary', 'private-plans', 'confidential', 'delete_note']) expect(stored).not.toContain(secret)
    const otherKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    await expect(RunState.fromSession(agent, EncryptedSession.wrap(inner, { key: otherKey }))).rejects.toMatchObject({ code: 'wrong_key' })
    // Moved to another session, the sealed state does not open.
    const elsewhere = new MemorySession(`another-${inner.sessionId}`)
    await elsewhere.updatePendingRun({ expected: null, items: [], next: (await inner.getPendingRun())! })
    await expect(RunState.fromSession(agent, EncryptedSession.wrap(elsewhere, { key }))).rejects.toMatchObject({ code: 'decryption_failed' })
  })
})

describe('approvals: the rest', () => {
  it('needsApproval as a function decides per call from the parsed arguments and the context', async () => {
    const seen: unknown[] = []
    const remove = tool({
      name: 'remove',
      description: 'Remove.',
      parameters: z.object({ title: z.string() }),
      needsApproval: async (ctx, args) => {
        seen.push([ctx.context, args])
        return args.title.startsWith('important')
      },
      execute: ({ title }) => `removed ${title}`,
    })
    const model = new ScriptedModel([
      {
        toolCalls: [
          { name: 'remove', arguments: { title: 'scratch' }, callId: 'x' },
          { name: 'remove', arguments: { title: 'important plan' }, callId: 'y' },
          { name: 'remove', arguments: '{broken', callId: 'z' },
        ],
      },
    ])
    const agent = new Agent({ name: 'a', model, tools: [remove] })
    const result = await run(agent, 'go', { context: 'ctx' })
    expect(seen).toEqual([
      ['ctx', { title: 'scratch' }],
      ['ctx', { title: 'important plan' }],
    ])
    expect(result.interruptions.map((i) => i.callId)).toEqual(['y'])
    // The calls that needed no approval ran and wait in the state with their outputs.
    expect(result.state!.data.turnItems.filter((i) => i.type === 'function_call_output').map((i) => i.call_id)).toEqual(['x', 'z'])
  })

  it('without a session, the state carries the conversation and resumes it', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'Gone.'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const history: AgentItem[] = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
    ]
    const first = await run(agent, [...history, { role: 'user', content: 'Delete ideas' }], { context: context() })
    const state = await RunState.fromString(agent, first.state!.toString())
    state.approve(state.getInterruptions()[0]!)
    const done = await run(agent, state, { context: context() })
    expect(done.finalOutput).toBe('Gone.')
    expect(deleted).toEqual(['ideas'])
    expect(model.requests[1]!.input.map((i) => i.type ?? i.role)).toEqual(['user', 'assistant', 'user', 'function_call', 'function_call_output'])
    expect(done.usage.requests).toBe(2)
    // Resuming with a session it did not pause in is refused.
    await expect(run(agent, state, { session: new MemorySession() })).rejects.toMatchObject({ code: 'invalid_argument' })
  })

  it('refuses garbled and hostile strings with InvalidRunStateError', async () => {
    const { deleteNote } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const first = await run(agent, 'Delete ideas', { context: context() })
    const good = JSON.parse(first.state!.toString()) as Record<string, unknown>
    const bad: unknown[] = [
      'not json {',
      'null',
      '[]',
      JSON.stringify({ ...good, format: 'other' }),
      JSON.stringify({ ...good, version: 99 }),
      JSON.stringify({ ...good, agentName: 'someone else' }),
      JSON.stringify({ ...good, pendingCallIds: ['nope'] }),
      JSON.stringify({ ...good, pendingCallIds: [] }),
      JSON.stringify({ ...good, decisions: [{ callId: 'constructor', approved: true }] }),
      JSON.stringify({ ...good, turnItems: [null] }),
      JSON.stringify({ ...good, turn: -1 }),
      JSON.stringify({ ...good, __proto__: { runId: 'x' }, runId: undefined }),
      42,
    ]
    for (const text of bad) {
      const error = await RunState.fromString(agent, text as string).catch((e: unknown) => e)
      expect(error, String(text)).toBeInstanceOf(InvalidRunStateError)
      expect((error as InvalidRunStateError).code).toBe('invalid_run_state')
    }
    // approve/reject take only this state's items.
    const state = first.state!
    const other = await run(new Agent({ name: 'notes', model: new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'x' }, callId: 'c9' }] }]), tools: [deleteNote] }), 'x', { context: context() })
    expect(() => state.approve(other.interruptions[0]!)).toThrow(InvalidArgumentError)
  })

  it('a stored state that cannot be read stops a new message with a typed error, nothing written', async () => {
    const session = new MemorySession()
    await session.updatePendingRun({ expected: null, items: [], next: { runId: 'r1', state: 'garbage', createdAt: 1 } })
    const agent = new Agent({ name: 'a', model: new ScriptedModel(['hi']) })
    await expect(run(agent, 'hello', { session })).rejects.toMatchObject({ code: 'invalid_run_state' })
    expect(await session.getItems()).toEqual([])
    await expect(RunState.fromSession(agent, session)).rejects.toBeInstanceOf(InvalidRunStateError)
  })

  it('streams the approval request as run_item_stream_event tool_approval_requested, and resumes streamed', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'It is gone.'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const session = new MemorySession()
    const stream = await run(agent, 'Delete ideas', { session, context: context(), stream: true })
    const events: RunStreamEvent[] = []
    for await (const event of stream) events.push(event)
    await stream.completed
    const requested = events.filter((e) => e.type === 'run_item_stream_event' && e.name === 'tool_approval_requested')
    expect(requested).toHaveLength(1)
    expect(requested[0]).toMatchObject({ item: { type: 'tool_approval_item', rawItem: { call_id: 'c1', name: 'delete_note' } } })
    expect(events.some((e) => e.type === 'turn_saved_event')).toBe(false)
    expect(stream.interruptions.map((i) => i.callId)).toEqual(['c1'])
    expect(stream.finalOutput).toBeUndefined()
    const state = stream.state!
    state.approve(stream.interruptions[0]!)
    const resumed = await run(agent, state, { session, context: context(), stream: true })
    const later: RunStreamEvent[] = []
    for await (const event of resumed) later.push(event)
    expect(resumed.finalOutput).toBe('It is gone.')
    expect(deleted).toEqual(['ideas'])
    expect(later.filter((e) => e.type === 'run_item_stream_event').map((e) => e.name)).toEqual(['tool_output', 'message_output_created'])
    expect(later.filter((e) => e.type === 'turn_saved_event')).toHaveLength(2)
    expectWholeTurns(await session.getItems())
  })

  it('a resumed run that pauses again keeps the first turn and waits on the second', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] },
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'groceries' }, callId: 'c2' }] },
      'Both gone.',
    ])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const session = new MemorySession()
    const first = await run(agent, 'Delete all', { session, context: context() })
    first.state!.approve(first.interruptions[0]!)
    const second = await run(agent, first.state!, { session, context: context() })
    expect(second.interruptions.map((i) => i.callId)).toEqual(['c2'])
    expect((await session.getItems()).map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output'])
    expect((await session.getPendingRun())?.runId).toBe(second.state!.data.runId)
    second.state!.approve(second.interruptions[0]!)
    const done = await run(agent, second.state!, { session, context: context() })
    expect(done.finalOutput).toBe('Both gone.')
    expect(deleted).toEqual(['ideas', 'groceries'])
    expect(done.usage.requests).toBe(3)
    expectWholeTurns(await session.getItems())
  })

  it("the session's usage counts every request once: paused, resumed, abandoned", async () => {
    const { deleteNote, listNotes } = notesTools()
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'list_notes', arguments: {} }] },
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] },
      'Gone.',
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'groceries' }, callId: 'c2' }] },
      'Fine.',
    ])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote, listNotes] })
    const session = new MemorySession()
    const first = await run(agent, 'List, then delete ideas', { session, context: context() })
    expect((await session.getSessionUsage()).requests).toBe(0) // travels in the state while paused
    first.state!.approve(first.interruptions[0]!)
    const done = await run(agent, first.state!, { session, context: context() })
    expect(done.usage.requests).toBe(3)
    expect((await session.getSessionUsage()).requests).toBe(3)
    await run(agent, 'Delete groceries', { session, context: context() })
    await run(agent, 'Never mind', { session, context: context() }) // abandons it
    expect((await session.getSessionUsage()).requests).toBe(5)
  })

  it('deleteSession drops the paused run with the history; a first message that paused makes the session listed', async () => {
    const { deleteNote } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const id = `del-${crypto.randomUUID()}`
    await run(agent, 'Delete ideas', { session: new IndexedDBSession(id, { dbName }), context: context() })
    expect((await listSessions({ dbName, limit: 1000 })).sessions.some((info) => info.sessionId === id)).toBe(true)
    await deleteSession(id, { dbName })
    expect(await new IndexedDBSession(id, { dbName }).getPendingRun()).toBeUndefined()
  })

  it('alwaysApprove / alwaysReject decide later calls of the tool in the same run, through toString too', async () => {
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'a' }, callId: 'c1' }] },
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'b' }, callId: 'c2' }] },
      'Both gone.',
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'c' }, callId: 'c3' }] },
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'd' }, callId: 'c4' }] },
      'Kept both.',
      { toolCalls: [{ name: 'delete_note', arguments: { title: 'e' }, callId: 'c5' }] },
    ])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const session = new MemorySession()
    const first = await run(agent, 'Delete a and b', { session, context: context() })
    const approving = await RunState.fromString(agent, first.state!.toString())
    approving.approve(approving.getInterruptions()[0]!, { alwaysApprove: true })
    const done = await run(agent, await RunState.fromString(agent, approving.toString()), { session, context: context() })
    expect(done.finalOutput).toBe('Both gone.')
    expect(done.interruptions).toEqual([])
    expect(deleted).toEqual(['a', 'b'])

    const second = await run(agent, 'Delete c and d', { session, context: context() })
    second.state!.reject(second.interruptions[0]!, { alwaysReject: true, message: 'No deleting today.' })
    expect((await run(agent, second.state!, { session, context: context() })).finalOutput).toBe('Kept both.')
    expect(deleted).toEqual(['a', 'b'])
    const outputs = (await session.getItems()).filter((i) => i.type === 'function_call_output').map((i) => [i.call_id, i.output])
    expect(outputs.slice(2)).toEqual([
      ['c3', 'No deleting today.'],
      ['c4', 'No deleting today.'],
    ])
    // A standing decision lasts for its run only: a new run asks again.
    expect((await run(agent, 'Delete e', { session, context: context() })).interruptions.map((i) => i.callId)).toEqual(['c5'])
    expectWholeTurns(await session.getItems())
  })

  it('maxTurns counts the model calls made before the pause', async () => {
    const { deleteNote } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'never'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const session = new MemorySession()
    const first = await run(agent, 'Delete ideas', { session, context: context(), maxTurns: 1 })
    first.state!.approve(first.interruptions[0]!)
    await expect(run(agent, first.state!, { session, context: context(), maxTurns: 1 })).rejects.toMatchObject({ code: 'max_turns_exceeded' })
    // The approved turn was saved whole before the limit stopped the run.
    expect((await session.getItems()).map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output'])
  })

  it('sessions without the capability: nothing is stored while paused, and the app keeps the string', async () => {
    const inner = new MemorySession()
    const plain: Session = {
      sessionId: 'plain',
      getSessionId: async () => 'plain',
      getItems: (limit) => inner.getItems(limit),
      addItems: (items) => inner.addItems(items),
      popItem: () => inner.popItem(),
      clearSession: () => inner.clearSession(),
    }
    expect(isPendingRunsSession(plain)).toBe(false)
    const { deleteNote, deleted } = notesTools()
    const model = new ScriptedModel([{ toolCalls: [{ name: 'delete_note', arguments: { title: 'ideas' }, callId: 'c1' }] }, 'ok'])
    const agent = new Agent({ name: 'notes', model, tools: [deleteNote] })
    const first = await run(agent, 'Delete ideas', { session: plain, context: context() })
    expect(await RunState.fromSession(agent, plain)).toBeUndefined()
    expect(await inner.getItems()).toEqual([])
    const state = await RunState.fromString(agent, first.state!.toString())
    state.approve(state.getInterruptions()[0]!)
    await run(agent, state, { session: plain, context: context() })
    expect(deleted).toEqual(['ideas'])
    expectWholeTurns(await inner.getItems())
    // Resumed once, the history changed: the same string is refused.
    const again = await RunState.fromString(agent, first.state!.toString())
    again.approve(again.getInterruptions()[0]!)
    await expect(run(agent, again, { session: plain, context: context() })).rejects.toBeInstanceOf(StaleRunStateError)
    expect(deleted).toEqual(['ideas'])
  })
})

describe('toolUseBehavior', () => {
  const lookup = tool({ name: 'lookup', description: 'Look up.', parameters: z.object({ q: z.string() }), execute: ({ q }) => `found ${q}` })
  const other = tool({ name: 'other', description: 'Other.', parameters: z.object({}), execute: () => 'other output' })

  it("'run_llm_again' (the default) calls the model with the outputs", async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'lookup', arguments: { q: 'a' } }] }, 'answer'])
    const agent = new Agent({ name: 'a', model, tools: [lookup] })
    expect(agent.toolUseBehavior).toBe('run_llm_again')
    expect((await run(agent, 'q')).finalOutput).toBe('answer')
    expect(model.requests).toHaveLength(2)
  })

  it("'stop_on_first_tool' ends with the first call's output, saved whole", async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: 'other', arguments: {} }, { name: 'lookup', arguments: { q: 'a' } }] }, 'never'])
    const agent = new Agent({ name: 'a', model, tools: [lookup, other], toolUseBehavior: 'stop_on_first_tool' })
    const session = new MemorySession()
    const result = await run(agent, 'q', { session })
    expect(result.finalOutput).toBe('other output')
    expect(model.requests).toHaveLength(1)
    expectWholeTurns(await session.getItems())
    expect(await session.getItems()).toHaveLength(5)
  })

  it('{ stopAtToolNames } stops only at the listed tools, with the first listed call’s output', async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'other', arguments: {} }] },
      { toolCalls: [{ name: 'other', arguments: {} }, { name: 'lookup', arguments: { q: 'b' } }] },
      'never',
    ])
    const agent = new Agent({ name: 'a', model, tools: [lookup, other], toolUseBehavior: { stopAtToolNames: ['lookup'] } })
    const result = await run(agent, 'q')
    expect(result.finalOutput).toBe('found b')
    expect(model.requests).toHaveLength(2)
  })

  it('a stop tool that was rejected does not stop the run: the model hears the rejection', async () => {
    const guarded = tool({ name: 'lookup', description: 'Look up.', parameters: z.object({ q: z.string() }), needsApproval: true, execute: ({ q }) => `found ${q}` })
    const model = new ScriptedModel([{ toolCalls: [{ name: 'lookup', arguments: { q: 'a' } }] }, 'Not allowed, fine.'])
    const agent = new Agent({ name: 'a', model, tools: [guarded], toolUseBehavior: 'stop_on_first_tool' })
    const first = await run(agent, 'q')
    first.state!.reject(first.interruptions[0]!)
    expect((await run(agent, first.state!)).finalOutput).toBe('Not allowed, fine.')
    expect(model.requests).toHaveLength(2)
  })

  it('with an outputType the stopping output is parsed; a bad form is an InvalidArgumentError', async () => {
    const json = tool({ name: 'json', description: 'J.', parameters: z.object({}), execute: () => ({ answer: 42 }) })
    const model = new ScriptedModel([{ toolCalls: [{ name: 'json', arguments: {} }] }])
    const agent = new Agent({ name: 'a', model, tools: [json], outputType: z.object({ answer: z.number() }), toolUseBehavior: 'stop_on_first_tool' })
    expect((await run(agent, 'q')).finalOutput).toEqual({ answer: 42 })
    expect(() => new Agent({ name: 'a', toolUseBehavior: 'sometimes' as 'run_llm_again' })).toThrow(InvalidArgumentError)
    expect(() => new Agent({ name: 'a', toolUseBehavior: { stopAtToolNames: [1] } as unknown as { stopAtToolNames: string[] } })).toThrow(InvalidArgumentError)
  })
})
