import OpenAI from 'openai'
import { CompactingSession, type CompactedPrefix, type CompactingSessionOptions } from '../compaction/compacting-session.js'
import { CompactionError } from '../compaction/compaction-error.js'
import { InvalidArgumentError, messageOf } from '../errors.js'
import { sameJson } from '../items/json.js'
import { modelSafe, withoutOrphanedMessageIds } from '../items/model-safe.js'
import { isUserMessage, messageText } from '../items/predicates.js'
import type { AgentItem } from '../items/types.js'
import type { CompactionMode, OpenAIResponsesCompactionArgs, OpenAIResponsesCompactionResult } from '../session/capabilities.js'
import type { RequestUsage } from '../session/usage.js'
import { defaultOpenAIClient } from './client.js'
import { adviceFor, answered, readApiFailure, withoutStatus } from './errors.js'

/** Options of {@link OpenAIResponsesCompactionSession}. */
export interface OpenAIResponsesCompactionSessionOptions extends CompactingSessionOptions {
  /**
   * The `openai` client that calls `responses.compact` (e.g. `createOpenAIClient({ baseURL:
   * '/api/openai/v1' })` behind your proxy).
   * @default `new OpenAI()` — reads `OPENAI_API_KEY`; outside Node, pass a client
   */
  client?: OpenAI
  /** Model that compacts. @default 'gpt-4.1' */
  model?: string
  /**
   * How the history is given to `responses.compact`:
   * - `'previous_response_id'`: only the id of the last response (small request); needs a
   *   response stored server-side, so it falls back to `'input'` when the runner reports
   *   `store: false` or no response id (openai-agents-python #2333 sent an id that did not
   *   exist), and when the API does not find the response;
   * - `'input'`: the items themselves (works with `store: false` and ZDR);
   * - `'auto'`: the id when there is a usable one, else the items.
   * @default 'auto'
   */
  compactionMode?: CompactionMode
}

const COMPACTION_MODES: readonly unknown[] = ['auto', 'previous_response_id', 'input'] satisfies CompactionMode[]

/** A mode from plain JavaScript or configuration is checked: a typo must not compact by response id unasked. */
function assertCompactionMode(mode: unknown): void {
  if (mode === undefined || COMPACTION_MODES.includes(mode)) return
  throw new InvalidArgumentError(`compactionMode must be 'auto', 'previous_response_id' or 'input', got ${JSON.stringify(mode) ?? String(mode)}.`)
}

/** The model used when none is given. */
const DEFAULT_COMPACTION_MODEL = 'gpt-4.1'

/**
 * A decorator over any {@link Session} that keeps long conversations inside the context
 * window with the Responses API's `responses.compact`: after a turn, when the trigger
 * fires, the model-facing history becomes the user messages followed by one opaque
 * `compaction` item, plus anything added since. The transcript — every message the user
 * saw — stays in the underlying session (see {@link CompactingSession}).
 *
 * ```ts
 * const session = new OpenAIResponsesCompactionSession({
 *   underlyingSession: new IndexedDBSession('long_conv'),
 *   client: createOpenAIClient({ baseURL: '/api/openai/v1' }),
 *   shouldTriggerCompaction: tokenBudgetTrigger({ maxInputTokens: 100_000 }),
 * })
 * for (let i = 0; i < 50; i++) await run(agent, `Message ${i}`, { session })
 * await session.getTranscript() // all 100 messages
 * ```
 *
 * The runner calls {@link CompactingSession.runCompaction} after each run; a failed
 * compaction never fails the run and never changes stored history.
 *
 * Over an `OpenAIConversationsSession` the conversation is the transcript: it is
 * never rewritten, and the compacted view is kept beside it (in memory unless you pass a
 * `viewSession`). The conversation may not exist yet: it is created on first use as
 * usual, and `sessionId` / `getSessionId()` are the conversation's id (`''` before).
 */
export class OpenAIResponsesCompactionSession extends CompactingSession {
  #client: OpenAI | undefined
  readonly #model: string
  readonly #mode: CompactionMode

  /**
   * @param options - the transcript's session, the client, mode and trigger
   * @throws {@link InvalidArgumentError} for a `compactionMode` other than `'auto'`,
   *   `'previous_response_id'` or `'input'`
   */
  constructor(options: OpenAIResponsesCompactionSessionOptions) {
    assertCompactionMode(options.compactionMode)
    super(options)
    this.#client = options.client
    this.#model = options.model ?? DEFAULT_COMPACTION_MODEL
    this.#mode = options.compactionMode ?? 'auto'
  }

  /**
   * {@inheritDoc CompactingSession.runCompaction}
   * @throws {@link InvalidArgumentError} for an unknown `compactionMode`, before anything is read or sent
   */
  override async runCompaction(args: OpenAIResponsesCompactionArgs = {}): Promise<OpenAIResponsesCompactionResult | null> {
    assertCompactionMode(args.compactionMode)
    return super.runCompaction(args)
  }

  protected async compactItems(items: AgentItem[], args: OpenAIResponsesCompactionArgs): Promise<CompactedPrefix | undefined> {
    const client = this.#openai()
    const mode = args.compactionMode ?? this.#mode
    const responseId = args.store === false ? undefined : args.responseId
    if (mode !== 'input' && responseId !== undefined) {
      const byId = await this.#call(client, { model: this.#model, previous_response_id: responseId }, true)
      // A response covers the history only if it saw every user message we hold (a `limit`
      // window or a concurrent writer would leave some out): else send the items.
      if (byId && sameUserMessages(items, byId.items)) return { ...byId, mode: 'previous_response_id' }
    }
    const input = modelSafe(items)
    if (input.length === 0) return undefined
    const byInput = await this.#call(client, { model: this.#model, input: input as unknown as OpenAI.Responses.ResponseInputItem[] }, false)
    return { ...byInput!, mode: 'input' }
  }

  /** One `responses.compact` call; `undefined` when a previous response was not found and input mode should be tried. */
  async #call(
    client: OpenAI,
    body: OpenAI.Responses.ResponseCompactParams,
    byId: boolean,
  ): Promise<{ items: AgentItem[]; usage: RequestUsage } | undefined> {
    let response: OpenAI.Responses.CompactedResponse
    try {
      response = await client.responses.compact(body)
    } catch (error) {
      if (byId && error instanceof OpenAI.APIError && (error.status === 400 || error.status === 404)) return undefined
      throw toCompactionError(error)
    }
    const output = Array.isArray(response?.output) ? withoutOrphanedMessageIds(response.output as unknown as AgentItem[]) : undefined
    if (!output || !output.some((item) => item.type === 'compaction')) {
      throw new CompactionError('responses.compact answered without a compaction item; check that the server (or proxy) supports POST /v1/responses/compact.')
    }
    const usage = response.usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 }
    const inputTokens = usage.input_tokens ?? 0
    const outputTokens = usage.output_tokens ?? 0
    return { items: output, usage: { inputTokens, outputTokens, totalTokens: usage.total_tokens ?? inputTokens + outputTokens } }
  }

  #openai(): OpenAI {
    return (this.#client ??= defaultOpenAIClient(
      (cause) =>
        new CompactionError(
          "No OpenAI client for compaction: pass one, e.g. new OpenAIResponsesCompactionSession({ underlyingSession, client: createOpenAIClient({ baseURL: '/api/openai/v1' }) }).",
          cause,
        ),
    ))
  }
}

function sameUserMessages(history: readonly AgentItem[], compacted: readonly AgentItem[]): boolean {
  const texts = (items: readonly AgentItem[]) => items.filter(isUserMessage).map((item) => messageText(item))
  return sameJson(texts(history), texts(compacted))
}

/**
 * An `openai` client error as a {@link CompactionError} a person can act on.
 * @param what - the call that failed, for the message
 */
export function toCompactionError(error: unknown, what = 'responses.compact'): CompactionError {
  if (error instanceof CompactionError) return error
  const failure = readApiFailure(error)
  switch (failure.kind) {
    case 'connection':
    case 'timeout':
      return new CompactionError(
        `${what} could not reach the API (offline, or the proxy URL or its CORS headers are wrong); it is retried after the next turn.`,
        error,
      )
    case 'http':
      return new CompactionError(
        `${what} ${answered(failure.status)}: ${withoutStatus(failure.status, failure.detail)}. ${adviceFor(failure.status, {
          notFound: 'Check that the server or proxy forwards this endpoint and knows the model.',
          badRequest: 'Check the compaction model name and the history it was sent.',
          serverError: "The API failed after the client's retries; it is retried after the next turn.",
        })}`,
        error,
      )
    default:
      return new CompactionError(`${what} failed: ${'detail' in failure ? failure.detail : messageOf(error)}.`, error)
  }
}
