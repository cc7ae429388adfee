// The one place that reads the library's streamed-run events (in @openai/agents' shapes).
// The rest of the demo sees ChatEvents only.
import type { RunStreamEvent } from '../../../src/index.js'

export type ChatEvent =
  /** A piece of the answer's text. */
  | { kind: 'text'; delta: string }
  /** The model called a tool. */
  | { kind: 'tool-called'; callId: string; name: string; args: string }
  /** A tool answered. */
  | { kind: 'tool-output'; callId: string; output: string }

/** What `event` means for the chat, or `undefined` when nothing shows. */
export function toChatEvent(event: RunStreamEvent): ChatEvent | undefined {
  if (event.type === 'raw_model_stream_event') {
    return event.data.type === 'output_text_delta' ? { kind: 'text', delta: event.data.delta } : undefined
  }
  if (event.type !== 'run_item_stream_event') return undefined
  const { item } = event
  if (item.type === 'tool_call_item') return { kind: 'tool-called', callId: item.rawItem.call_id, name: item.rawItem.name, args: item.rawItem.arguments }
  if (item.type === 'tool_call_output_item') return { kind: 'tool-output', callId: item.rawItem.call_id, output: item.output }
  return undefined
}
