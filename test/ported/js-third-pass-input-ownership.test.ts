// Which of what a run sends it saves: the JavaScript Agents SDK tests this on its session
// persistence tracker and its `callModelInputFilter` (equal-content items, clones, reordered
// and injected items, duplicated provider items). Here the same situations come through the
// `sessionInputCallback` (this library's one hook between history and request) and through
// the stored history itself, on every session kind, non-streamed and streamed.
import { describe, expect, it } from 'vitest'
import { Agent, run, type AgentItem } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { assistant, functionOutput, RecordingSession, storedTexts, texts, user } from './support/items.js'
import { modes, runIn } from './support/run-modes.js'

const clone = (item: AgentItem): AgentItem => structuredClone(item)
/** A message as its role, anything else as its type. */
const typesOf = (items: readonly AgentItem[]) => items.map((i) => (typeof i.role === 'string' ? i.role : i.type))

for (const kind of allKinds) {
  describe.each(modes)(`${kind.name}: what a run saves of what it sends (ported, %s)`, (mode) => {
    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'persists repeated source occurrences with filter configured as %s'
    it('saves both of two equal new messages, with no callback and with a callback returning copies of everything', async () => {
      const model = new ScriptedModel(['first answer', 'second answer'])
      const agent = new Agent({ name: 'test', model })
      const session = new RecordingSession(kind.make())
      await runIn(mode, agent, [user('shared'), user('shared')], { session })
      await runIn(mode, agent, [user('shared'), user('shared')], {
        session,
        sessionInputCallback: (history, input) => [...history, ...input].map(clone),
      })
      expect(session.batches.map(texts)).toEqual([
        ['shared', 'shared', 'first answer'],
        ['shared', 'shared', 'second answer'],
      ])
      expect(texts(model.requests[1]!.input)).toEqual(['shared', 'shared', 'first answer', 'shared', 'shared'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'uses exact source ownership for equal-content items'
    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'keeps reordered equal-content current input ownership after context cloning'
    it('saves once a new message equal to a stored one when the callback returns copies of both, the new one first', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('same')])
      await runIn(mode, new Agent({ name: 'test', model }), [user('same')], {
        session,
        sessionInputCallback: (history, input) => [clone(input[0]!), clone(history[0]!)],
      })
      expect(texts(model.requests[0]!.input)).toEqual(['same', 'same'])
      expect(session.batches.map(texts)).toEqual([['same', 'answer']])
      expect(await storedTexts(session)).toEqual(['same', 'same', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'keeps current input ownership when context processing removes a prefix'
    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'keeps current input ownership when context processing clones items'
    it('saves the new message when the callback drops the history and returns a copy of the input', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('history'), assistant('old answer')])
      await runIn(mode, new Agent({ name: 'test', model }), [user('current')], {
        session,
        sessionInputCallback: (_history, input) => input.map(clone),
      })
      expect(texts(model.requests[0]!.input)).toEqual(['current'])
      expect(session.batches.map(texts)).toEqual([['current', 'answer']])
      expect(await storedTexts(session)).toEqual(['history', 'old answer', 'current', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'keeps current ownership when an equal-content cloned context removes a suffix'
    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'does not guess ownership for an equal-content cloned subset without provenance'
    // (The SDK saves the copy in the first case and nothing in the second, where the copy came
    // from history. A copy is content only: here new input comes first, as SessionInputCallback
    // documents, so a repeated "yes" is never lost; the history then holds what was sent.)
    it('takes one copy that could be either the stored message or the equal new one for the new one, and saves it', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('same')])
      await runIn(mode, new Agent({ name: 'test', model }), [user('same')], {
        session,
        sessionInputCallback: (history) => [clone(history[0]!)],
      })
      expect(texts(model.requests[0]!.input)).toEqual(['same'])
      // A Conversations session's history comes back with ids and typed content, so a copy of
      // it is told apart from the new message: it is the stored one, and not saved again.
      expect(session.batches.map(texts)).toEqual(kind.remote ? [['answer']] : [['same', 'answer']])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'retains current ownership for an ordered transformed clone'
    it('saves the new message as the callback rewrote it, not as it was given', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await runIn(mode, new Agent({ name: 'test', model }), [user('sensitive current input')], {
        session,
        sessionInputCallback: (history, input) => [...history, ...input.map((item) => ({ ...item, content: 'redacted current input' }))],
      })
      expect(texts(model.requests[0]!.input)).toEqual(['redacted current input'])
      expect(session.batches.map(texts)).toEqual([['redacted current input', 'answer']])
      expect(JSON.stringify(await session.getItems())).not.toContain('sensitive')
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'does not assign ownership within a surplus equal-content clone group'
    // (The SDK saves none of three copies returned for one stored and one new equal message.
    // Here every returned item is saved except the stored ones, matched up to as many as are
    // stored (SessionInputCallback's TSDoc): two are saved, so the history holds what was sent.)
    it('saves the copies beyond the stored ones when the callback returns more equal copies than there are messages', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('same')])
      await runIn(mode, new Agent({ name: 'test', model }), [user('same')], {
        session,
        sessionInputCallback: (history, input) => [clone(history[0]!), clone(history[0]!), clone(input[0]!)],
      })
      expect(texts(model.requests[0]!.input)).toEqual(['same', 'same', 'same'])
      expect(session.batches.map(texts)).toEqual([['same', 'same', 'answer']])
      expect(await storedTexts(session)).toEqual(['same', 'same', 'same', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'does not assign current ownership to a surplus exact reference'
    it('saves nothing of a stored item the callback returns twice in place of the new message', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('same')])
      await runIn(mode, new Agent({ name: 'test', model }), [user('same')], {
        session,
        sessionInputCallback: (history) => [history[0]!, history[0]!],
      })
      expect(texts(model.requests[0]!.input)).toEqual(['same', 'same'])
      expect(session.batches.map(texts)).toEqual([['answer']])
      expect(await storedTexts(session)).toEqual(['same', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'persists injected filtered items alongside mapped originals'
    it('saves rewritten new messages and an item the callback injected, in the order returned', async () => {
      const model = new ScriptedModel(['answer'])
      const session = new RecordingSession(kind.make())
      await runIn(mode, new Agent({ name: 'test', model }), [user('first'), user('second')], {
        session,
        sessionInputCallback: (history, input) => [
          ...history,
          ...input.map((item) => ({ ...item, content: `${String(item.content)} filtered` })),
          user('injected'),
        ],
      })
      expect(session.batches.map(texts)).toEqual([['first filtered', 'second filtered', 'injected', 'answer']])
    })

    // js packages/agents-core/test/runner/sessionPersistence.extended.test.ts: 'buildPersistInputOnce writes once and skips empty payloads'
    it('writes no empty batch for an empty input, and the input of a run once, across a tool turn', async () => {
      const model = new ScriptedModel(['continued', { toolCalls: [{ name: 'missing_tool', arguments: {}, callId: 'call_once' }] }, 'done'])
      const session = new RecordingSession(kind.make())
      await session.inner.addItems([user('earlier')])
      const agent = new Agent({ name: 'test', model })
      await runIn(mode, agent, [], { session })
      await runIn(mode, agent, 'stream me', { session })
      expect(session.batches.every((batch) => batch.length > 0)).toBe(true)
      expect(session.batches.map(typesOf)).toEqual([['assistant'], ['user', 'function_call', 'function_call_output'], ['assistant']])
      expect((await storedTexts(session)).filter((text) => text === 'stream me')).toHaveLength(1)
    })

    // js packages/agents-core/test/runner/conversation.test.ts: 'normalizes provider-identified duplicates after the filter returns'
    // js packages/agents-core/test/runner/conversation.test.ts: 'normalizes mixed item and call identities without a filter'
    // (The API refuses a request holding two function_call items of one call_id, so a history
    // that came to hold one twice would fail every run: one is sent, the newest, where the first was.)
    it('sends one call of a call id stored twice, the newest, where the first was; both stay stored', async () => {
      const model = new ScriptedModel(['answer'])
      const session = kind.make()
      const oldCall: AgentItem = { type: 'function_call', id: 'fc_old', call_id: 'call_filter', name: 'lookup', arguments: '{"value":"old"}' }
      const newCall: AgentItem = { type: 'function_call', call_id: 'call_filter', name: 'lookup', arguments: '{"value":"new"}' }
      await session.addItems([user('earlier'), oldCall, functionOutput('call_filter', 'done'), newCall])
      await runIn(mode, new Agent({ name: 'test', model }), 'hello', { session })
      const sent = model.requests[0]!.input
      expect(typesOf(sent)).toEqual(['user', 'function_call', 'function_call_output', 'user'])
      expect(sent[1]).toMatchObject({ call_id: 'call_filter', arguments: '{"value":"new"}' })
      expect(sent.filter((item) => item.type === 'function_call')).toHaveLength(1)
      expect(typesOf(await session.getItems())).toEqual(['user', 'function_call', 'function_call_output', 'function_call', 'user', 'assistant'])
    })
  })
}
