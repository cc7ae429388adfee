import { IdbAgentsError, type IdbAgentsErrorCode, type IdbAgentsErrorOptions, messageOf } from '../errors.js'
import type { AgentItem } from '../items/types.js'

/**
 * What a failed run left in its session. Every error `run()` throws carries it, so a caller
 * can retry without saving the user's message twice (openai-agents-python #3852).
 *
 * The session always holds whole turns: a tool call is stored together with its output or
 * not at all.
 */
export interface RunSaveState {
  /**
   * True when this run's input (the user's message) is already in the session. Then do not
   * send it again: resume with `run(agent, [], { session })`.
   */
  readonly inputSaved: boolean
  /** Every item this run added to the session, in order (input first when saved). */
  readonly savedItems: readonly AgentItem[]
}

/**
 * Base class of the errors a run throws. Besides `code` and `cause` it says what the run
 * saved before it failed ({@link RunSaveState}).
 */
export class RunError extends IdbAgentsError implements RunSaveState {
  override name = 'RunError'

  /** True when the run's input is in the session: resume with `run(agent, [], { session })`. */
  inputSaved = false
  /** Items the run added to the session before failing, in order. */
  savedItems: readonly AgentItem[] = []

  /**
   * @param code - machine-readable reason
   * @param message - what happened and what to do about it
   * @param options - the underlying error as `cause`
   */
  constructor(code: IdbAgentsErrorCode, message: string, options: IdbAgentsErrorOptions = {}) {
    super(code, message, options)
  }

  /** One sentence for messages: what the session holds after the failure. */
  describeSaved(): string {
    if (!this.inputSaved) return 'Nothing from this run was saved; it is safe to run the same input again.'
    return (
      `The input and ${this.savedItems.length - 1} generated item(s) were saved; ` +
      'to continue, call run(agent, [], { session }) instead of sending the input again.'
    )
  }
}

/**
 * Records what was saved on `error` and appends it to the message, so a person reading
 * only the message knows whether to resend the input. Returns `error`.
 */
export function withSaveState<E extends RunError>(error: E, state: RunSaveState): E {
  error.inputSaved = state.inputSaved
  error.savedItems = state.savedItems
  error.message = `${error.message} ${error.describeSaved()}`
  return error
}

/**
 * The agent was still calling tools after `maxTurns` model calls. Every finished turn is
 * saved; raise `maxTurns` or continue with `run(agent, [], { session })`.
 */
export class MaxTurnsExceededError extends RunError {
  override name = 'MaxTurnsExceededError'

  /** The limit that was reached. */
  readonly maxTurns: number

  constructor(maxTurns: number) {
    super(
      'max_turns_exceeded',
      `The agent did not finish within maxTurns = ${maxTurns} model calls. Raise maxTurns, or continue the ` +
        'conversation with run(agent, [], { session }); every finished turn was saved.',
    )
    this.maxTurns = maxTurns
  }
}

/** Options of {@link ModelHttpError}. */
export interface ModelHttpErrorOptions {
  /** HTTP status; `undefined` when no response arrived (timeout). */
  status: number | undefined
  /** Request id the server sent (`x-request-id`), for support tickets. */
  requestId?: string | undefined
  /** The openai client's `APIError`. */
  cause?: unknown
}

/**
 * The model API (or the proxy in front of it) answered with an error status, after the
 * openai client's own retries (`maxRetries`) on 408/409/429/5xx.
 */
export class ModelHttpError extends RunError {
  override name = 'ModelHttpError'

  /** HTTP status; `undefined` for a timeout. */
  readonly status: number | undefined
  /** True for statuses worth retrying later (408, 409, 429, 5xx, timeouts). */
  readonly retryable: boolean
  /** The `x-request-id` of the failed request, when the server sent one. */
  readonly requestId: string | undefined

  constructor(message: string, options: ModelHttpErrorOptions) {
    super('model_http', message, { cause: options.cause })
    this.status = options.status
    this.requestId = options.requestId ?? undefined
    const status = options.status
    this.retryable = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500
  }
}

/**
 * The model could not be reached: the browser reports itself offline
 * (`navigator.onLine === false`) or the request failed at the network layer (DNS, refused
 * connection, CORS rejection by the proxy). Retry when the device is back online.
 */
export class OfflineError extends RunError {
  override name = 'OfflineError'

  constructor(detail: string, cause?: unknown) {
    super('offline', `The model API cannot be reached: ${detail}. Check the connection, then retry.`, { cause })
  }
}

/**
 * A tool created with `onError: 'throw'` failed, so the run stopped. The turn holding its
 * call was not saved (a call is never stored without its output).
 */
export class ToolError extends RunError {
  override name = 'ToolError'

  /** Name of the tool that failed. */
  readonly toolName: string
  /** `call_id` of the failed call. */
  readonly callId: string

  constructor(toolName: string, callId: string, cause: unknown) {
    super('tool_failed', `Tool "${toolName}" failed (call ${callId}): ${messageOf(cause)}.`, { cause })
    this.toolName = toolName
    this.callId = callId
  }
}

/**
 * The model's final answer did not match the agent's `outputType`. The answer itself was
 * saved (it is valid history); `text` holds it.
 */
export class OutputParseError extends RunError {
  override name = 'OutputParseError'

  /** The model's raw final text. */
  readonly text: string

  constructor(text: string, detail: string, cause?: unknown) {
    super(
      'output_parse',
      `The model's final output does not match the agent's outputType: ${detail}. ` +
        'Check the schema and instructions, or ask again.',
      { cause },
    )
    this.text = text
  }
}

/**
 * The run was aborted through its `signal`. `name` is `'AbortError'`, as for `fetch`, so
 * existing `err.name === 'AbortError'` checks keep working; `cause` is the signal's reason.
 * A turn is saved whole or not at all, so no call is left without its output.
 */
export class AbortError extends RunError {
  override name = 'AbortError'

  constructor(cause?: unknown) {
    super('run_failed', 'The run was aborted.', { cause })
  }
}

/**
 * A paused run could not be resumed from this state: it is no longer the session's pending
 * run (another tab resumed it, a new message abandoned it), or the session's history
 * changed since the run paused. Nothing was run or written. Read the session's pending run
 * again (`RunState.fromSession`) and show what it holds.
 */
export class StaleRunStateError extends RunError {
  override name = 'StaleRunStateError'

  /** @param detail - what changed, e.g. `'another tab resumed it'` */
  constructor(detail: string, cause?: unknown) {
    super('run_state_stale', `This paused run cannot be resumed: ${detail}. Nothing was run or written; read the session's pending run again.`, {
      cause,
    })
  }

  override describeSaved(): string {
    return 'The session is as it was.'
  }
}
