// `sessionInputCallback`: how stored history and the new input are merged, and which of the
// returned items are saved, as the Python (`session_input_callback`) and JavaScript
// (`sessionInputCallback`) Agents SDKs test it, ported to every session kind.
// What these tests found, and where each finding is now checked: FINDINGS.md.
import { describe, expect, it } from 'vitest'
import { Agent, run, RunError, type AgentItem, type RunOptions, type SessionInputCallback } from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { allKinds } from './support/kinds.js'
import { assistant, RecordingSession, storedTexts, texts, user } from './support/items.js'

/** Runs `callback` once over a session holding `history`; returns what was sent and stored. */
async function merge(
  make: () => RecordingSession,
  history: AgentItem[],
  input: string | AgentItem[],
  callback: SessionInputCallback,
  options: Partial<RunOptions> = {},
) {
  const model = new ScriptedModel(['answer'])
  const session = make()
  if (history.length > 0) await session.inner.addItems(history)
  await run(new Agent({ name: 'test', model }), input, { session, sessionInputCallback: callback, ...options })
  return { sent: texts(model.requests[0]!.input), saved: session.batches.flatMap(texts), stored: await storedTexts(session), session }
}

for (const kind of allKinds) {
  describe(`${kind.name}: sessionInputCallback (ported)`, () => {
    const make = () => new RecordingSession(kind.make())

    // python tests/memory/test_session.py::test_session_callback_prepared_input
    // js packages/agents-core/test/run.test.ts: 'allows list inputs when session input callback is provided'
    it('sends what the callback returns: history without assistant replies, then the new message', async () => {
      const { sent, saved } = await merge(make, [user('Hello there.'), assistant("Hi, I'm here to assist you.")], [user('What your name?')], (history, input) => [
        ...history.filter((item) => item.role === 'user'),
        ...input,
      ])
      expect(sent).toEqual(['Hello there.', 'What your name?'])
      expect(saved).toEqual(['What your name?', 'answer'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_uses_sync_callback
    // python tests/test_agent_runner.py::test_prepare_input_with_session_awaits_async_callback
    // js packages/agents-core/test/run.test.ts: 'supports async session input callback'
    it('awaits an async callback the same as a sync one', async () => {
      const history = [user('Older message'), user('Newest history')]
      const sync = await merge(make, history, 'Fresh input', (h, input) => [...h.slice(-1), ...input])
      const async_ = await merge(make, history, 'Fresh input', async (h, input) => {
        await Promise.resolve()
        return [...h.slice(-1), ...input]
      })
      expect(sync.sent).toEqual(['Newest history', 'Fresh input'])
      expect(async_.sent).toEqual(sync.sent)
      expect(async_.saved).toEqual(['Fresh input', 'answer'])
    })

    // python tests/memory/test_session.py::test_session_callback_repeating_history_does_not_grow_session
    // js packages/agents-core/test/run.test.ts: 'does not grow session history from repeated references across $name turns'
    it.each(['run', 'stream'] as const)('does not save a history item the callback repeats, over three turns (%s)', async (mode) => {
      const model = new ScriptedModel(['assistant 0', 'assistant 1', 'assistant 2'])
      const agent = new Agent({ name: 'test', model })
      const session = kind.make()
      const repeatFirst: SessionInputCallback = (history, input) => (history.length === 0 ? input : [...history, history[0]!, ...input])
      for (let turn = 0; turn < 3; turn++) {
        if (mode === 'run') await run(agent, `user ${turn}`, { session, sessionInputCallback: repeatFirst })
        else await (await run(agent, `user ${turn}`, { session, sessionInputCallback: repeatFirst, stream: true })).completed
      }
      const stored = await session.getItems()
      expect(texts(stored.filter((i) => i.role === 'user'))).toEqual(['user 0', 'user 1', 'user 2'])
      expect(stored).toHaveLength(6)
      expect(texts(model.requests[2]!.input)).toEqual(['user 0', 'assistant 0', 'user 1', 'assistant 1', 'user 0', 'user 2'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_callback_drops_new_items
    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'respects callbacks that intentionally drop new inputs'
    it('saves none of the input the callback drops', async () => {
      const { sent, saved, stored } = await merge(make, [user('history')], 'new', (history) => history)
      expect(sent).toEqual(['history'])
      expect(saved).toEqual(['answer'])
      expect(stored).toEqual(['history', 'answer'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_callback_reorders_new_items
    it('saves new items in the order the callback returns them', async () => {
      const { sent, saved } = await merge(make, [user('history')], [user('first'), user('second')], (history, input) => [input[1]!, history[0]!, input[0]!])
      expect(sent).toEqual(['second', 'history', 'first'])
      expect(saved).toEqual(['second', 'first', 'answer'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_callback_accepts_extra_items
    it('saves an item the callback adds, once', async () => {
      const { sent, saved, stored } = await merge(make, [user('history')], 'new', (history, input) => [assistant('extra'), history[0]!, input[0]!])
      expect(sent).toEqual(['extra', 'history', 'new'])
      expect(saved).toEqual(['extra', 'new', 'answer'])
      expect(stored).toEqual(['history', 'extra', 'new', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'does not persist a repeated original history reference'
    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'keeps equal-content new input when history is repeated'
    // python tests/test_agent_runner.py::test_prepare_input_with_session_repeated_history_keeps_equal_new_item
    it('keeps a new message equal to a repeated history item: saved once, history not again', async () => {
      const { sent, saved, stored } = await merge(make, [user('same')], [user('same')], (history, input) => [history[0]!, history[0]!, input[0]!])
      expect(sent).toEqual(['same', 'same', 'same'])
      expect(saved).toEqual(['same', 'answer'])
      expect(stored).toEqual(['same', 'same', 'answer'])
    })

    // js packages/agents-core/test/run.test.ts: 'persists reordered new items ahead of matching history'
    it('saves a new message placed before an equal history item once', async () => {
      const { sent, saved } = await merge(make, [user('Repeatable message')], [user('Repeatable message')], (history, input) => [...input, ...history])
      expect(sent).toEqual(['Repeatable message', 'Repeatable message'])
      expect(saved).toEqual(['Repeatable message', 'answer'])
    })

    // js packages/agents-core/test/run.test.ts: 'persists transformed session input from callback'
    it('saves the new message as the callback changed it (a redaction)', async () => {
      const { sent, saved } = await merge(make, [], 'Sensitive payload', (history, input) => {
        input[0]!.content = '[redacted]'
        return [...history, ...input]
      })
      expect(sent).toEqual(['[redacted]'])
      expect(saved).toEqual(['[redacted]', 'answer'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_extra_reconstructed_history_item_stays_new
    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'persists an extra reconstructed history copy as injected input'
    it('saves an extra copy of a history item the callback adds beside the original', async () => {
      const { sent, saved } = await merge(make, [user('history')], 'new', (history, input) => [history[0]!, structuredClone(history[0]!), input[0]!])
      expect(sent).toEqual(['history', 'history', 'new'])
      expect(saved).toEqual(['history', 'new', 'answer'])
    })

    // js packages/agents-core/test/run.test.ts: 'does not duplicate history when callback clones entries'
    // python tests/test_agent_runner.py::test_prepare_input_with_session_matches_copied_items_by_content
    it.each([
      ['structuredClone', (item: AgentItem) => structuredClone(item)],
      ['a spread copy', (item: AgentItem) => ({ ...item })],
    ] as const)('does not save again history the callback returns as copies (%s)', async (_name, copy) => {
      const { sent, saved, stored } = await merge(make, [user('Existing history item')], [user('Fresh input')], (history, input) => [
        ...history.map(copy),
        ...input.map(copy),
      ])
      expect(sent).toEqual(['Existing history item', 'Fresh input'])
      expect(saved).toEqual(['Fresh input', 'answer'])
      expect(stored).toEqual(['Existing history item', 'Fresh input', 'answer'])
    })

    it('saves a new message equal to a stored one when the callback returns only copies of the input', async () => {
      const { sent, saved, stored } = await merge(make, [user('yes'), assistant('Shall I go on?')], 'yes', (_history, input) => input.map((item) => structuredClone(item)))
      expect(sent).toEqual(['yes'])
      expect(saved).toEqual(['yes', 'answer'])
      expect(stored).toEqual(['yes', 'Shall I go on?', 'yes', 'answer'])
    })

    it('saves a repeated message once when the history and the input both come back as copies', async () => {
      const { saved, stored } = await merge(make, [user('yes')], 'yes', (history, input) => [...history, ...input].map((item) => structuredClone(item)))
      expect(saved).toEqual(['yes', 'answer'])
      expect(stored).toEqual(['yes', 'yes', 'answer'])
    })

    it('does not save a stored item twice when the callback returns it and a copy of another equal one', async () => {
      const { saved, stored } = await merge(make, [user('same'), user('same')], 'new', (history, input) => [history[0]!, structuredClone(history[1]!), ...input])
      expect(saved).toEqual(['new', 'answer'])
      expect(stored).toEqual(['same', 'same', 'new', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'persists a clone after shared history and new-input identity is consumed'
    it('saves once a copy of history standing for an equal new message the callback dropped; the history item returned twice is not saved', async () => {
      const { sent, saved, stored } = await merge(make, [user('shared')], 'shared', (history) => [history[0]!, history[0]!, structuredClone(history[0]!)])
      expect(sent).toEqual(['shared', 'shared', 'shared'])
      expect(saved).toEqual(['shared', 'answer'])
      expect(stored).toEqual(['shared', 'shared', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'persists appended copies when callbacks mutate history in place'
    // python #4072/#4181, js #1577 (FINDINGS F1)
    it('saves the new message the callback pushed onto the history array it returns', async () => {
      const { sent, saved, stored } = await merge(make, [user('past')], 'fresh', (history, input) => {
        history.push(...input)
        return history
      })
      expect(sent).toEqual(['past', 'fresh'])
      expect(saved).toEqual(['fresh', 'answer'])
      expect(stored).toEqual(['past', 'fresh', 'answer'])
    })

    // python tests/test_agent_runner.py::test_prepare_input_with_session_async_callback_moves_repeated_history_item
    // python tests/test_agent_runner.py::test_prepare_input_with_session_history_moved_to_new_input_stays_history
    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'preserves history provenance after async pop, move, and repeat' (FINDINGS F2)
    it('does not save again a history item the callback moved out of the array and returned', async () => {
      const popped = await merge(make, [user('history')], 'new', async (history, input) => {
        await Promise.resolve()
        const moved = history.pop()!
        return [moved, input[0]!, moved]
      })
      expect(popped.sent).toEqual(['history', 'new', 'history'])
      expect(popped.stored).toEqual(['history', 'new', 'answer'])
      const shifted = await merge(make, [user('history')], 'new', (history, input) => {
        const moved = history.shift()!
        input.unshift(moved)
        return [...input, moved]
      })
      expect(shifted.stored).toEqual(['history', 'new', 'answer'])
    })

    // js packages/agents-core/test/runner/sessionPersistence.test.ts: 'persists a replacement history object as injected input'
    // (python tests/test_agent_runner.py::test_prepare_input_with_session_callback_replaces_history_item keeps it unsaved; FINDINGS F3)
    it('saves a new object the callback put in place of a history item, as SessionInputCallback says', async () => {
      const { sent, stored } = await merge(make, [user('history')], 'new', (history, input) => {
        history[0] = user('summary')
        return [...history, ...input]
      })
      expect(sent).toEqual(['summary', 'new'])
      expect(stored).toEqual(['history', 'summary', 'new', 'answer'])
    })

    // js packages/agents-core/test/run.test.ts: 'throws when session input callback returns invalid data'
    // python tests/test_agent_runner.py::test_prepare_input_with_session_rejects_non_list_callback_result (FINDINGS F5)
    it.each([
      ['a string', 'not-an-array'],
      ['an object', {}],
      ['undefined', undefined],
      ['null', null],
    ])('refuses a callback returning %s before calling the model, nothing stored', async (_label, value) => {
      const model = new ScriptedModel(['answer'])
      const session = make()
      await session.inner.addItems([user('history')])
      const error = await run(new Agent({ name: 'test', model }), 'Hello', { session, sessionInputCallback: () => value as never }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RunError)
      expect((error as RunError).code).toBe('invalid_argument')
      expect((error as Error).message).toMatch(/sessionInputCallback must return an array/)
      expect(model.requests).toHaveLength(0)
      expect(await storedTexts(session)).toEqual(['history'])
    })

    // issue 12 (known issues): a callback that pops the history array, then returns the rest
    it('does not save again the history left after the callback pops one item off', async () => {
      const { sent, saved, stored } = await merge(make, [user('older'), user('newer')], 'new', (history, input) => {
        history.pop()
        return [...history, ...input]
      })
      expect(sent).toEqual(['older', 'new'])
      expect(saved).toEqual(['new', 'answer'])
      expect(stored).toEqual(['older', 'newer', 'new', 'answer'])
    })
  })
}
