import OpenAI from 'openai'
import { InvalidArgumentError } from '../errors.js'

/**
 * The `openai` client a session makes when none was given: `new OpenAI()`, which reads
 * `OPENAI_API_KEY` (Node) and refuses in a browser. `explain` turns that refusal into the
 * session's own typed error, saying how to pass a client.
 */
export function defaultOpenAIClient(explain: (cause: unknown) => Error): OpenAI {
  try {
    return new OpenAI()
  } catch (error) {
    throw explain(error)
  }
}

/**
 * The API key sent when none is given (proxy mode). The `openai` client insists on a key;
 * this placeholder satisfies it and is never sent: the `Authorization` header is removed
 * unless you set your own in `defaultHeaders`.
 */
const PROXY_PLACEHOLDER_API_KEY = 'idb-agents-proxy-no-key'

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
 * @throws {@link InvalidArgumentError} when neither `apiKey` nor `baseURL` is given, or
 *   `baseURL` holds a user name or password (browsers refuse to send such requests)
 */
export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  const { apiKey, baseURL, defaultHeaders, fetch: fetchFn, dangerouslyAllowBrowser, maxRetries, timeout } = options
  if (apiKey === undefined && baseURL === undefined) {
    throw new InvalidArgumentError(
      'createOpenAIClient needs an apiKey (direct use) or the baseURL of your proxy (no key in the browser).',
    )
  }
  const resolvedBaseURL = baseURL === undefined ? undefined : absoluteURL(baseURL)
  if (resolvedBaseURL !== undefined && hasCredentials(resolvedBaseURL)) {
    throw new InvalidArgumentError(
      'createOpenAIClient: the baseURL holds a user name or password, which browsers refuse to send. ' +
        'Put the credentials in defaultHeaders (e.g. { Authorization: "Basic …" }) and the URL without them.',
    )
  }
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

function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.username !== '' || parsed.password !== ''
  } catch {
    return false
  }
}
