// The events of a streamed run, in `@openai/agents`' shapes, so that code written for the
// SDK's streams works here: raw model events, run items, agent updates. One event of our
// own says when items were saved to the session.
import type * as z4 from 'zod/v4/core'
import { isCompactionItem, isFunctionCall, isFunctionCallOutput, isReasoningItem } from '../items/predicates.js'
import type { AgentItem, FunctionCallItem, FunctionCallOutputItem } from '../items/types.js'
import type { ModelStreamEvent } from '../model/model.js'
import type { Agent } from './agent.js'
import type { RunToolApprovalItem } from './approvals.js'

/** Any agent, whatever its context and output types. */
export type RunAgent = Agent<never, z4.$ZodType | undefined>

/** What an agent produced, as in `@openai/agents`: the raw item and who produced it. */
export type RunItem =
  | { type: 'message_output_item'; rawItem: AgentItem; agent: RunAgent }
  | { type: 'tool_call_item'; rawItem: FunctionCallItem; agent: RunAgent }
  | { type: 'tool_call_output_item'; rawItem: FunctionCallOutputItem; agent: RunAgent; output: string }
  | { type: 'reasoning_item'; rawItem: AgentItem; agent: RunAgent }
  | { type: 'compaction_item'; rawItem: AgentItem; agent: RunAgent }
  | RunToolApprovalItem

/** The `name` of a {@link RunItemStreamEvent}, as in `@openai/agents`. */
export type RunItemStreamEventName =
  | 'message_output_created'
  | 'tool_called'
  | 'tool_output'
  | 'reasoning_item_created'
  | 'compaction_item_created'
  | 'tool_approval_requested'

/** A model stream event passed through: `data.type` is `'output_text_delta'` or `'response_done'`. */
export interface RunRawModelStreamEvent {
  type: 'raw_model_stream_event'
  data: ModelStreamEvent
}

/**
 * An item the run produced: a message, a tool call, a tool's output, a reasoning item; or,
 * named `'tool_approval_requested'`, a call that waits for approval (a
 * `RunToolApprovalItem`; the run then ends with it in `interruptions`).
 */
export interface RunItemStreamEvent {
  type: 'run_item_stream_event'
  name: RunItemStreamEventName
  item: RunItem
}

/** The agent running now (sent once, when the run starts). */
export interface RunAgentUpdatedStreamEvent {
  type: 'agent_updated_stream_event'
  agent: RunAgent
}

/**
 * idb-agents' own: items were added to the session (one event per `addItems`: the input
 * with the first response, then each response with its tool outputs). Not in `@openai/agents`.
 */
export interface RunTurnSavedEvent {
  type: 'turn_saved_event'
  items: AgentItem[]
}

/**
 * An event of a streamed run, in the order things happen: `agent_updated_stream_event`
 * first; per model call, `raw_model_stream_event`s (`output_text_delta` pieces, then
 * `response_done`), then `run_item_stream_event`s for its items (and `tool_output` for each
 * tool's answer), then `turn_saved_event` once they are saved. A turn with calls that need
 * approval ends the stream with one `tool_approval_requested` per waiting call instead of
 * `turn_saved_event` (the turn is saved when the run resumes).
 */
export type RunStreamEvent = RunRawModelStreamEvent | RunItemStreamEvent | RunAgentUpdatedStreamEvent | RunTurnSavedEvent

/** Receives events as the run produces them. */
export type EventSink = (event: RunStreamEvent) => void

/** The run-item event for an item the model produced (or a tool's output). */
export function itemEvent(item: AgentItem, agent: RunAgent): RunItemStreamEvent {
  if (isFunctionCall(item)) return { type: 'run_item_stream_event', name: 'tool_called', item: { type: 'tool_call_item', rawItem: item, agent } }
  if (isFunctionCallOutput(item)) {
    const output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output)
    return { type: 'run_item_stream_event', name: 'tool_output', item: { type: 'tool_call_output_item', rawItem: item, agent, output } }
  }
  if (isReasoningItem(item)) return { type: 'run_item_stream_event', name: 'reasoning_item_created', item: { type: 'reasoning_item', rawItem: item, agent } }
  if (isCompactionItem(item)) return { type: 'run_item_stream_event', name: 'compaction_item_created', item: { type: 'compaction_item', rawItem: item, agent } }
  return { type: 'run_item_stream_event', name: 'message_output_created', item: { type: 'message_output_item', rawItem: item, agent } }
}
