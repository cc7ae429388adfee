// The offline demo model's rules and the version switcher's arithmetic, without a browser.
import { describe, expect, test } from 'vitest'
import type { BranchInfo } from '../../src/index.js'
import { versionsOf } from '../../demo/src/chats/versions.js'
import { SUMMARIZE_REQUEST, think } from '../../demo/src/offline-model/brain.js'

const tools = ['save_note', 'list_notes', 'search_notes', 'update_note', 'delete_note']
const user = (content: string) => ({ role: 'user', content })
const call = (text: string) => think({ input: [user(text)], tools }).toolCalls?.[0]

describe('offline demo model', () => {
  test('understands the notes commands', () => {
    expect(call('Save a note called Groceries: milk, eggs')).toEqual({ name: 'save_note', arguments: { title: 'Groceries', content: 'milk, eggs' } })
    expect(call('list my notes')).toEqual({ name: 'list_notes', arguments: {} })
    expect(call('Search notes for milk?')).toEqual({ name: 'search_notes', arguments: { query: 'milk' } })
    expect(call('Update note Groceries: bread')).toEqual({ name: 'update_note', arguments: { title: 'Groceries', content: 'bread' } })
    expect(call('Delete the note called "Groceries"')).toEqual({ name: 'delete_note', arguments: { title: 'Groceries' } })
  })

  test('offers only the tools it was given', () => {
    expect(think({ input: [user('list my notes')], tools: [] }).toolCalls).toBeUndefined()
  })

  test('answers from history, and after tools from their output', () => {
    const history = [user('My favourite color is blue'), { role: 'assistant', content: 'ok' }, user("What's my favorite color?")]
    expect(think({ input: history, tools }).text).toBe('Your favorite color is blue!')
    expect(think({ input: [user("what's my name?")], tools }).text).toBe("You haven't told me your name yet.")
    const afterTool = [
      user('list my notes'),
      { type: 'function_call', call_id: 'c1', name: 'list_notes', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: '- A: b' },
    ]
    expect(think({ input: afterTool, tools }).text).toBe('Here you go:\n- A: b')
  })

  test('summarizes for compaction (only when offered no tools), and answers from a summary', () => {
    const conversation = [
      'Summary of the earlier conversation:',
      'The user wrote 2 messages before this summary.',
      'They told me:',
      '- my favorite color is blue',
      'User: My favorite color is green',
      'Assistant: Got it!',
      'User: Save a note called A: b',
      'Tool call save_note({"title":"A","content":"b"})',
    ].join('\n')
    const request = user(`${SUMMARIZE_REQUEST}\n\n${conversation}`)
    const summary = think({ input: [request], tools: [] }).text
    expect(summary).toBe('The user wrote 4 messages before this summary.\nThey told me:\n- my favorite color is green\nTools used: save_note.')
    expect(think({ input: [request], tools }).text).not.toBe(summary)
    const compacted = [{ role: 'system', content: `Summary of the earlier conversation:\n${summary}` }, user("What's my favorite color?")]
    expect(think({ input: compacted, tools }).text).toBe('Your favorite color is green!')
  })
})

const branch = (id: string, parentId: string | null, forkTurn: number | null, turnCount: number, createdAt: number, current = false): BranchInfo => ({
  id,
  name: id,
  parentId,
  forkTurn,
  turnCount,
  itemCount: turnCount * 2,
  current,
  createdAt,
})

describe('versions of an edited message', () => {
  test('one version when never edited', () => {
    expect(versionsOf([branch('main', null, null, 3, 0, true)], 2)).toBeUndefined()
  })

  test('edits of one turn are versions of it; later turns have one version each', () => {
    const branches = [branch('main', null, null, 3, 0), branch('b1', 'main', 2, 2, 1), branch('b2', 'b1', 2, 2, 2, true)]
    expect(versionsOf(branches, 2)).toEqual({ index: 2, targets: ['main', 'b1', 'b2'] })
    expect(versionsOf(branches, 1)).toBeUndefined()
  })

  test('an edit after a different prefix is not a version of this turn', () => {
    // b1 edits turn 1; b2 edits turn 2 of main. From b1, turn 2 has no sibling sharing its prefix.
    const branches = [branch('main', null, null, 2, 0), branch('b1', 'main', 1, 2, 1, true), branch('b2', 'main', 2, 2, 2)]
    expect(versionsOf(branches, 2)).toBeUndefined()
    expect(versionsOf(branches, 1)).toEqual({ index: 1, targets: ['b2', 'b1'] })
  })
})

describe('offline demo model, multi-step and memory', () => {
  const listed = (output: string) => [
    user('add bread to my groceries note'),
    { type: 'function_call', call_id: 'c1', name: 'list_notes', arguments: '{}' },
    { type: 'function_call_output', call_id: 'c1', output },
  ]

  test('adding to a note reads the notes first and keeps what the note held', () => {
    expect(call('add bread to my groceries note')).toEqual({ name: 'list_notes', arguments: {} })
    const next = think({ input: listed('- Groceries: milk, eggs'), tools }).toolCalls?.[0]
    expect(next).toEqual({ name: 'update_note', arguments: { title: 'Groceries', content: 'milk, eggs, bread' } })
    const done = [...listed('- Groceries: milk, eggs'), { type: 'function_call', call_id: 'c2', name: 'update_note', arguments: '{}' }, { type: 'function_call_output', call_id: 'c2', output: "Updated note 'Groceries'." }]
    expect(think({ input: done, tools }).text).toBe("Done. Updated note 'Groceries'.")
    expect(think({ input: listed('- Trip: train'), tools }).text).toMatch(/^There is no note called “groceries”/)
  })

  test('remembers what the user likes, and answers briefly otherwise', () => {
    const history = [user('remember that I like tea'), { role: 'assistant', content: 'ok' }, user('I love hiking'), user('what do I like?')]
    expect(think({ input: history, tools }).text).toBe('You like tea and hiking.')
    expect(think({ input: [user('remember that I like tea')], tools }).text).toBe("Got it! I'll remember that you like tea.")
    const unknown = think({ input: [user('the weather is nice today')], tools }).text ?? ''
    expect(unknown.split(/\s+/).length).toBeLessThan(30)
  })
})
