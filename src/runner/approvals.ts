// Tool calls that wait for a person: the approval item an interrupted run hands out, the
// decisions taken on it, and the outputs the model receives for calls that did not run.
import type { FunctionCallItem, FunctionCallOutputItem } from '../items/types.js'
import type { RunAgent } from './events.js'

/** What the model receives for a rejected call when `reject()` gives no message (as `@openai/agents`). */
export const TOOL_APPROVAL_REJECTION_MESSAGE = 'Tool execution was not approved.'

/**
 * What the model receives for a call that was still waiting for approval when a new message
 * was sent instead of resuming (the pending run is abandoned).
 */
export const TOOL_APPROVAL_ABANDONED_MESSAGE =
  'Tool execution was cancelled: the user sent a new message instead of approving or rejecting this call.'

/**
 * A tool call waiting for a person's approval: one of `result.interruptions`, as
 * `RunToolApprovalItem` in `@openai/agents`. Pass it to `state.approve()` or
 * `state.reject()`.
 */
export class RunToolApprovalItem {
  /** Always `'tool_approval_item'`. */
  readonly type = 'tool_approval_item' as const
  /** The model's `function_call`. */
  readonly rawItem: FunctionCallItem
  /** The agent whose tool was called. */
  readonly agent: RunAgent

  /**
   * @param rawItem - the model's call
   * @param agent - the agent whose tool was called
   */
  constructor(rawItem: FunctionCallItem, agent: RunAgent) {
    this.rawItem = rawItem
    this.agent = agent
  }

  /** The tool's name. */
  get toolName(): string {
    return this.rawItem.name
  }

  /** The tool's name (as `toolName`; `@openai/agents` has both). */
  get name(): string {
    return this.rawItem.name
  }

  /** The call's arguments, as the JSON text the model sent. */
  get arguments(): string {
    return this.rawItem.arguments
  }

  /** The call's `call_id`. */
  get callId(): string {
    return this.rawItem.call_id
  }
}

/** A decision on one call: approved, or rejected with the text the model receives. */
export type ApprovalDecision = { approved: true } | { approved: false; message?: string }

/** The output a call that did not run gives the model. */
export function notRunOutput(call: FunctionCallItem, message: string): FunctionCallOutputItem {
  return { type: 'function_call_output', call_id: call.call_id, output: message }
}
