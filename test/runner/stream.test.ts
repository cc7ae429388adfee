import { describe, expect, it } from 'vitest'
import type { AgentItem } from '../../src/items/types.js'
import { AbortError } from '../../src/model/errors.js'
import { run } from '../../src/runner/runner.js'
import type { RunStreamEvent } from '../../src/runner/events.js'
import { MemorySession } from '../../src/session/memory.js'
import type { ScriptedTurn } from '../../src/testing/script.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { expectWholeTurns, RecordingSession, userTexts, withoutIds, type NotesContext } from './helpers.js'
import { notesAgent } from './notes.js'

const script = (): ScriptedTurn[] => [
  { toolCalls: [{ name: 'save_note', arguments: { title: 'Gym', content: 'Tuesday' }, callId: 'call_a' }] },
  { text: 'Saved. Anything else?' },
]

function describeEvent(event: RunStreamEvent): string {
  switch (event.type) {
    case 'agent_updated_stream_event':
      return `${event.type} ${event.agent.name}`
    case 'raw_model_stream_event':
      return `${event.type} ${event.data.type}`
    case 'run_item_stream_event':
      return `${event.type} ${event.name} ${event.item.type}`
    case 'turn_saved_event':
      return `${event.type} ${event.items.length}`
  }
}

async function collect(stream: AsyncIterable<RunStreamEvent>): Promise<RunStreamEvent[]> {
  const events: RunStreamEvent[] = []
  for await (const event of stream) events.push(event)
  return events
}

describe('run(…, { stream: true })', () => {
  it('persists exactly the same items as the non-streaming run, tool calls included (python #2426)', async () => {
    const plain = new RecordingSession(new MemorySession())
    const streamed = new RecordingSession(new MemorySession())
    const context = (): NotesContext => ({ userId: 'alice', notes: [] })
    await run(notesAgent(new ScriptedModel(script())), 'Save gym: Tuesday', { session: plain, context: context() })
    const stream = await run(notesAgent(new ScriptedModel(script())), 'Save gym: Tuesday', {
      session: streamed,
      context: context(),
      stream: true,
    })
    await collect(stream)
    const expected = withoutIds(await plain.getItems())
    expect(expected.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output', 'message'])
    expect(withoutIds(await streamed.getItems())).toEqual(expected)
    expect(streamed.batches.map((b) => withoutIds(b))).toEqual(plain.batches.map((b) => withoutIds(b)))
    expect(stream.finalOutput).toBe('Saved. Anything else?')
    expect((await stream.completed).newItems).toHaveLength(3)
  })

  it('emits text deltas, tool events and saves in order', async () => {
    const stream = await run(notesAgent(new ScriptedModel(script())), 'x', {
      session: new MemorySession(),
      context: { userId: 'a', notes: [] },
      stream: true,
    })
    const events = await collect(stream)
    expect(events.map(describeEvent)).toEqual([
      'agent_updated_stream_event Notes Agent',
      'raw_model_stream_event response_done',
      'run_item_stream_event tool_called tool_call_item',
      'run_item_stream_event tool_output tool_call_output_item',
      'turn_saved_event 3',
      'raw_model_stream_event output_text_delta',
      'raw_model_stream_event output_text_delta',
      'raw_model_stream_event output_text_delta',
      'raw_model_stream_event response_done',
      'run_item_stream_event message_output_created message_output_item',
      'turn_saved_event 1',
    ])
    const text = events.flatMap((e) => (e.type === 'raw_model_stream_event' && e.data.type === 'output_text_delta' ? [e.data.delta] : [])).join('')
    expect(text).toBe('Saved. Anything else?')
  })

  it('works with code written for @openai/agents streams: raw text deltas, run items by name, toStream()', async () => {
    const stream = await run(notesAgent(new ScriptedModel(script())), 'x', { context: { userId: 'a', notes: [] }, stream: true })
    let text = ''
    const toolsCalled: string[] = []
    // The loop below is the one the @openai/agents docs show, unchanged.
    for await (const event of stream.toStream()) {
      if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') text += event.data.delta
      if (event.type === 'run_item_stream_event' && event.name === 'tool_called' && event.item.type === 'tool_call_item') toolsCalled.push(event.item.rawItem.name)
      if (event.type === 'run_item_stream_event' && event.name === 'tool_output' && event.item.type === 'tool_call_output_item') toolsCalled.push(event.item.output)
    }
    await stream.completed
    expect(text).toBe('Saved. Anything else?')
    expect(toolsCalled).toEqual(['save_note', "Saved note: 'Gym'"])
    expect(stream.error).toBeUndefined()
  })

  it('toTextStream() yields only the text', async () => {
    const stream = await run(notesAgent(new ScriptedModel(['Hello there friend'])), 'x', { stream: true, context: { userId: 'a', notes: [] } })
    const parts: string[] = []
    for await (const part of stream.toTextStream()) parts.push(part)
    expect(parts).toEqual(['Hello ', 'there ', 'friend'])
  })

  it('an abort mid-stream saves nothing of the turn and leaves no call without output (js #1190)', async () => {
    const model = new ScriptedModel([
      ...script().slice(0, 1),
      { text: 'This answer is cut off here', stream: { stallAfter: 2 } },
    ])
    const session = new RecordingSession(new MemorySession())
    const controller = new AbortController()
    const stream = await run(notesAgent(model), 'Save gym: Tuesday', {
      session,
      context: { userId: 'a', notes: [] },
      stream: true,
      signal: controller.signal,
    })
    const seen: string[] = []
    const error = await (async () => {
      for await (const event of stream) {
        if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') {
          seen.push(event.data.delta)
          if (seen.length === 2) controller.abort()
        }
      }
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortError)
    await expect(stream.completed).rejects.toBe(error)
    expect(error).toMatchObject({ name: 'AbortError', inputSaved: true })
    expect(seen).toEqual(['This ', 'answer '])
    const stored = await session.getItems()
    expect(stored.map((i) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output'])
    expectWholeTurns(stored)
    expect((error as AbortError).savedItems).toEqual(stored)
  })

  it('after a mid-stream abort on the first turn, the same input can be run again without duplicating it', async () => {
    const model = new ScriptedModel([{ text: 'partial answer that never completes', stream: { stallAfter: 1 } }, 'Done.'])
    const session = new MemorySession()
    const controller = new AbortController()
    const agent = notesAgent(model)
    const context = { userId: 'a', notes: [] }
    const stream = await run(agent, 'hello', { session, context, stream: true, signal: controller.signal })
    const error = await (async () => {
      for await (const event of stream) if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') controller.abort()
    })().catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'AbortError', inputSaved: false, savedItems: [] })
    expect(await session.getItems()).toEqual([])
    const again = await run(agent, 'hello', { session, context, stream: true })
    await again.completed
    const stored: AgentItem[] = await session.getItems()
    expect(userTexts(stored)).toEqual(['hello'])
    expect(stored).toHaveLength(2)
  })

  it('a failing run rejects completed and the iteration with the same typed error', async () => {
    const stream = await run(notesAgent(new ScriptedModel([{ status: 503 }])), 'x', {
      stream: true,
      context: { userId: 'a', notes: [] },
    })
    const error = await collect(stream).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ModelHttpError', status: 503 })
    await expect(stream.completed).rejects.toBe(error)
  })
})
