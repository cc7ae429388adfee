import type { AgentItem } from '../items.js'
import { toStoredItems } from '../items.js'
import { assertSessionId, resolveLimit, type ReplaceableSession, type SessionSettings } from './session.js'

/** Options of {@link MemorySession}. */
export interface MemorySessionOptions {
  /** Default window for `getItems`. */
  settings?: SessionSettings
}

/**
 * A session kept in this page's memory: the twin of `SQLiteSession(id)` without a file.
 * Nothing survives a reload. Use it in tests, and as the fallback when IndexedDB is
 * unavailable (some private modes).
 *
 * Items are copied in and out: changing an object after `addItems`, or one returned by
 * `getItems`, changes nothing stored.
 */
export class MemorySession<TItem = AgentItem> implements ReplaceableSession<TItem> {
  readonly sessionId: string
  readonly #settings: SessionSettings | undefined
  #items: TItem[] = []

  /**
   * @param sessionId - isolates this conversation; a random id when omitted
   * @param options - default settings
   */
  constructor(sessionId: string = crypto.randomUUID(), options: MemorySessionOptions = {}) {
    assertSessionId(sessionId)
    this.sessionId = sessionId
    this.#settings = options.settings
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  async getItems(limit?: number): Promise<TItem[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    const start = Math.max(0, this.#items.length - count)
    return structuredClone(this.#items.slice(start))
  }

  async addItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    this.#items.push(...stored)
  }

  async popItem(): Promise<TItem | undefined> {
    return this.#items.pop()
  }

  async clearSession(): Promise<void> {
    this.#items = []
  }

  async replaceItems(items: TItem[]): Promise<void> {
    this.#items = toStoredItems(items)
  }
}
