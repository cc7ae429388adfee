// One open conversation, without the DOM: what to show (items, versions, turn times, the
// compaction point, input waiting to be sent), which session a run uses (the compacting one
// on the main path, the transcript on edited versions), starting runs, and sending input
// kept while offline once the network is back.
import {
  IndexedDBSession,
  isSummaryItem,
  PendingInputStore,
  retryPending,
  retryPendingWhenOnline,
  run,
  RunState,
  SUMMARY_PREFIX,
  SyncedSession,
  type AgentItem,
  type BranchInfo,
  type PendingInput,
  type PendingTarget,
  type Session,
  type SummarizingCompactionSession,
  type TurnInfo,
} from '../../../src/index.js'
import { notesAgent } from '../agent.js'
import type { ResolvedModel } from '../connection/model.js'
import type { NotesStore } from '../notes/notes-store.js'
import { itemText } from '../offline-model/text.js'
import type { OpenChat } from './chat-store.js'
import { compactingSession } from './compaction.js'
import { LiveRun } from './live-run.js'

/** Compaction applies on the main path only: the compacted view follows one branch. */
const MAIN_BRANCH = 'main'

/** Input typed while the model could not be reached, for every chat of the demo. */
const pendingStore = new PendingInputStore({ dbName: 'idb-agents-demo-pending' })

export interface Snapshot {
  items: AgentItem[]
  branches: BranchInfo[]
  /** When each turn started and ended, by turn number. */
  turns: Map<number, TurnInfo>
  /** Where the model's history starts in `items`, and the summary it is sent instead of what precedes. */
  compacted?: { index: number; summary: string } | undefined
  /** Input kept while offline, oldest first. */
  waiting: PendingInput[]
  /** A run waiting for the user's approval (delete_note), read back from the session. */
  approval: RunState | undefined
}

export interface ConversationDeps {
  /** @throws SetupError when the connection settings are incomplete */
  model(): ResolvedModel
  notes(): NotesStore
  /** Offline input may be kept on this device in clear (not with the vault on, nor in a private window). */
  keepOffline: boolean
}

export class Conversation {
  readonly chat: OpenChat
  readonly #deps: ConversationDeps
  readonly #compacting: SummarizingCompactionSession

  constructor(chat: OpenChat, deps: ConversationDeps) {
    this.chat = chat
    this.#deps = deps
    this.#compacting = compactingSession(chat.session, chat.view, () => deps.model().model)
  }

  get sessionId(): string {
    return this.chat.raw.sessionId
  }

  /** The session runs use now: with compaction on the main path, the transcript itself on other versions. */
  async runSession(): Promise<Session> {
    return (await this.chat.raw.getCurrentBranchId()) === MAIN_BRANCH ? this.#compacting : this.chat.session
  }

  async load(): Promise<Snapshot> {
    const items = await this.chat.session.getItems()
    const approval = await RunState.fromSession(notesAgent(), await this.runSession())
    if (items.length === 0) return { items, branches: [], turns: new Map(), waiting: await this.#waiting(), approval }
    const [branches, turns, compacted, waiting] = await Promise.all([
      this.chat.raw.listBranches(),
      this.chat.raw.getTurns(),
      this.#compactionPoint(items),
      this.#waiting(),
    ])
    return { items, branches, turns: new Map(turns.map((turn) => [turn.turn, turn])), compacted, waiting, approval }
  }

  /**
   * Starts a run with `text`, continues one whose input is stored (`undefined`), or resumes
   * a run that waited for approval (its `RunState`, with the user's decisions in it).
   */
  start(text: string | undefined | RunState): LiveRun {
    const shown = typeof text === 'string' ? text : undefined
    return new LiveRun(this.sessionId, shown, async (signal) => {
      const agent = notesAgent(this.#deps.model().model)
      await this.#dropStaleView()
      const session = await this.runSession()
      // Input waiting from before goes first, so messages keep their order.
      if (!(text instanceof RunState) && navigator.onLine && (await this.#waiting()).length > 0) await this.sendWaitingNow().catch(() => {})
      return run(agent, text ?? [], {
        session,
        context: this.#context(),
        stream: true,
        signal,
        pendingInput: this.#deps.keepOffline ? pendingStore : false,
      })
    })
  }

  /**
   * Sends waiting input whenever the browser comes back online (and now, when online),
   * through the library's retryPendingWhenOnline: once, even with several tabs.
   * @returns stops watching
   */
  watchWaiting(callbacks: { sent(): void; failed(error: unknown): void }): () => void {
    let stop: (() => void) | undefined
    let stopped = false
    if (this.#deps.keepOffline) {
      void this.runSession().then((session) => {
        if (stopped) return
        try {
          stop = retryPendingWhenOnline(notesAgent(this.#deps.model().model), session, {
            store: pendingStore,
            context: this.#context(),
            onSent: callbacks.sent,
            onError: callbacks.failed,
          })
        } catch (error) {
          callbacks.failed(error)
        }
      }, callbacks.failed)
    }
    return () => {
      stopped = true
      stop?.()
    }
  }

  /** Sends waiting input now (the network may be back without the browser noticing). */
  async sendWaitingNow(): Promise<void> {
    await retryPending(notesAgent(this.#deps.model().model), await this.runSession(), { store: pendingStore, context: this.#context() })
  }

  /** Deletes a waiting input (the user chose not to send it). */
  async discardWaiting(entry: PendingInput): Promise<void> {
    await pendingStore.remove(entry.id)
  }

  /**
   * A synced chat gets turns from other devices in its transcript only: the compacted view
   * kept on this device then misses them. Such a view is dropped (the model is sent the
   * whole transcript until the next compaction), never sent without those turns.
   */
  async #dropStaleView(): Promise<void> {
    if (!(this.chat.raw instanceof SyncedSession) || (await this.chat.raw.getCurrentBranchId()) !== MAIN_BRANCH) return
    const [viewLast] = await this.chat.view.getItems(1)
    if (viewLast === undefined) return
    const [last] = await this.chat.session.getItems(1)
    if (JSON.stringify(viewLast) !== JSON.stringify(last)) await this.chat.view.clearSession()
  }

  async #waiting(): Promise<PendingInput[]> {
    if (!this.#deps.keepOffline) return []
    const session = await this.runSession()
    // The target run() keeps input under: the session's id, and its database when it names one.
    const target: PendingTarget = { sessionId: session.sessionId, dbName: session instanceof IndexedDBSession ? session.dbName : undefined }
    return pendingStore.list(target)
  }

  #context(): { userId: string; notes: NotesStore } {
    const notes = this.#deps.notes()
    return { userId: notes.user, notes }
  }

  /**
   * Where the model-facing history was compacted: the view is [summary, ...the newest
   * items of the transcript verbatim], so it starts that many items from the end.
   */
  async #compactionPoint(items: AgentItem[]): Promise<Snapshot['compacted']> {
    if ((await this.chat.raw.getCurrentBranchId()) !== MAIN_BRANCH) return undefined
    const view = await this.#compacting.getItems()
    if (view.length === 0 || !isSummaryItem(view[0])) return undefined
    const index = items.length - (view.length - 1)
    const first = view[1]
    if (index <= 0 || (first !== undefined && itemText(first) !== itemText(items[index]))) return undefined
    return { index, summary: itemText(view[0]).slice(SUMMARY_PREFIX.length).trim() }
  }
}
