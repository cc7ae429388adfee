import type { AgentItem } from '../items/types.js'
import { InvalidArgumentError } from '../errors.js'

/**
 * Settings every session accepts.
 */
export interface SessionSettings {
  /**
   * Default window for {@link Session.getItems}: how many of the newest items it returns
   * when called without an argument. An explicit `getItems(limit)` wins.
   * @default undefined (all items)
   */
  limit?: number
}

/**
 * Where an agent's conversation history lives between runs: the browser twin of the
 * Python SDK's `SessionABC` and a drop-in for `@openai/agents`' `Session`.
 *
 * Implementations must:
 * - store items in the order given and hand back equal copies, never the caller's objects;
 * - make `addItems` all-or-nothing (a rejected batch leaves what was stored untouched),
 *   and keep each call's items contiguous and in order under concurrent calls;
 * - never return the same item from two concurrent `popItem` calls;
 * - keep sessions with different ids fully isolated.
 *
 * `describeSessionConformance` from `idb-agents/testing` checks all of this for any
 * implementation, including your own.
 *
 * @typeParam TItem - the stored item type; {@link AgentItem} unless you store something else
 */
export interface Session<TItem = AgentItem> {
  /** The id that isolates this conversation from every other one. */
  readonly sessionId: string

  /** Resolves to {@link Session.sessionId}; for `@openai/agents` compatibility. */
  getSessionId(): Promise<string>

  /**
   * The newest `limit` items, oldest first; all items when `limit` is omitted and no
   * {@link SessionSettings.limit} is set; `[]` when `limit <= 0`.
   */
  getItems(limit?: number): Promise<TItem[]>

  /** Appends `items` in order, all or nothing. An empty array is a no-op. */
  addItems(items: TItem[]): Promise<void>

  /** Removes and returns the newest item, or `undefined` when the session is empty. */
  popItem(): Promise<TItem | undefined>

  /** Deletes every item of this session. */
  clearSession(): Promise<void>
}

/**
 * The number of newest items `getItems` should return: the explicit `limit` when given,
 * else `settings.limit`, else `Infinity` (all). Results `<= 0` mean "none".
 *
 * @throws {@link InvalidArgumentError} for `NaN` or a non-integer finite limit.
 */
export function resolveLimit(limit: number | undefined, settings: SessionSettings | undefined): number {
  const chosen = limit ?? settings?.limit
  if (chosen === undefined) return Infinity
  if (typeof chosen !== 'number' || Number.isNaN(chosen) || (Number.isFinite(chosen) && !Number.isInteger(chosen))) {
    throw new InvalidArgumentError(`limit must be an integer or Infinity, got ${String(chosen)}.`)
  }
  return Math.max(0, chosen)
}

/** Checks a session id: a non-empty string. */
export function assertSessionId(sessionId: unknown): asserts sessionId is string {
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw new InvalidArgumentError(`sessionId must be a non-empty string, got ${JSON.stringify(sessionId) ?? String(sessionId)}.`)
  }
}
