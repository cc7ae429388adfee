// The never-lost transcript: the base of both compaction sessions. The underlying session
// keeps every item ever added (the transcript); the compacted, model-facing history is a
// separate view that compaction replaces. Compaction never deletes from the transcript.
import { messageOf } from '../errors.js'
import { IndexedDBSession } from '../idb/indexeddb-session.js'
import { sameJson, startsWithItems } from '../items/json.js'
import { isCompactionItem, isUserMessage } from '../items/predicates.js'
import type { AgentItem } from '../items/types.js'
import { asStoredBatch, toStoredItems } from '../items/validate.js'
import { MemorySession } from '../session/memory.js'
import {
  isIndexedDBBackedSession,
  isReplaceableSession,
  isModelInputPreparingSession,
  isPendingRunsSession,
  isUsageTrackingSession,
  type PendingRun,
  type PendingRunsSession,
  type PendingRunUpdate,
  type UsageTrackingSession,
  type OpenAIResponsesCompactionArgs,
  type OpenAIResponsesCompactionAwareSession,
  type OpenAIResponsesCompactionResult,
} from '../session/capabilities.js'
import { resolveLimit, type Session } from '../session/session.js'
import type { RequestUsage, RunUsageSource, UsageTotals } from '../session/usage.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { CompactionError } from './compaction-error.js'
import { itemCountTrigger, TokenEstimator, type CompactionTrigger } from './triggers.js'

/** Suffix of the database that holds compacted views beside an {@link IndexedDBSession}'s own database. */
export const COMPACTED_VIEW_DB_SUFFIX = '-compacted-views'

/** Options every compacting session accepts. */
export interface CompactingSessionOptions {
  /**
   * The session that keeps the transcript: every item ever added, in order, never
   * compacted. Use the app's own session (an {@link IndexedDBSession}, possibly encrypted);
   * chat UIs, search and export keep reading it directly and see every message.
   */
  underlyingSession: Session
  /**
   * Where the compacted, model-facing history is kept. It is a cache: when it is empty or
   * lost, the model is sent the whole transcript until the next compaction, and nothing
   * of the conversation is lost.
   *
   * @default for an {@link IndexedDBSession}, a session of the same id in the database
   *   `<dbName>-compacted-views` (so the app's session list stays clean and the view
   *   survives reloads); for any other session, a {@link MemorySession} (nothing is written
   *   unencrypted beside an encrypted session — pass your own encrypted view to keep it
   *   across reloads).
   */
  viewSession?: Session
  /**
   * Decides after each turn whether to compact.
   * @default itemCountTrigger() — at least 10 foldable items
   */
  shouldTriggerCompaction?: CompactionTrigger
  /**
   * Receives failures of compactions started by a trigger (the runner's call after a turn),
   * which never fail the run: history stays as it was and compaction is tried again after
   * the next turn. Forced compactions throw instead.
   * @default logs the error's message with `console.warn`
   */
  onCompactionError?: (error: CompactionError) => void
}

/** What a subclass produced: the compacted prefix that replaces the history it was given. */
export interface CompactedPrefix {
  items: AgentItem[]
  mode: OpenAIResponsesCompactionResult['mode']
  /** Usage of the compaction call, when it reported some. */
  usage?: RequestUsage
}

/** The model-facing history and where it was read from. */
interface ViewSnapshot {
  items: AgentItem[]
  fromView: boolean
  /** Items appended through this object before it was read (see `#appended`). */
  appended: number
}

/**
 * Base of the compaction sessions: a {@link Session} whose `getItems` is the compacted
 * history the model needs, while {@link CompactingSession.getTranscript} (and the underlying
 * session itself) keeps every message the user saw.
 *
 * **Why a separate view rather than an archived branch**: compaction then never deletes
 * or rewrites the transcript, so no failure, crash or race during compaction can lose a
 * message; the transcript stays the app's ordinary session (branching, search, export,
 * `subscribe` keep working on it); and replacing the view is one `replaceItems` call,
 * atomic on {@link MemorySession} and {@link IndexedDBSession} (other view stores are
 * cleared and refilled, and restored if the refill fails). Before the first compaction
 * the view is empty and costs nothing: reads and writes go to the transcript alone.
 *
 * Writes through this object are serialized: `addItems` issued while a compaction waits
 * for the API land after the compacted prefix. If the history was changed otherwise
 * meanwhile (a pop, a clear, another tab compacting), that compaction is dropped and the
 * history kept as it is.
 */
export abstract class CompactingSession implements OpenAIResponsesCompactionAwareSession {
  /** Token estimates used by the triggers, refined by reported usage. */
  readonly #estimator = new TokenEstimator()
  /** The last failure of a trigger-started compaction, until one succeeds. */
  lastCompactionError: CompactionError | undefined
  /**
   * Records a run's usage on the transcript's newest turn (see `UsageTrackingSession`);
   * present when the underlying session tracks usage, as are the three methods below.
   */
  readonly storeRunUsage?: (result: RunUsageSource) => Promise<void>
  /** Appends to the transcript with the run's usage in one step, then to the view, as `addItems`. */
  readonly addItemsWithUsage?: (items: AgentItem[], usage: UsageTotals) => Promise<void>
  /** The transcript's usage (see `UsageTrackingSession.getSessionUsage`); compaction calls included. */
  readonly getSessionUsage?: (options?: { branchId?: string }) => Promise<UsageTotals>
  /** The transcript's usage per turn (see `UsageTrackingSession.getTurnUsage`). */
  readonly getTurnUsage?: UsageTrackingSession['getTurnUsage']

  /**
   * The transcript's run waiting for approval (see `PendingRunsSession`); present, with
   * `updatePendingRun`, when the underlying session keeps pending runs.
   */
  readonly getPendingRun?: () => Promise<PendingRun | undefined>
  /** Updates the transcript's pending run with its items in one step, then appends them to the view, as `addItems`. */
  readonly updatePendingRun?: (update: PendingRunUpdate) => Promise<void>

  /**
   * The underlying session's `prepareHistoryItemForModelInput` (see
   * `ModelInputPreparingSession`), present when it has one: a Conversations session's
   * assistant message ids are not sent back, compacted or not.
   */
  readonly prepareHistoryItemForModelInput?: (item: AgentItem) => AgentItem

  readonly #transcript: Session
  readonly #view: Session
  readonly #trigger: CompactionTrigger
  readonly #onError: (error: CompactionError) => void
  readonly #writes = new SerialQueue()
  readonly #compactions = new SerialQueue()
  /** Items appended to the transcript through this object, so a window re-read can take them in. */
  #appended = 0

  /** @param options - the transcript's session, where the view lives, the trigger */
  constructor(options: CompactingSessionOptions) {
    this.#transcript = options.underlyingSession
    this.#view = options.viewSession ?? defaultView(options.underlyingSession)
    this.#trigger = options.shouldTriggerCompaction ?? itemCountTrigger()
    this.#onError = options.onCompactionError ?? ((error) => console.warn(error.message))
    const transcript = options.underlyingSession
    if (isUsageTrackingSession(transcript)) {
      const usage: Omit<UsageTrackingSession, keyof Session> = {
        storeRunUsage: (result) => this.#exclusive(() => transcript.storeRunUsage(result)),
        addItemsWithUsage: (items, totals) => this.#append(items, (stored) => transcript.addItemsWithUsage(stored, totals), true),
        getSessionUsage: (options) => transcript.getSessionUsage(options),
        getTurnUsage: ((turn?: number) => (turn === undefined ? transcript.getTurnUsage() : transcript.getTurnUsage(turn))) as UsageTrackingSession['getTurnUsage'],
      }
      Object.assign(this, usage)
    }
    if (isModelInputPreparingSession(transcript)) {
      this.prepareHistoryItemForModelInput = (item) => transcript.prepareHistoryItemForModelInput(item)
    }
    if (isPendingRunsSession(transcript)) {
      const pending: Omit<PendingRunsSession, keyof Session> = {
        getPendingRun: () => transcript.getPendingRun(),
        updatePendingRun: (update) => this.#append(update.items, (stored) => transcript.updatePendingRun({ ...update, items: stored }), true),
      }
      Object.assign(this, pending)
    }
  }

  /** The session holding the full transcript (the `underlyingSession` option). */
  get transcriptSession(): Session {
    return this.#transcript
  }

  /**
   * The underlying session's id, read from it each time: an `OpenAIConversationsSession` has
   * one only once its conversation exists (`''` before, a new one after a clear).
   */
  get sessionId(): string {
    return this.#transcript.sessionId
  }

  /** The underlying session's `getSessionId()` (which creates a Conversations session's conversation). */
  async getSessionId(): Promise<string> {
    return this.#transcript.getSessionId()
  }

  /**
   * The model-facing history: the newest `limit` items of the compacted view (all when
   * omitted). An empty transcript (cleared or deleted, perhaps by another tab) has no
   * compacted view: one left behind is dropped, never sent.
   */
  async getItems(limit?: number): Promise<AgentItem[]> {
    if (resolveLimit(limit, undefined) <= 0) return []
    const view = await this.#view.getItems(limit)
    if (view.length === 0) return this.#transcript.getItems(limit)
    if ((await this.#transcript.getItems(1)).length === 0) {
      await this.#exclusive(() => this.#view.clearSession())
      return []
    }
    return view
  }

  /**
   * Every item ever added, oldest first, uncompacted: what the user saw (also when the
   * underlying session has a default window, `settings.limit`). The newest `limit` items
   * when given.
   */
  getTranscript(limit?: number): Promise<AgentItem[]> {
    return this.#transcript.getItems(limit ?? Infinity)
  }

  /**
   * Appends to the transcript (the source of truth) and then, once compacted, to the view.
   * If the view cannot take them, it is dropped: the model is then sent the transcript
   * until the next compaction, never a view that misses messages.
   */
  async addItems(items: AgentItem[]): Promise<void> {
    return this.#append(items, (stored) => this.#transcript.addItems(stored))
  }

  /** Writes `items` to the transcript with `write`, then to an active view. */
  async #append(items: AgentItem[], write: (stored: AgentItem[]) => Promise<void>, evenWhenEmpty = false): Promise<void> {
    const stored = asStoredBatch(toStoredItems(items))
    if (stored.length === 0 && !evenWhenEmpty) return
    await this.#exclusive(async () => {
      await write(stored)
      this.#appended += stored.length
      if (stored.length === 0 || !(await this.#viewActive())) return
      try {
        await this.#view.addItems(stored)
      } catch (error) {
        await this.#view.clearSession().catch((clearError: unknown) => {
          throw new CompactionError(
            `The messages were saved, but the compacted view could not take them (${messageOf(error)}) nor be dropped (${messageOf(clearError)}). ` +
              'Reload before sending more.',
            clearError,
          )
        })
      }
    })
  }

  /**
   * Removes the newest item of the transcript and returns it. When that item was folded
   * into the compacted view, the view is dropped (the model is sent the transcript until
   * the next compaction) rather than left holding a message that is gone.
   */
  async popItem(): Promise<AgentItem | undefined> {
    return this.#exclusive(async () => {
      const [viewLast] = await this.#view.getItems(1)
      if (viewLast === undefined) return this.#transcript.popItem()
      const [last] = await this.#transcript.getItems(1)
      if (last !== undefined && !isCompactionItem(viewLast) && sameJson(last, viewLast)) {
        const popped = await this.#view.popItem()
        try {
          return await this.#transcript.popItem()
        } catch (error) {
          if (popped !== undefined) await this.#view.addItems([popped]).catch(() => this.#view.clearSession())
          throw error
        }
      }
      await this.#view.clearSession()
      return this.#transcript.popItem()
    })
  }

  /** Deletes the compacted view and the transcript. */
  async clearSession(): Promise<void> {
    await this.#exclusive(async () => {
      await this.#view.clearSession()
      await this.#transcript.clearSession()
    })
  }

  /**
   * Compacts the model-facing history when the trigger fires, or at once with
   * `{ force: true }`. The runner calls it after a run's last turn is saved.
   *
   * A failure leaves transcript and view as they were. With `force` it is thrown as a
   * {@link CompactionError}; otherwise it goes to `onCompactionError`, is kept in
   * {@link CompactingSession.lastCompactionError}, and this resolves to `null`.
   * Concurrent calls run one after the other.
   */
  runCompaction(args: OpenAIResponsesCompactionArgs = {}): Promise<OpenAIResponsesCompactionResult | null> {
    return this.#compactions.run(() => this.#compact(args))
  }

  /**
   * Compacts `items` (the whole model-facing history, oldest first) into the prefix that
   * replaces them, or returns `undefined` when there is nothing to fold. Must not touch
   * storage.
   */
  protected abstract compactItems(items: AgentItem[], args: OpenAIResponsesCompactionArgs): Promise<CompactedPrefix | undefined>

  /** Items compaction keeps rather than folds; they do not count as candidates. */
  protected isKeptItem(item: AgentItem): boolean {
    return isUserMessage(item) || isCompactionItem(item)
  }

  async #compact(args: OpenAIResponsesCompactionArgs): Promise<OpenAIResponsesCompactionResult | null> {
    try {
      // Read between writes, so `appended` counts exactly the items it holds.
      const snapshot = await this.#exclusive(() => this.#snapshot())
      if (snapshot.items.length === 0) return null
      const tokensBefore = args.usage
        ? this.#estimator.calibrate(snapshot.items, args.usage.inputTokens + args.usage.outputTokens)
        : this.#estimator.estimate(snapshot.items)
      const candidateCount = snapshot.items.filter((item) => !this.isKeptItem(item)).length
      if (!args.force) {
        const context = { items: snapshot.items, candidateCount, estimatedTokens: tokensBefore, ...(args.usage && { lastUsage: args.usage }) }
        if (!(await this.#trigger(context))) return null
      }
      const prefix = await this.compactItems(structuredClone(snapshot.items), args)
      if (prefix === undefined) return null
      const stored = toStoredItems(prefix.items)
      const itemsAfter = await this.#exclusive(async () => {
        const now = await this.#snapshot(snapshot)
        if (now.fromView !== snapshot.fromView || !startsWithItems(now.items, snapshot.items)) {
          throw new CompactionError(
            'The history changed while it was being compacted (an item was removed, it was cleared, or another tab compacted it), so the compacted result was dropped; compaction runs again after the next turn.',
          )
        }
        const next = [...stored, ...now.items.slice(snapshot.items.length)]
        await replaceAll(this.#view, next)
        return next
      })
      this.lastCompactionError = undefined
      return {
        usage: prefix.usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        itemsBefore: snapshot.items.length,
        itemsAfter: itemsAfter.length,
        tokensBefore,
        tokensAfter: this.#estimator.estimate(itemsAfter),
        mode: prefix.mode,
      }
    } catch (error) {
      const failure = error instanceof CompactionError ? error : new CompactionError(`Compaction failed: ${messageOf(error)}.`, error)
      if (args.force) throw failure
      this.lastCompactionError = failure
      this.#onError(failure)
      return null
    }
  }

  /**
   * The model-facing history: every item of the view (it is replaced whole, so none may be
   * left out), or, before the first compaction, the transcript's window as the model is sent
   * it (its default window bounds what is compacted, as python's `get_items()` does). Re-read
   * after an `earlier` snapshot, the window is widened by the items appended since, so they
   * follow the compacted ones instead of sliding them out.
   */
  async #snapshot(earlier?: ViewSnapshot): Promise<ViewSnapshot> {
    const appended = this.#appended
    const view = await this.#view.getItems(Infinity)
    if (view.length > 0) return { items: view, fromView: true, appended }
    const window = earlier ? earlier.items.length + appended - earlier.appended : undefined
    return { items: await this.#transcript.getItems(window), fromView: false, appended }
  }

  async #viewActive(): Promise<boolean> {
    return (await this.#view.getItems(1)).length > 0
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#writes.run(task)
  }
}

/** The default store of the compacted view (see {@link CompactingSessionOptions.viewSession}). */
function defaultView(underlying: Session): Session {
  // A memory view's id is only a label: a Conversations session has none until its conversation exists.
  if (!isIndexedDBBackedSession(underlying)) return new MemorySession(underlying.sessionId || undefined)
  const { dbName, indexedDB } = underlying.indexedDBLocation
  const options = { dbName: `${dbName}${COMPACTED_VIEW_DB_SUFFIX}` }
  return new IndexedDBSession(underlying.sessionId, indexedDB ? { ...options, indexedDB } : options)
}

/**
 * Replaces every item of `session` with `items`: in one step where the session can
 * (`replaceItems`), else by clear and add, putting the old items back if either fails
 * (openai-agents-python's compaction lost history there). The old items are read with
 * `getItems(Infinity)`: all of them, not a default window (`settings.limit`).
 */
export async function replaceAll(session: Session, items: AgentItem[]): Promise<void> {
  if (isReplaceableSession(session)) return session.replaceItems(items)
  const before = await session.getItems(Infinity)
  try {
    // A clear that fails may have removed some items already (a custom store): put back all.
    await session.clearSession()
    await session.addItems(items)
  } catch (error) {
    try {
      await session.clearSession()
      await session.addItems(before)
    } catch (restoreError) {
      throw new CompactionError(
        `Writing the compacted history failed (${messageOf(error)}) and so did putting the old one back (${messageOf(restoreError)}); ` +
          'the transcript is intact; until the next compaction replaces it, the model is sent what the compacted view still holds (or the transcript, if the view is empty).',
        error,
        false,
      )
    }
    throw error
  }
}

