import type { AgentItem, JsonObject, JsonValue } from '../items/types.js'
import type { RequestUsage } from '../session/usage.js'

/**
 * Settings passed to the model with every request. Names follow `@openai/agents`; each
 * maps to the request field of the same meaning in the Responses and Chat Completions
 * APIs. Unset fields are not sent, so the API's defaults apply.
 */
export interface ModelSettings {
  /** Sampling temperature. */
  temperature?: number
  /** Nucleus sampling. */
  topP?: number
  /** Most output tokens per request (`max_output_tokens` / `max_completion_tokens`). */
  maxTokens?: number
  /** `'auto'`, `'required'`, `'none'` or the name of one tool. */
  toolChoice?: 'auto' | 'required' | 'none' | (string & {})
  /** Whether the model may call several tools in one response. */
  parallelToolCalls?: boolean
  /**
   * Whether the API may store the response server-side. History lives in the session
   * either way.
   * @default the API's default
   */
  store?: boolean
  /** Reasoning options for reasoning models. */
  reasoning?: { effort?: 'minimal' | 'low' | 'medium' | 'high' | null; summary?: 'auto' | 'concise' | 'detailed' | null }
  /** Extra request fields sent as they are (e.g. a local server's own options). */
  extraBody?: JsonObject
}

/** A function tool as the model sees it. */
export interface ToolDefinition {
  type: 'function'
  /** Name the model calls the tool by. */
  name: string
  /** What the tool does, for the model. */
  description: string
  /** JSON schema of the arguments object. */
  parameters: JsonObject
  /** Strict structured outputs for the arguments. */
  strict: boolean
}

/** The JSON schema the final answer must follow (from the agent's `outputType`). */
export interface OutputSchema {
  /** Schema name sent to the API (`'final_output'`). */
  name: string
  /** The JSON schema of the final answer. */
  schema: JsonObject
  /** Whether strict structured outputs can be used with it. */
  strict: boolean
}

/** Everything a {@link Model} needs for one request. */
export interface ModelRequest {
  /** The agent's instructions (system prompt). */
  instructions?: string
  /** The conversation to send, oldest first; orphaned tool items already removed. */
  input: AgentItem[]
  /** The agent's function tools. */
  tools: ToolDefinition[]
  /** Set when the agent has an `outputType`. */
  outputSchema?: OutputSchema
  /** The runner's settings merged with the agent's. */
  modelSettings: ModelSettings
  /** Aborts the request. */
  signal?: AbortSignal
}

/** One model response. */
export interface ModelResponse {
  /** Output items in wire names (`message`, `function_call`, `reasoning`, …). */
  output: AgentItem[]
  /** Token usage of this request. */
  usage: RequestUsage
  /** The API's response id. */
  responseId?: string
  /** The `x-request-id` header, when known. */
  requestId?: string
}

/** Events a model yields while streaming. The last one is always `response_done`. */
export type ModelStreamEvent =
  | { type: 'output_text_delta'; delta: string }
  | { type: 'response_done'; response: ModelResponse }

/**
 * A model the runner can call. Implement it to plug in any backend; the built-in ones are
 * `OpenAIResponsesModel` and `OpenAIChatCompletionsModel`.
 *
 * Implementations must honour `request.signal`, and throw a `RunError` subclass
 * (`ModelHttpError`, `OfflineError` …) for failures the caller should be able to switch on.
 */
export interface Model {
  /** One request, whole response. */
  getResponse(request: ModelRequest): Promise<ModelResponse>
  /** One request, streamed; ends with a `response_done` event. */
  getStreamedResponse(request: ModelRequest): AsyncIterable<ModelStreamEvent>
}

/** Turns a model name (from `Agent.model` or the runner's default) into a {@link Model}. */
export interface ModelProvider {
  /** The model for `name` (e.g. `'gpt-4.1'`). */
  getModel(name: string): Model | Promise<Model>
}

/** Reads a number field that may be missing. */
export function num(value: JsonValue | undefined | null): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0
}
