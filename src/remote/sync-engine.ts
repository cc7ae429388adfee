// Moving the outbox to the server and the server's feed to this device: `sync()` on
// demand, and with `live` on, a push after every write and the live feed (Server-Sent
// Events read with fetch) for what other devices write, retried with exponential backoff (capped) and at once when the browser
// says it is back online.
import { InvalidArgumentError, InvalidItemError } from '../errors.js'
import { publishChange } from '../idb/changes.js'
import type { DatabaseLocation } from '../idb/database.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { errorOf, type SyncClient } from './client.js'
import { ConflictError, SyncError } from './errors.js'
import { CURSOR_KEY, inSyncTransaction } from './local-store.js'
import { awaitsReseal, isRefusal, refuseOp, settlePush, takeBatch } from './outbox.js'
import { resealMoved } from './reseal.js'
import type { ResealHandler } from '../session/capabilities.js'
import { readLive } from './live.js'
import type { ChangesPage, SyncErrorCode } from './protocol.js'
import { applyPage } from './replica.js'

/** Backoff of live sync after a failure. */
export interface RetryOptions {
  /** The first wait after a failure, doubled after each further one. @default 1000 */
  initialMs?: number
  /** The longest wait. @default 60000 */
  maxMs?: number
}

export interface SyncEngineOptions {
  /** Push after writes and pull what other devices write as it happens. */
  live: boolean
  retry?: RetryOptions
  /** Told about each failure of live sync (the work is kept and retried). */
  onError?: ((error: Error) => void) | undefined
  /** The handler sealing a session's moved appends again, if one is set (see reseal.ts). */
  resealFor?: (sessionId: string) => ResealHandler | undefined
}

/** What a failed push keeps: said in its error's message. */
export const KEPT_IN_OUTBOX = 'Your changes are kept on this device and will be sent again.'
const MAX_OPS = 500
/** Rounds of push, pull and reseal one `sync()` makes while other devices keep appending first. */
const MAX_RESEAL_ROUNDS = 5
/** How long the live stream's headers may take before long-poll takes over. */
const STREAM_CONNECT_MS = 5_000
/** The first long-poll wait asked for (halved while the server refuses it as too long). */
const LONG_POLL_MS = 25_000

export class SyncEngine {
  readonly #location: DatabaseLocation
  readonly #client: SyncClient
  readonly #queue = new SerialQueue()
  readonly #options: SyncEngineOptions
  #closed = false
  #failures = 0
  #pushTimer: ReturnType<typeof setTimeout> | undefined
  #pushScheduled = false
  #live: AbortController | undefined
  #wake: (() => void) | undefined
  /** 0 while the live stream works; the long-poll wait once it did not. */
  #longPollMs = 0
  readonly #online = () => this.#resume()

  constructor(location: DatabaseLocation, client: SyncClient, options: SyncEngineOptions) {
    this.#location = location
    this.#client = client
    this.#options = options
    if (options.live) {
      globalThis.addEventListener?.('online', this.#online)
      this.#live = new AbortController()
      void this.#liveLoop(this.#live.signal)
      this.schedulePush()
    }
  }

  /**
   * Pushes the whole outbox, then pulls until caught up, sealing moved appends again and
   * pushing them while there are any. Rejects with the typed error of the first failure
   * (or the reseal handler's); nothing is lost.
   */
  sync(): Promise<void> {
    return this.#queue.run(async () => {
      for (let round = 1; ; round++) {
        const waiting = await this.#pushAll()
        await this.#pullAll()
        const resealed = await this.#reseal()
        if ((!waiting && !resealed) || round === MAX_RESEAL_ROUNDS) return
      }
    })
  }

  /** Pushes the outbox soon (live only); retried with backoff on failure. */
  schedulePush(delayMs = 0): void {
    if (!this.#options.live || this.#closed || this.#pushScheduled) return
    this.#pushScheduled = true
    this.#pushTimer = setTimeout(() => {
      this.#pushScheduled = false
      this.#queue.run(() => this.#pushThenReseal()).then(
        () => {
          this.#failures = 0
        },
        (error: unknown) => {
          this.#fail(error)
          this.schedulePush(this.#backoff())
        },
      )
    }, delayMs)
  }

  /** Stops live sync: no more pushes or pulls on their own. `sync()` still works. */
  close(): void {
    this.#closed = true
    globalThis.removeEventListener?.('online', this.#online)
    clearTimeout(this.#pushTimer)
    this.#live?.abort()
    this.#wake?.()
  }

  /** Live push: when an append met other devices' items first, pull, seal it again and push once more soon. */
  async #pushThenReseal(): Promise<void> {
    if (!(await this.#pushAll())) return
    await this.#pullAll()
    if (await this.#reseal()) this.schedulePush()
  }

  /** Seals moved appends again (see reseal.ts); `true` when some wait to be pushed. */
  #reseal(): Promise<boolean> {
    const handlerFor = this.#options.resealFor
    return handlerFor ? resealMoved(this.#location, handlerFor) : Promise.resolve(false)
  }

  /** Pushes the outbox; resolves `true` when it stopped at an append to seal again. */
  async #pushAll(): Promise<boolean> {
    let oneByOne = false
    for (;;) {
      const batch = await takeBatch(this.#location, oneByOne ? 1 : MAX_OPS)
      if (batch.ops.length === 0) return false
      let answer
      try {
        answer = await this.#client.push(batch.ops, KEPT_IN_OUTBOX)
      } catch (error) {
        const status = refusedStatus(error)
        if (status === undefined) throw error
        // The whole request was refused for one op's sake: find it by sending them one by one.
        if (batch.ops.length > 1) {
          oneByOne = true
          continue
        }
        const code = error instanceof SyncError ? error.reason : (error as InvalidItemError | InvalidArgumentError).code
        await refuseOp(this.#location, batch.entries[0]!.opId, status, { code: code as SyncErrorCode, message: (error as Error).message })
        continue
      }
      await settlePush(this.#location, answer.status, answer.body)
      if (awaitsReseal(answer.status, answer.body)) return true
      if (answer.body.error && !isRefusal(answer.status)) throw errorOf(answer.status, { error: answer.body.error }, KEPT_IN_OUTBOX)
    }
  }

  async #pullAll(): Promise<void> {
    for (;;) {
      const after = await this.#cursor()
      let page
      try {
        page = await this.#client.changes(after)
      } catch (error) {
        // The server's database is older than this device's cursor (restored from a backup):
        // keep everything here, read the whole feed again and push what it lacks.
        if (error instanceof ConflictError && error.reason === 'cursor_ahead') {
          await this.#setCursor(0)
          continue
        }
        throw error
      }
      if (page.changes.length > 0 || page.cursor !== after) {
        const touched = await applyPage(this.#location, page)
        for (const [sessionId, kind] of touched) publishChange({ dbName: this.#location.dbName, sessionId, kind })
      }
      if (!page.hasMore) return
    }
  }

  /**
   * Reads the live feed (Server-Sent Events) for as long as it runs; reconnects after it
   * ends, with backoff after failures. Where the stream's headers do not arrive in time (a
   * proxy or browser that buffers streamed responses) it long-polls `/v1/changes` instead.
   */
  async #liveLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (this.#longPollMs > 0) await this.#longPoll(signal)
        else await this.#stream(signal)
      } catch (error) {
        if (signal.aborted) return
        // A server whose longest wait is shorter refuses ours (400): ask for less.
        if (this.#longPollMs > 1000 && error instanceof SyncError && error.status === 400) {
          this.#longPollMs = Math.floor(this.#longPollMs / 2)
          continue
        }
        this.#fail(error)
        await this.#sleep(this.#backoff())
      }
    }
  }

  async #stream(signal: AbortSignal): Promise<void> {
    const connecting = new AbortController()
    const stop = () => connecting.abort()
    signal.addEventListener('abort', stop, { once: true })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      connecting.abort()
    }, STREAM_CONNECT_MS)
    try {
      let response: Response
      try {
        response = await this.#client.live(await this.#cursor(), connecting.signal)
      } catch (error) {
        if (!timedOut) throw error
        this.#longPollMs = LONG_POLL_MS
        return
      } finally {
        clearTimeout(timer)
      }
      this.#failures = 0
      const end = await readLive(response, (page) => this.#queue.run(() => this.#applyLive(page)))
      if (!signal.aborted) await this.#sleep(end.retryMs ?? 1000)
    } finally {
      signal.removeEventListener('abort', stop)
    }
  }

  async #longPoll(signal: AbortSignal): Promise<void> {
    const page = await this.#client.changes(await this.#cursor(), { waitMs: this.#longPollMs, signal })
    this.#failures = 0
    if (page.changes.length > 0) await this.#queue.run(() => this.#applyLive(page))
  }

  async #applyLive(page: ChangesPage): Promise<void> {
    if (page.changes.length > 0) {
      const touched = await applyPage(this.#location, page)
      for (const [sessionId, kind] of touched) publishChange({ dbName: this.#location.dbName, sessionId, kind })
    }
    if (page.hasMore) await this.#pullAll()
    // Other devices' items may have moved this device's: seal those again and push them.
    if (await this.#reseal()) this.schedulePush()
  }

  #fail(error: unknown): void {
    this.#failures += 1
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)))
  }

  #backoff(): number {
    const initial = this.#options.retry?.initialMs ?? 1000
    const max = this.#options.retry?.maxMs ?? 60_000
    return Math.min(max, initial * 2 ** Math.max(0, this.#failures - 1))
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#wake = done
    })
  }

  /** Back online: retry at once, from the first backoff step. */
  #resume(): void {
    this.#failures = 0
    this.#wake?.()
    clearTimeout(this.#pushTimer)
    this.#pushScheduled = false
    this.schedulePush()
  }

  #cursor(): Promise<number> {
    return inSyncTransaction(this.#location, 'reading the sync cursor', async (tx) => (await tx.objectStore('syncState').get(CURSOR_KEY))?.value ?? 0)
  }

  #setCursor(value: number): Promise<void> {
    return inSyncTransaction(this.#location, 'resetting the sync cursor', async (tx) => {
      await tx.objectStore('syncState').put({ key: CURSOR_KEY, value })
    })
  }
}

/** The status of an error that refuses a push for its content (sending it again would fail again). */
function refusedStatus(error: unknown): number | undefined {
  if (error instanceof InvalidItemError || error instanceof InvalidArgumentError) return 400
  if (error instanceof SyncError && (error.status === 400 || error.status === 413 || error.status === 415)) return error.status
  return undefined
}
