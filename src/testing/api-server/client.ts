// Drives the test server over HTTP. Browser-safe (fetch only), so browser tests use it too.
import type { ScriptedHttpError, ScriptedTurn } from '../script.js'
import type { ConversationsRoute } from './conversations.js'
import type { RecordedRequest } from './server.js'

/** A script on the test server: its model endpoints and what they received. */
export interface ServerScript {
  /** The script id (also found in response ids and `x-request-id`). */
  readonly id: string
  /** Give this to the `openai` client: `createOpenAIClient({ baseURL: script.baseURL })`. */
  readonly baseURL: string
  /** The requests received so far, in order. */
  requests(): Promise<RecordedRequest[]>
  /** Appends turns. */
  append(...turns: ScriptedTurn[]): Promise<void>
  /**
   * Makes the next calls of `route` fail with `errors`, one call each (the `openai`
   * client retries 408/409/429/5xx, so queue one per attempt).
   */
  failNext(route: 'responses.compact' | ConversationsRoute, ...errors: ScriptedHttpError[]): Promise<void>
  /** Deletes the script on the server. */
  dispose(): Promise<void>
}

/**
 * Creates a script on the test server started by `startApiServer` (its `url`, e.g. from
 * vitest's `inject('apiServerUrl')`). Each test should create its own.
 *
 * ```ts
 * const script = await createServerScript(inject('apiServerUrl'), ['Hello!'])
 * const runner = new Runner({ client: createOpenAIClient({ baseURL: script.baseURL }) })
 * ```
 *
 * @param serverUrl - the server's `url`
 * @param turns - the model turns, in order
 */
export async function createServerScript(serverUrl: string, turns: ScriptedTurn[]): Promise<ServerScript> {
  const created = await call<{ id: string; baseURL: string }>(`${serverUrl}/__scripts`, 'POST', { turns })
  const base = `${serverUrl}/__scripts/${created.id}`
  return {
    id: created.id,
    baseURL: created.baseURL,
    requests: () => call<RecordedRequest[]>(`${base}/requests`, 'GET'),
    append: async (...more) => void (await call(`${base}/turns`, 'POST', { turns: more })),
    failNext: async (route, ...errors) => void (await call(`${base}/faults`, 'POST', { route, errors })),
    dispose: async () => void (await call(base, 'DELETE')),
  }
}

async function call<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  if (!response.ok) throw new Error(`test server: ${method} ${url} answered ${response.status}: ${await response.text()}`)
  return (response.status === 204 ? undefined : await response.json()) as T
}
