// Input kept while offline goes out by itself when the network is back, in every chat that
// holds some, not only the open one: a watcher (retryPendingWhenOnline, through
// Conversation.watchWaiting) runs for the open chat and for each chat known to hold waiting
// input. Which chats those are is kept per user in localStorage (ids only, no text), so a
// reload resumes them.
import type { Conversation } from './conversation.js'

export interface WaitingEvents {
  /** Waiting input of `sessionId` was sent. */
  sent(sessionId: string): void
  /** Sending it failed; it stays waiting. */
  failed(sessionId: string, error: unknown): void
}

const storageKey = (user: string): string => `idb-agents-demo:${user}:waiting-chats`

export class WaitingWatch {
  readonly #user: string
  readonly #persist: boolean
  readonly #events: WaitingEvents
  readonly #watchers = new Map<string, { conversation: Conversation; stop: () => void }>()

  constructor(user: string, persist: boolean, events: WaitingEvents) {
    this.#user = user
    this.#persist = persist
    this.#events = events
  }

  /** Ids of the chats known to hold waiting input (from this visit or an earlier one). */
  known(): string[] {
    const raw = this.#persist ? localStorage.getItem(storageKey(this.#user)) : null
    return raw ? (JSON.parse(raw) as string[]) : []
  }

  /** Watches `conversation` (again: its version may have changed, and with it the session runs use). */
  watch(conversation: Conversation): void {
    this.#watchers.get(conversation.sessionId)?.stop()
    const stop = conversation.watchWaiting({
      sent: () => {
        this.#events.sent(conversation.sessionId)
        void this.settle(conversation)
      },
      failed: (error) => this.#events.failed(conversation.sessionId, error),
    })
    this.#watchers.set(conversation.sessionId, { conversation, stop })
  }

  /** Watches every watched chat again (the connection changed: the model that sends is another). */
  rewatch(): void {
    for (const { conversation } of [...this.#watchers.values()]) this.watch(conversation)
  }

  /** Input of `conversation` was kept: keep watching it when another chat is opened, and after a reload. */
  kept(conversation: Conversation): void {
    this.#remember(conversation.sessionId, true)
    if (!this.#watchers.has(conversation.sessionId)) this.watch(conversation)
  }

  /** Stops watching `conversation` if nothing of it waits any more (and it is not `keep`, the open chat). */
  async settle(conversation: Conversation, keep?: string): Promise<void> {
    if ((await conversation.load()).waiting.length > 0) return
    this.#remember(conversation.sessionId, false)
    if (conversation.sessionId === keep) return
    this.#watchers.get(conversation.sessionId)?.stop()
    this.#watchers.delete(conversation.sessionId)
  }

  /** `sessionId` is no longer the open chat: stop watching it unless input of it waits. */
  left(sessionId: string): void {
    const watched = this.#watchers.get(sessionId)
    if (watched && !this.known().includes(sessionId)) {
      watched.stop()
      this.#watchers.delete(sessionId)
    }
  }

  stopAll(): void {
    for (const { stop } of this.#watchers.values()) stop()
    this.#watchers.clear()
  }

  #remember(sessionId: string, waiting: boolean): void {
    if (!this.#persist) return
    const ids = new Set(this.known())
    if (waiting) ids.add(sessionId)
    else ids.delete(sessionId)
    if (ids.size === 0) localStorage.removeItem(storageKey(this.#user))
    else localStorage.setItem(storageKey(this.#user), JSON.stringify([...ids]))
  }
}
