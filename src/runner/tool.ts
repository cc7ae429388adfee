import * as z from 'zod/mini'
import type * as z4 from 'zod/v4/core'
import { InvalidArgumentError, messageOf } from '../errors.js'
import { ToolError } from '../model/errors.js'
import { jsonSchemaOf, strictProblem } from './json-schema.js'
import type { ToolDefinition } from '../model/model.js'
import type { RunContext } from './run-context.js'

/** Details of the call a tool is answering. */
export interface ToolCallDetails {
  /** The `call_id` the output will carry. */
  callId: string
}

/** Options of {@link tool}. */
export interface ToolOptions<TParams extends z4.$ZodObject, TContext = unknown> {
  /** Name the model calls the tool by: letters, digits, `_` and `-`. */
  name: string
  /** What the tool does and when to use it; the model reads this. */
  description: string
  /** A zod object (full `zod` or `zod/mini`) describing the arguments. */
  parameters: TParams
  /**
   * Strict structured outputs: the model must produce arguments that match the schema.
   * Needs every property required (use `.nullable()` for optional ones).
   * @default true
   */
  strict?: boolean
  /**
   * What a failing `execute` does. `'report'` sends the error message to the model as the
   * tool's output so it can react; `'throw'` stops the run with a {@link ToolError}.
   * Bad arguments are always reported to the model.
   * @default 'report'
   */
  onError?: 'report' | 'throw'
  /**
   * Whether a call must wait for a person's approval before it runs (`@openai/agents`'
   * `needsApproval`). A run that reaches such a call stops with `result.interruptions` and
   * `result.state`; see `RunState`. A function decides per call, from the parsed
   * arguments; calls whose arguments do not parse never wait (the model is told they are
   * invalid instead). A function that throws fails the run.
   * @default false
   */
  needsApproval?: boolean | ((runContext: RunContext<TContext>, args: z4.output<TParams>, details: ToolCallDetails) => boolean | Promise<boolean>)
  /**
   * Runs the tool. Arguments were parsed with `parameters` first. A string result is sent
   * as it is; anything else as JSON.
   * @param args - the parsed arguments
   * @param runContext - the app's context (`runContext.context`), usage and signal
   * @param details - the call being answered
   */
  execute(args: z4.output<TParams>, runContext: RunContext<TContext>, details: ToolCallDetails): unknown
}

/** A tool made by {@link tool}, ready to give to an `Agent`. */
export interface FunctionTool<TContext = unknown> {
  readonly type: 'function'
  /** The tool's name. */
  readonly name: string
  /** What the model is sent. */
  readonly definition: ToolDefinition
  /**
   * Parses `argumentsJson` and runs the tool. Resolves to the output text for the model;
   * rejects only with a {@link ToolError} when `onError` is `'throw'` (or with the abort
   * reason).
   */
  invoke(argumentsJson: string, runContext: RunContext<TContext>, details: ToolCallDetails): Promise<string>
  /**
   * Whether this call must wait for approval (see {@link ToolOptions.needsApproval}).
   * Absent on tools that never wait.
   */
  needsApproval?(runContext: RunContext<TContext>, argumentsJson: string, details: ToolCallDetails): Promise<boolean>
}

const toolName = /^[a-zA-Z0-9_-]{1,64}$/

/**
 * Defines a function tool from a zod schema, as `tool()` in `@openai/agents`:
 *
 * ```ts
 * const saveNote = tool({
 *   name: 'save_note',
 *   description: 'Save a new note.',
 *   parameters: z.object({ title: z.string(), content: z.string() }),
 *   execute: ({ title, content }, ctx: RunContext<NotesContext>) => {
 *     ctx.context.notes.push({ title, content })
 *     return `Saved note: '${title}'`
 *   },
 * })
 * ```
 *
 * @throws {@link InvalidArgumentError} for a bad name, or a schema strict mode cannot take.
 */
export function tool<TParams extends z4.$ZodObject, TContext = unknown>(
  options: ToolOptions<TParams, TContext>,
): FunctionTool<TContext> {
  const { name, description, parameters, execute } = options
  if (!toolName.test(name)) {
    throw new InvalidArgumentError(`Tool name ${JSON.stringify(name)} must be 1-64 letters, digits, "_" or "-".`)
  }
  const schema = jsonSchemaOf(parameters)
  const strict = options.strict ?? true
  if (strict) {
    const problem = strictProblem(schema, '')
    if (problem) {
      throw new InvalidArgumentError(
        `Tool "${name}": ${problem}. Strict mode needs every property required; use .nullable() for optional ` +
          'values, or pass strict: false.',
      )
    }
  }
  const definition: ToolDefinition = { type: 'function', name, description, parameters: schema, strict }
  const onError = options.onError ?? 'report'
  const approval = options.needsApproval ?? false
  const parse = (argumentsJson: string): { ok: true; args: z4.output<TParams> } | { ok: false; message: string } => {
    let raw: unknown
    try {
      raw = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson)
    } catch {
      return { ok: false, message: `Error: the arguments for tool "${name}" are not valid JSON. Call it again with a JSON object.` }
    }
    const parsed = z.safeParse(parameters, raw)
    if (parsed.success) return { ok: true, args: parsed.data }
    return {
      ok: false,
      message: `Error: invalid arguments for tool "${name}":\n${z.prettifyError(parsed.error)}\nCall it again with arguments that match its schema.`,
    }
  }
  return {
    type: 'function',
    name,
    definition,
    ...(approval !== false && {
      async needsApproval(runContext: RunContext<TContext>, argumentsJson: string, details: ToolCallDetails): Promise<boolean> {
        if (approval === true) return true
        const parsed = parse(argumentsJson)
        return parsed.ok && (await approval(runContext, parsed.args, details)) === true
      },
    }),
    async invoke(argumentsJson, runContext, details) {
      const parsed = parse(argumentsJson)
      if (!parsed.ok) return parsed.message
      try {
        return toOutputText(await execute(parsed.args, runContext, details))
      } catch (error) {
        if (runContext.signal?.aborted) throw error
        if (onError === 'throw') throw new ToolError(name, details.callId, error)
        return `Error: tool "${name}" failed: ${messageOf(error)}`
      }
    },
  }
}

/** The text the model receives for a tool's return value. */
function toOutputText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined) return ''
  return JSON.stringify(value) ?? String(value)
}
