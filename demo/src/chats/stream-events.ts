// The one place that reads the library's streamed-run events. The rest of the demo sees
// ChatEvents only, so a change of the event shapes (e.g. to @openai/agents' own
// `raw_model_stream_event` / `run_item_stream_event`) is an edit of this file alone.
import type { RunStreamEvent } from '../../../src/index.js'

export type ChatEvent =
  /** A piece of the answer's text. */
  | { kind: 'text'; delta: string }
  /** The model called a tool. */
  | { kind: 'tool-called'; callId: string; name: string; args: string }
  /** A tool answered. */
  | { kind: 'tool-output'; callId: string; output: string }

const asText = (output: unknown): string => (typeof output === 'string' ? output : JSON.stringify(output))

/** What `event` means for the chat, or `undefined` when nothing shows. */
export function toChatEvent(event: RunStreamEvent): ChatEvent | undefined {
  switch (event.type) {
    case 'text_delta':
      return { kind: 'text', delta: event.delta }
    case 'tool_called':
      return { kind: 'tool-called', callId: event.item.call_id, name: event.item.name, args: event.item.arguments }
    case 'tool_output':
      return { kind: 'tool-output', callId: event.item.call_id, output: asText(event.item.output) }
    default:
      return undefined
  }
}
