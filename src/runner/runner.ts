import { messageOf } from '../errors.js'
import type OpenAI from 'openai'
import type * as z4 from 'zod/v4/core'
import type { Agent, FinalOutput } from './agent.js'
import { RunError } from '../model/errors.js'
import type { RunInput } from './input.js'
import type { Model, ModelProvider, ModelSettings } from '../model/model.js'
import { OpenAIProvider } from '../openai/provider.js'
import type { RunResult } from './result.js'
import { executeRun, refuseBadRun, type RunOptions } from './loop.js'
import { StreamedRunResult } from './stream.js'
import { guardRun } from './run-guard.js'
import { RunState } from './run-state.js'

/** The model used when neither the agent nor the runner names one. */
export const DEFAULT_MODEL = 'gpt-4.1'

/** Options of {@link Runner}: defaults for every run it makes. */
export interface RunnerOptions {
  /** Resolves model names. @default an {@link OpenAIProvider} on `client` */
  modelProvider?: ModelProvider
  /** The `openai` client of the default provider (see `createOpenAIClient`). */
  client?: OpenAI
  /** Model name for agents that do not set one. @default 'gpt-4.1' */
  model?: string
  /** Settings under each agent's own `modelSettings`. */
  modelSettings?: ModelSettings
  /** Default `maxTurns`. @default 10 */
  maxTurns?: number
}

/** Options of a streamed run. */
export type StreamRunOptions<TContext> = RunOptions<TContext> & { stream: true }

/** Options of a run that resolves once finished. */
export type NonStreamRunOptions<TContext> = RunOptions<TContext> & { stream?: false }

/**
 * Runs agents with shared defaults (model provider, client, model, settings). `run()` uses
 * a default Runner; create your own to point at a proxy or a compatible server.
 *
 * ```ts
 * const runner = new Runner({ client: createOpenAIClient({ baseURL: '/api/openai/v1' }) })
 * const result = await runner.run(agent, 'My favorite color is blue.', { session })
 * ```
 */
export class Runner {
  readonly #options: RunnerOptions
  #provider: ModelProvider | undefined

  /** @param options - defaults for every run */
  constructor(options: RunnerOptions = {}) {
    this.#options = options
    this.#provider = options.modelProvider
  }

  /**
   * Runs `agent` on `input` until it answers without calling tools (or a call needs
   * approval: the result then has `interruptions` and a `state` to resume). With a
   * `session`, its history is loaded once and every turn is saved to it whole. With a
   * session that keeps a paused run, any input other than its state abandons that run
   * first: its waiting calls are answered as cancelled and its turn saved.
   *
   * @param agent - the agent to run
   * @param input - the user's message, or items; `[]` continues from the session's history;
   *   a {@link RunState} resumes a run paused for approvals (see `result.interruptions`)
   * @param options - session, context, maxTurns, signal, `stream: true` for events
   * @throws a {@link RunError} subclass saying what was saved; with `stream: true` the
   *   error comes from the iteration and `completed` instead
   */
  run<TContext, TOutput extends z4.$ZodType | undefined>(
    agent: Agent<TContext, TOutput>,
    input: RunInput | RunState,
    options: StreamRunOptions<TContext>,
  ): Promise<StreamedRunResult<FinalOutput<TOutput>>>
  run<TContext, TOutput extends z4.$ZodType | undefined>(
    agent: Agent<TContext, TOutput>,
    input: RunInput | RunState,
    options?: NonStreamRunOptions<TContext>,
  ): Promise<RunResult<FinalOutput<TOutput>>>
  async run<TContext, TOutput extends z4.$ZodType | undefined>(
    agent: Agent<TContext, TOutput>,
    input: RunInput | RunState,
    options: RunOptions<TContext> & { stream?: boolean } = {},
  ): Promise<RunResult<FinalOutput<TOutput>> | StreamedRunResult<FinalOutput<TOutput>>> {
    const { stream, ...runOptions } = options
    const planOptions = { maxTurns: this.#options.maxTurns, ...runOptions }
    const plan = async () => ({
      agent,
      input,
      options: planOptions,
      model: await this.#model(agent.model),
      modelSettings: { ...this.#options.modelSettings, ...agent.modelSettings },
    })
    // guardRun: the session's run lock for the whole run; input kept when offline (issue 7).
    // A resumed run's input is in its state (and its session), never kept again. A run
    // refused for its arguments is refused first, before the lock names (creates) the session.
    const kept = input instanceof RunState ? [] : input
    const guarded = (execute: () => Promise<RunResult<FinalOutput<TOutput>>>) => {
      const refused = refuseBadRun(agent, input, planOptions)
      return refused ? Promise.reject(refused) : guardRun(runOptions, kept, execute)
    }
    if (stream) return new StreamedRunResult((emit) => guarded(() => plan().then((p) => executeRun(p, emit))))
    return guarded(async () => executeRun(await plan()))
  }

  async #model(model: string | Model | undefined): Promise<Model> {
    if (model !== undefined && typeof model !== 'string') return model
    try {
      this.#provider ??= new OpenAIProvider(this.#options.client ? { client: this.#options.client } : {})
      return await this.#provider.getModel(model ?? this.#options.model ?? DEFAULT_MODEL)
    } catch (error) {
      if (error instanceof RunError) throw error
      const code = error instanceof Error && 'code' in error && error.code === 'invalid_argument' ? 'invalid_argument' : 'run_failed'
      throw new RunError(code, `No model could be set up: ${messageOf(error)}.`, {
        cause: error,
      })
    }
  }
}

let defaultRunner: Runner | undefined

/** Sets the `openai` client that `run()` uses (e.g. one made by `createOpenAIClient`). */
export function setDefaultOpenAIClient(client: OpenAI): void {
  defaultRunner = new Runner({ client })
}

/** Sets the model provider that `run()` uses. */
export function setDefaultModelProvider(modelProvider: ModelProvider): void {
  defaultRunner = new Runner({ modelProvider })
}

/**
 * Runs `agent` with the default {@link Runner}: the twin of `run()` in `@openai/agents` and
 * `Runner.run()` in the Python SDK.
 *
 * ```ts
 * const session = new IndexedDBSession('user_123', { dbName: 'conversations' })
 * await run(agent, 'My favorite color is blue.', { session })
 * const result = await run(agent, "What's my favorite color?", { session })
 * result.finalOutput // 'Your favorite color is blue!'
 * ```
 *
 * @param agent - the agent to run
 * @param input - the user's message, or items; `[]` continues from the session's history;
 *   a {@link RunState} resumes a run paused for approvals
 * @param options - session, context, maxTurns, signal, `stream: true` for events
 */
export function run<TContext, TOutput extends z4.$ZodType | undefined>(
  agent: Agent<TContext, TOutput>,
  input: RunInput | RunState,
  options: StreamRunOptions<TContext>,
): Promise<StreamedRunResult<FinalOutput<TOutput>>>
export function run<TContext, TOutput extends z4.$ZodType | undefined>(
  agent: Agent<TContext, TOutput>,
  input: RunInput | RunState,
  options?: NonStreamRunOptions<TContext>,
): Promise<RunResult<FinalOutput<TOutput>>>
export function run<TContext, TOutput extends z4.$ZodType | undefined>(
  agent: Agent<TContext, TOutput>,
  input: RunInput | RunState,
  options: RunOptions<TContext> & { stream?: boolean } = {},
): Promise<RunResult<FinalOutput<TOutput>> | StreamedRunResult<FinalOutput<TOutput>>> {
  const runner = (defaultRunner ??= new Runner())
  return options.stream
    ? runner.run(agent, input, { ...options, stream: true })
    : runner.run(agent, input, { ...options, stream: false })
}
