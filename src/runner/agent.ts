import * as z from 'zod/mini'
import type * as z4 from 'zod/v4/core'
import { InvalidArgumentError } from '../errors.js'
import { OutputParseError } from '../model/errors.js'
import { jsonSchemaOf, strictProblem } from './json-schema.js'
import type { Model, ModelSettings, OutputSchema } from '../model/model.js'
import type { RunContext } from './run-context.js'
import type { FunctionTool } from './tool.js'
import type { ToolUseBehavior } from './tool-use.js'

/** Instructions: fixed text, or computed for each run from its context. */
export type Instructions<TContext> =
  | string
  | ((runContext: RunContext<TContext>) => string | Promise<string>)

/** What a run of an agent with this `outputType` returns as `finalOutput`. */
export type FinalOutput<TOutput extends z4.$ZodType | undefined> = TOutput extends z4.$ZodType
  ? z4.output<TOutput>
  : string

/** Options of {@link Agent}. */
export interface AgentOptions<TContext, TOutput extends z4.$ZodType | undefined> {
  /** A name for people and logs. */
  name: string
  /** The system prompt, or a function of the run's context that returns it. */
  instructions?: Instructions<TContext>
  /**
   * A model name resolved by the runner's model provider, or a {@link Model} instance.
   * @default the runner's model (`'gpt-4.1'` unless configured)
   */
  model?: string | Model
  /** Settings sent with every request of this agent; they override the runner's. */
  modelSettings?: ModelSettings
  /** Function tools the model may call. */
  tools?: FunctionTool<TContext>[]
  /**
   * A zod object schema for the final answer. The model is asked for JSON that matches it
   * (structured outputs) and `finalOutput` is the parsed value.
   * @default undefined (`finalOutput` is the answer's text)
   */
  outputType?: TOutput
  /**
   * What happens once the model's tool calls have their outputs: call the model again, or
   * stop with a tool's output as the final output (see {@link ToolUseBehavior}). With an
   * `outputType`, a tool's output that stops the run must be JSON matching it.
   * @default 'run_llm_again'
   */
  toolUseBehavior?: ToolUseBehavior
}

/**
 * An agent: instructions, a model, tools, and optionally a typed final output. The twin of
 * `Agent` in `@openai/agents` and the Python SDK; it holds no conversation state (that is
 * the session's job), so one agent can serve many sessions at once.
 *
 * @typeParam TContext - the app's context type tools and instructions receive
 * @typeParam TOutput - the zod schema of the final output, if any
 */
export class Agent<TContext = unknown, TOutput extends z4.$ZodType | undefined = undefined> {
  /** A name for people and logs. */
  readonly name: string
  /** The system prompt, or the function that computes it. */
  readonly instructions: Instructions<TContext> | undefined
  /** Model name or instance; `undefined` uses the runner's. */
  readonly model: string | Model | undefined
  /** Settings sent with this agent's requests. */
  readonly modelSettings: ModelSettings
  /** The agent's function tools. */
  readonly tools: readonly FunctionTool<TContext>[]
  /** The zod schema of the final output, if any. */
  readonly outputType: TOutput | undefined
  /** The JSON schema sent for `outputType`; computed once. */
  readonly outputSchema: OutputSchema | undefined
  /** What happens once tools ran (see {@link ToolUseBehavior}). */
  readonly toolUseBehavior: ToolUseBehavior

  /**
   * @param options - name, instructions, model, tools, outputType
   * @throws {@link InvalidArgumentError} when two tools share a name or `outputType` is not
   *   a zod object, or `toolUseBehavior` is not one of its forms
   */
  constructor(options: AgentOptions<TContext, TOutput>) {
    this.name = options.name
    this.instructions = options.instructions
    this.model = options.model
    this.modelSettings = options.modelSettings ?? {}
    this.tools = [...(options.tools ?? [])]
    const names = new Set<string>()
    for (const t of this.tools) {
      if (names.has(t.name)) throw new InvalidArgumentError(`Agent "${this.name}" has two tools named "${t.name}".`)
      names.add(t.name)
    }
    this.toolUseBehavior = checkedToolUseBehavior(this.name, options.toolUseBehavior)
    this.outputType = options.outputType
    this.outputSchema = options.outputType ? outputSchemaOf(this.name, options.outputType) : undefined
  }

  /** The instructions for one run. */
  async resolveInstructions(runContext: RunContext<TContext>): Promise<string | undefined> {
    const instructions = this.instructions
    return typeof instructions === 'function' ? await instructions(runContext) : instructions
  }

  /**
   * Turns the model's final text into `finalOutput`: the text itself, or the parsed value
   * of `outputType`.
   * @throws {@link OutputParseError} when the text is not JSON matching `outputType`
   */
  parseFinalOutput(text: string): FinalOutput<TOutput> {
    const schema = this.outputType
    if (!schema) return text as FinalOutput<TOutput>
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      throw new OutputParseError(text, 'it is not valid JSON', error)
    }
    const parsed = z.safeParse(schema, json)
    if (!parsed.success) throw new OutputParseError(text, z.prettifyError(parsed.error), parsed.error)
    return parsed.data as FinalOutput<TOutput>
  }
}

function checkedToolUseBehavior(agentName: string, behavior: ToolUseBehavior | undefined): ToolUseBehavior {
  if (behavior === undefined) return 'run_llm_again'
  if (behavior === 'run_llm_again' || behavior === 'stop_on_first_tool') return behavior
  const names: unknown = typeof behavior === 'object' && behavior !== null ? behavior.stopAtToolNames : undefined
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
    throw new InvalidArgumentError(
      `Agent "${agentName}": toolUseBehavior must be 'run_llm_again', 'stop_on_first_tool' or { stopAtToolNames: string[] }, got ${JSON.stringify(behavior)}.`,
    )
  }
  return { stopAtToolNames: [...(names as string[])] }
}

function outputSchemaOf(agentName: string, outputType: z4.$ZodType): OutputSchema {
  const schema = jsonSchemaOf(outputType)
  if (schema.type !== 'object') {
    throw new InvalidArgumentError(
      `Agent "${agentName}": outputType must be a zod object (the API wants a JSON object at the top level); ` +
        'wrap the value, e.g. z.object({ answer: yourSchema }).',
    )
  }
  return { name: 'final_output', schema, strict: strictProblem(schema, '') === undefined }
}
