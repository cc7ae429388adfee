import { MemorySession, type AgentItem, type Session } from '../../../src/index.js'

/**
 * A session with the bare contract only — no branches, usage or replaceItems — backed by a
 * MemorySession: what a user's own minimal session looks like to decorators.
 */
export class PlainSession implements Session {
  readonly #inner: MemorySession
  readonly sessionId: string
  constructor(id: string) {
    this.#inner = new MemorySession(id)
    this.sessionId = id
  }
  getSessionId = () => this.#inner.getSessionId()
  getItems = (limit?: number) => this.#inner.getItems(limit)
  addItems = (items: AgentItem[]) => this.#inner.addItems(items)
  popItem = () => this.#inner.popItem()
  clearSession = () => this.#inner.clearSession()
}
