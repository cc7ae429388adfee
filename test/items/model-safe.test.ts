import { describe, expect, it } from 'vitest'
import type { AgentItem } from '../../src/items/types.js'
import { modelSafe as dropOrphans } from '../../src/items/model-safe.js'

const user: AgentItem = { role: 'user', content: 'hi' }
const call = (id: string): AgentItem => ({ type: 'function_call', call_id: id, name: 'f', arguments: '{}' })
const output = (id: string): AgentItem => ({ type: 'function_call_output', call_id: id, output: 'ok' })
const reasoning: AgentItem = { type: 'reasoning', summary: [] }
const answer: AgentItem = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] }

describe('dropOrphans', () => {
  it('returns the same array when nothing is orphaned', () => {
    const items = [user, reasoning, call('a'), output('a'), answer]
    expect(dropOrphans(items)).toBe(items)
  })

  it('drops an output whose call was cut off by a limit window (python #4322)', () => {
    expect(dropOrphans([output('a'), answer, user])).toEqual([answer, user])
  })

  it('drops a call without output', () => {
    expect(dropOrphans([user, call('a'), call('b'), output('b')])).toEqual([user, call('b'), output('b')])
  })

  it('drops reasoning not followed by model output (js #929) and keeps chains that are', () => {
    expect(dropOrphans([user, reasoning])).toEqual([user])
    expect(dropOrphans([reasoning, user])).toEqual([user])
    expect(dropOrphans([user, reasoning, reasoning, answer])).toEqual([user, reasoning, reasoning, answer])
    // reasoning whose call was dropped goes too
    expect(dropOrphans([user, reasoning, call('x'), user])).toEqual([user, user])
  })

  it('keeps unknown item types and does not change the input', () => {
    const items = [user, { type: 'compaction', encrypted_content: 'x' }, output('z')]
    const copy = structuredClone(items)
    expect(dropOrphans(items)).toEqual([user, { type: 'compaction', encrypted_content: 'x' }])
    expect(items).toEqual(copy)
  })
})
