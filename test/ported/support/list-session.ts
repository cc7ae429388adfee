// A bare session over an array, with hooks to make its writes fail the ways the SDKs'
// compaction tests do (a replacement that fails halfway, a clear that fails before or after
// it changed anything). It has no `replaceItems`, so compaction must clear and add.
import type { AgentItem, Session } from '../../../src/index.js'
import { deferred } from './items.js'

export interface ListSessionHooks {
  /** Called before each add; throw to fail it. `items` were already appended when `partial` is returned. */
  add?: (call: number, items: AgentItem[]) => 'partial' | void
  /** Called before each clear; `'after'` clears first, then fails. */
  clear?: (call: number) => 'fail' | 'after' | void
  /** Default window of `getItems()` without an argument. */
  limit?: number
}

export class ListSession implements Session {
  items: AgentItem[] = []
  adds = 0
  clears = 0
  /** When set, the next clear waits for it (to hold a restore at a known point). */
  holdNextClear: { reached: ReturnType<typeof deferred<void>>; release: ReturnType<typeof deferred<void>> } | undefined

  constructor(
    readonly sessionId: string,
    private readonly hooks: ListSessionHooks = {},
  ) {}

  async getSessionId(): Promise<string> {
    return this.sessionId
  }
  async getItems(limit?: number): Promise<AgentItem[]> {
    const n = limit ?? this.hooks.limit ?? Infinity
    return n <= 0 ? [] : structuredClone(this.items.slice(Math.max(0, this.items.length - n)))
  }
  async addItems(items: AgentItem[]): Promise<void> {
    this.adds += 1
    if (this.hooks.add?.(this.adds, items) === 'partial') {
      this.items.push(...structuredClone(items.slice(0, 1)))
      throw new Error('replacement failed')
    }
    this.items.push(...structuredClone(items))
  }
  async popItem(): Promise<AgentItem | undefined> {
    return this.items.pop()
  }
  async clearSession(): Promise<void> {
    this.clears += 1
    const hold = this.holdNextClear
    this.holdNextClear = undefined
    if (hold) {
      hold.reached.resolve()
      await hold.release.promise
    }
    const mode = this.hooks.clear?.(this.clears)
    if (mode === 'fail') throw new Error('clear failed')
    this.items = []
    if (mode === 'after') throw new Error('clear failed')
  }
}
