import OpenAI from 'openai'
import { InvalidArgumentError } from '../errors.js'
import { messageOf } from '../model/errors.js'
import type { Model, ModelProvider } from '../model/model.js'
import { OpenAIChatCompletionsModel } from './chat-completions-model.js'
import { OpenAIResponsesModel } from './responses-model.js'

/**
 * The API key sent when none is given (proxy mode). The `openai` client insists on a key;
 * this placeholder satisfies it and is never sent: the `Authorization` header is removed
 * unless you set your own in `defaultHeaders`.
 */
export const PROXY_PLACEHOLDER_API_KEY = 'idb-agents-proxy-no-key'

/**
 * How to reach the model API. The names are the `openai` client's own.
 *
 * - Direct: `{ apiKey, dangerouslyAllowBrowser: true }` — the key is in the page, so only
 *   for keys the user owns (bring-your-own-key apps) or local tools.
 * - Through your proxy: `{ baseURL: '/api/openai/v1', defaultHeaders?, fetch? }` and no
 *   `apiKey`: nothing secret reaches the browser; the proxy adds the key.
 */
export interface OpenAIClientOptions {
  /** Your OpenAI API key (direct mode). Omit it behind a proxy. */
  apiKey?: string
  /**
   * Where requests go: your proxy (an absolute URL, or a path such as `/api/openai/v1`
   * resolved against the page), a local server, or another provider.
   * @default 'https://api.openai.com/v1'
   */
  baseURL?: string
  /** Headers sent with every request, e.g. your app's own session token for the proxy. */
  defaultHeaders?: Record<string, string | null>
  /** A custom `fetch` (to add credentials, route through a service worker, or test). */
  fetch?: typeof fetch
  /**
   * Required by the `openai` client for direct mode in a browser. Proxy mode sets it for
   * you, as no secret is in the page.
   * @default false
   */
  dangerouslyAllowBrowser?: boolean
  /**
   * Retries of a failed request (connection errors, 408, 409, 429, 5xx) with backoff,
   * done by the `openai` client.
   * @default 2
   */
  maxRetries?: number
  /** Per-request timeout in milliseconds. @default 600000 */
  timeout?: number
}

/**
 * Creates an `openai` client for direct use or for a proxy (see {@link OpenAIClientOptions}).
 *
 * ```ts
 * // No key in the browser: your server at /api/openai forwards to api.openai.com with it.
 * const client = createOpenAIClient({ baseURL: '/api/openai/v1' })
 * const runner = new Runner({ client })
 * ```
 *
 * @throws {@link InvalidArgumentError} when neither `apiKey` nor `baseURL` is given
 */
export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  const { apiKey, baseURL, defaultHeaders, fetch: fetchFn, dangerouslyAllowBrowser, maxRetries, timeout } = options
  if (apiKey === undefined && baseURL === undefined) {
    throw new InvalidArgumentError(
      'createOpenAIClient needs an apiKey (direct use) or the baseURL of your proxy (no key in the browser).',
    )
  }
  const resolvedBaseURL = baseURL === undefined ? undefined : absoluteURL(baseURL)
  return new OpenAI({
    ...(apiKey === undefined
      ? {
          apiKey: PROXY_PLACEHOLDER_API_KEY,
          dangerouslyAllowBrowser: true,
          defaultHeaders: { Authorization: null, ...defaultHeaders },
        }
      : { apiKey, dangerouslyAllowBrowser: dangerouslyAllowBrowser ?? false, defaultHeaders: defaultHeaders ?? {} }),
    ...(resolvedBaseURL !== undefined && { baseURL: resolvedBaseURL }),
    ...(fetchFn !== undefined && { fetch: fetchFn }),
    ...(maxRetries !== undefined && { maxRetries }),
    ...(timeout !== undefined && { timeout }),
  })
}

function absoluteURL(url: string): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href
  return /^[a-z][a-z0-9+.-]*:/i.test(url) || base === undefined ? url : new URL(url, base).href
}

/** Options of {@link OpenAIProvider}. */
export interface OpenAIProviderOptions extends OpenAIClientOptions {
  /** A ready client; wins over the connection options. */
  client?: OpenAI
  /**
   * Which API the models use: the Responses API, or Chat Completions for
   * OpenAI-compatible servers.
   * @default 'responses'
   */
  api?: 'responses' | 'chat_completions'
}

/**
 * The built-in {@link ModelProvider}: model names become {@link OpenAIResponsesModel}s (or
 * {@link OpenAIChatCompletionsModel}s with `api: 'chat_completions'`) on one `openai`
 * client, created on first use.
 */
export class OpenAIProvider implements ModelProvider {
  readonly #options: OpenAIProviderOptions
  #client: OpenAI | undefined

  /** @param options - a client, or how to create one */
  constructor(options: OpenAIProviderOptions = {}) {
    this.#options = options
    this.#client = options.client
  }

  getModel(name: string): Model {
    const client = (this.#client ??= this.#createClient())
    return this.#options.api === 'chat_completions'
      ? new OpenAIChatCompletionsModel(client, name)
      : new OpenAIResponsesModel(client, name)
  }

  #createClient(): OpenAI {
    const { client: _client, api: _api, ...options } = this.#options
    if (options.apiKey !== undefined || options.baseURL !== undefined) return createOpenAIClient(options)
    try {
      // Node and tools with OPENAI_API_KEY in the environment.
      return new OpenAI(options)
    } catch (error) {
      throw new InvalidArgumentError(
        `No OpenAI client is configured (${messageOf(error)}). Pass one with new Runner({ client: ` +
          "createOpenAIClient({ baseURL: '/api/openai/v1' }) }) or setDefaultOpenAIClient(client).",
      )
    }
  }
}
