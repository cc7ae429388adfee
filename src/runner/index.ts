// The runner's public surface; re-exported by src/index.ts.
export { Agent, type AgentOptions, type FinalOutput, type Instructions } from './agent.js'
export {
  AbortError,
  MaxTurnsExceededError,
  ModelHttpError,
  OfflineError,
  OutputParseError,
  RunError,
  ToolError,
  type ModelHttpErrorOptions,
  type RunSaveState,
} from '../model/errors.js'
export { dropOrphans, type RunInput } from './input.js'
export {
  Usage,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type ModelSettings,
  type ModelStreamEvent,
  type OutputSchema,
  type RequestUsage,
  type ToolDefinition,
} from '../model/model.js'
export { OpenAIChatCompletionsModel } from '../openai/chat-completions-model.js'
export {
  createOpenAIClient,
  OpenAIProvider,
  PROXY_PLACEHOLDER_API_KEY,
  type OpenAIClientOptions,
  type OpenAIProviderOptions,
} from '../openai/provider.js'
export { OpenAIResponsesModel } from '../openai/responses-model.js'
export { RunResult, type RunOutcome } from './result.js'
export { RunContext } from './run-context.js'
export type { RunOptions, SessionInputCallback } from './loop.js'
export {
  DEFAULT_MODEL,
  run,
  Runner,
  setDefaultModelProvider,
  setDefaultOpenAIClient,
  type NonStreamRunOptions,
  type RunnerOptions,
  type StreamRunOptions,
} from './runner.js'
export { StreamedRunResult, type RunStreamEvent } from './stream.js'
export { tool, type FunctionTool, type ToolCallDetails, type ToolOptions } from './tool.js'
