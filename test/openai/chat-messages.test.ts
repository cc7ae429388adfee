import { describe, expect, it } from 'vitest'
import { toMessages } from '../../src/openai/chat-completions-model.js'

describe('Chat Completions conversion of stored items', () => {
  it('merges assistant text and the tool calls after it, keeps images, drops reasoning', () => {
    expect(
      toMessages('Be brief.', [
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,AA' }] },
        { type: 'reasoning', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.' }] },
        { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'function_call', call_id: 'c2', name: 'lookup', arguments: '{"q":"y"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'X' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'Y' }] },
        { role: 'developer', content: 'note' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'auto' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
          { id: 'c2', type: 'function', function: { name: 'lookup', arguments: '{"q":"y"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'X' },
      { role: 'tool', tool_call_id: 'c2', content: 'Y' },
      { role: 'developer', content: 'note' },
    ])
  })

  it('gives tool calls without text an assistant message with null content', () => {
    expect(toMessages(undefined, [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }])).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ])
  })
})
