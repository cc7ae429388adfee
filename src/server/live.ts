import type { PageOptions, RawChangesPage } from './feed.js'
import type { PostgresStore } from './store.js'

// Live delivery: Server-Sent Events and long-poll, both woken by the store's change
// notifications and, as a safety net, re-reading the feed at every heartbeat.

/** Wakes when a change of one user past a cursor is committed. Subscribe before reading the feed, so none is missed. */
export class ChangeWaiter {
  #latest = 0
  #wake: (() => void) | undefined
  readonly #unsubscribe: () => void

  constructor(store: PostgresStore, userId: string) {
    this.#unsubscribe = store.subscribe(userId, (cursor) => {
      this.#latest = Math.max(this.#latest, cursor)
      this.#wake?.()
    })
  }

  /** The newest cursor notified since this waiter was made (0 before any). */
  get latest(): number {
    return this.#latest
  }

  /** Resolves `true` when a change past `after` was committed (since this waiter was made), `false` after `ms` or on abort. */
  wait(after: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#latest > after) return Promise.resolve(true)
    if (signal?.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const finish = (woken: boolean) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#wake = undefined
        resolve(woken)
      }
      const onAbort = () => finish(false)
      const timer = setTimeout(() => finish(false), ms)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#wake = () => {
        if (this.#latest > after) finish(true)
      }
    })
  }

  close(): void {
    this.#wake = undefined
    this.#unsubscribe()
  }
}

/** A page as the JSON text of a `ChangesPage`. */
export function pageJson(page: RawChangesPage): string {
  return `{"changes":[${page.changes.join(',')}],"cursor":${page.cursor},"hasMore":${page.hasMore}}`
}

/**
 * Changes after `after`; when there are none, waits up to `waitMs` for one (long-poll).
 * Resolves early with an empty page when `signal` aborts (the client went away).
 */
export async function longPoll(
  store: PostgresStore,
  userId: string,
  after: number,
  waitMs: number,
  page: PageOptions,
  signal?: AbortSignal,
): Promise<RawChangesPage> {
  const waiter = new ChangeWaiter(store, userId)
  try {
    // A wake-up noted before a read that found nothing is used up: wait past it, not on it.
    let seen = waiter.latest
    const first = await store.changes(userId, after, page)
    if (first.changes.length > 0 || waitMs <= 0) return first
    const deadline = Date.now() + waitMs
    for (let left = waitMs; left > 0 && !signal?.aborted; left = deadline - Date.now()) {
      await waiter.wait(Math.max(after, seen), left, signal)
      seen = waiter.latest
      const next = await store.changes(userId, after, page)
      if (next.changes.length > 0) return next
    }
    return first
  } finally {
    waiter.close()
  }
}

/** Options of {@link liveStream}. */
export interface LiveStreamOptions {
  heartbeatMs: number
  page: PageOptions
  /** The first page, already read (so that a bad cursor is an HTTP error, not a broken stream). */
  first: RawChangesPage
  signal?: AbortSignal
  onError: (error: unknown) => void
}

/**
 * An SSE body: `changes` events (`id:` = cursor, data = a `ChangesPage`) as soon as
 * changes are committed, and a `: heartbeat` comment every `heartbeatMs` without any.
 * The feed is re-read at each heartbeat too, so a missed wake-up costs one heartbeat.
 */
export function liveStream(store: PostgresStore, userId: string, after: number, options: LiveStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const stop = new AbortController()
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true })
  const waiter = new ChangeWaiter(store, userId)
  let cursor = after
  let seen = 0
  let pending: RawChangesPage | undefined = options.first
  const event = (page: RawChangesPage) => encoder.encode(`id: ${page.cursor}\nevent: changes\ndata: ${pageJson(page)}\n\n`)
  const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    waiter.close()
    try {
      controller.close()
    } catch {
      // already closed or cancelled
    }
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: 2000\n: connected\n\n`))
    },
    async pull(controller) {
      try {
        for (;;) {
          if (stop.signal.aborted) return end(controller)
          const before = waiter.latest
          const page = pending ?? (await store.changes(userId, cursor, options.page))
          pending = undefined
          seen = before
          cursor = page.cursor
          if (page.changes.length > 0) {
            controller.enqueue(event(page))
            return
          }
          // A wake-up noted before a read that found nothing is used up: wait past it.
          const woken = await waiter.wait(Math.max(cursor, seen), options.heartbeatMs, stop.signal)
          if (stop.signal.aborted) return end(controller)
          if (!woken) {
            controller.enqueue(encoder.encode(': heartbeat\n\n'))
            return
          }
        }
      } catch (error) {
        options.onError(error)
        controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ error: { code: 'internal', message: 'The live feed failed; reconnect.' } })}\n\n`))
        end(controller)
      }
    },
    cancel() {
      stop.abort()
      waiter.close()
    },
  })
}
