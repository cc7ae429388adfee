// The chat pane: shows one conversation with what is not stored yet (waiting, failed or
// streaming messages), starts runs (which go on in the background when another chat is
// opened), retries, regenerates, edits into new versions, exports, and follows other tabs.
import type { ChatStore } from '../chats/chat-store.js'
import { Conversation, type Snapshot } from '../chats/conversation.js'
import type { LiveRun } from '../chats/live-run.js'
import type { Unsent, UnsentInputs } from '../chats/unsent.js'
import { WaitingWatch } from '../chats/waiting-watch.js'
import { versionsOf } from '../chats/versions.js'
import type { ResolvedModel } from '../connection/model.js'
import type { NotesStore } from '../notes/notes-store.js'
import { itemText } from '../offline-model/text.js'
import type { AgentItem, PendingInput, RunState } from '../../../src/index.js'
import { approvalRows } from './approval-rows.js'
import { Composer } from './composer.js'
import { confirmAction } from './dialogs.js'
import { downloadJson } from './download.js'
import { $, h } from './dom.js'
import { hintRow, renderItems } from './messages.js'
import { problemOf, problemView, type Problem } from './problems.js'
import { Scroller } from './scroller.js'
import { liveRows, unsentRow, waitingRow } from './unsent-rows.js'

export interface ChatDeps {
  store(): ChatStore
  notes(): NotesStore
  /** The model to run with. @throws SetupError when the connection is incomplete */
  model(): ResolvedModel
  unsent(): UnsentInputs
  /** Offline input may be kept on this device in clear. */
  keepOffline(): boolean
  /** Something was stored: the storage meter follows. */
  changed(): void
}

const TITLE_LENGTH = 60

export class ChatView {
  readonly #deps: ChatDeps
  readonly #list = $<HTMLOListElement>('messages')
  readonly #status = $('status')
  readonly #composer: Composer
  readonly #scroller: Scroller
  readonly #runs = new Map<string, LiveRun>()
  /** Runs' endings still being recorded (an unsent message being kept). */
  readonly #finishing = new Set<Promise<void>>()
  #conversation: Conversation | undefined
  #live: { detach(): void } | undefined
  #unsubscribe: (() => void) | undefined
  /** Sends input kept while offline, in the open chat and every chat where some waits. */
  #waiting: WaitingWatch | undefined
  /** Why waiting input could not be sent on the last try (shown while online). */
  #waitingProblem: Problem | undefined
  #rendering = Promise.resolve()

  constructor(deps: ChatDeps) {
    this.#deps = deps
    this.#composer = new Composer({ send: (text) => this.send(text), stop: () => this.stop() })
    this.#scroller = new Scroller(this.#list)
    $('export').addEventListener('click', () => void this.#export())
    const networkChanged = (): void => {
      this.#waitingProblem = undefined
      void this.render()
    }
    addEventListener('online', networkChanged)
    addEventListener('offline', networkChanged)
  }

  get sessionId(): string | undefined {
    return this.#conversation?.sessionId
  }

  /** Starts sending the current user's waiting input, in every chat that holds some. */
  resume(): void {
    this.#waiting?.stopAll()
    const waiting = new WaitingWatch(this.#deps.store().user, this.#deps.keepOffline(), {
      sent: (sessionId) => {
        if (sessionId !== this.sessionId) return this.#deps.changed()
        this.#waitingProblem = undefined
        void this.render()
        this.#deps.changed()
      },
      failed: (sessionId, error) => {
        if (sessionId !== this.sessionId) return
        this.#waitingProblem = problemOf(error)
        void this.render()
      },
    })
    this.#waiting = waiting
    for (const sessionId of waiting.known()) waiting.watch(this.#open(sessionId))
  }

  /** Shows a conversation (a new, still empty one for an id that was never stored). */
  async show(sessionId: string): Promise<void> {
    const left = this.sessionId
    this.#detach()
    if (left !== undefined) this.#waiting?.left(left)
    const conversation = this.#open(sessionId)
    this.#conversation = conversation
    this.#composer.switchTo(sessionId)
    $('session-id').textContent = sessionId
    // Changes from other tabs and, with sync on, from other devices re-render the chat.
    const store = this.#deps.store()
    this.#unsubscribe = store.inMemory ? undefined : store.watch(sessionId, () => void (this.#runs.has(sessionId) || this.render()))
    this.#waiting?.watch(conversation)
    this.#setStatus(undefined)
    await this.render()
    this.#scroller.toBottom()
  }

  /** The connection settings changed: waiting input is retried with the new model. */
  connectionChanged(): void {
    this.#waiting?.rewatch()
    this.#setStatus(undefined)
  }

  /** Stops every run (kept as stopped messages) and shows nothing. */
  async close(): Promise<void> {
    for (const live of this.#runs.values()) live.stop()
    // Stopped messages are kept (sealed by the vault of the time) before anything else changes.
    await Promise.all(this.#finishing)
    this.#detach()
    this.#waiting?.stopAll()
    this.#waiting = undefined
    this.#conversation = undefined
    this.#composer.switchTo(undefined)
    this.#list.replaceChildren()
  }

  /** Stops the answer streaming in the open chat; what was typed stays, with Retry. */
  stop(): void {
    const id = this.sessionId
    if (id !== undefined) this.#runs.get(id)?.stop()
  }

  send(raw: string): void {
    const text = raw.trim()
    const conversation = this.#conversation
    if (!text || !conversation || this.#runs.has(conversation.sessionId)) return
    this.#composer.clear()
    this.#start(conversation, text)
  }

  /** Re-reads the conversation from storage; renders run one after another. */
  render(): Promise<void> {
    this.#rendering = this.#rendering.then(() => this.#render()).catch((error: unknown) => this.#setStatus(problemOf(error)))
    return this.#rendering
  }

  #detach(): void {
    this.#unsubscribe?.()
    this.#live?.detach()
    this.#unsubscribe = this.#live = undefined
    this.#waitingProblem = undefined
  }

  #open(sessionId: string): Conversation {
    return new Conversation(this.#deps.store().open(sessionId), {
      model: () => this.#deps.model(),
      notes: () => this.#deps.notes(),
      keepOffline: this.#deps.keepOffline(),
    })
  }

  /**
   * Runs `text` (or continues the stored input, or resumes a run that waited for approval);
   * the outcome lands in the chat it was started in.
   */
  #start(conversation: Conversation, input: string | undefined | RunState): void {
    const text = typeof input === 'string' ? input : undefined
    const sessionId = conversation.sessionId
    const live = conversation.start(input)
    const unsent = this.#deps.unsent()
    this.#runs.set(sessionId, live)
    this.#composer.busy(true)
    this.#deps.store().touch(sessionId)
    this.#setStatus(undefined)
    void this.render().then(() => this.#scroller.toBottom())
    const finished = live.outcome.then(async (outcome) => {
      if (outcome.kind === 'failed') await unsent.add({ sessionId, text: outcome.inputSaved ? undefined : text, problem: outcome.problem })
      if (outcome.kind === 'waiting') this.#waiting?.kept(conversation)
      this.#runs.delete(sessionId)
      this.#finishing.delete(finished)
      if (this.#conversation?.sessionId === sessionId) await this.render()
      this.#deps.changed()
    })
    this.#finishing.add(finished)
  }

  async #render(): Promise<void> {
    const conversation = this.#conversation
    if (!conversation) return
    const snapshot = await conversation.load()
    const title = await this.#ensureTitle(conversation, snapshot.items)
    if (conversation !== this.#conversation) return
    $('chat-title').textContent = title ?? 'New chat'
    $<HTMLButtonElement>('export').disabled = snapshot.items.length === 0 || this.#deps.store().inMemory
    this.#live?.detach()
    this.#live = undefined
    const live = this.#runs.get(conversation.sessionId)
    const unsent = this.#deps.unsent().list(conversation.sessionId)
    // Versions wait while a question waits too: its turn belongs to the branch it was asked on.
    const rows = this.#storedRows(conversation, snapshot, live !== undefined || snapshot.waiting.length > 0 || snapshot.approval !== undefined)
    rows.push(...unsent.map((entry) => this.#unsentRow(conversation, entry)))
    rows.push(...snapshot.waiting.map((entry) => this.#waitingRow(conversation, entry)))
    const approval = snapshot.approval
    if (approval && !live) {
      // Approve / Reject resume the run; a new message instead answers the call as cancelled.
      const decide = (): void => {
        if (approval.getInterruptions().every((item) => approval.decisionFor(item.callId) !== undefined)) this.#start(conversation, approval)
      }
      rows.push(
        ...approvalRows(approval, {
          approve: (item) => (approval.approve(item), decide()),
          reject: (item) => (approval.reject(item), decide()),
        }),
      )
    }
    if (live) {
      const shown = liveRows(live, () => this.#scroller.follow())
      this.#live = shown
      rows.push(...shown.rows)
    }
    const store = this.#deps.store()
    const kept = store.inMemory ? 'memory' : store.sync ? 'synced' : 'device'
    this.#list.replaceChildren(...(rows.length === 0 ? [hintRow((example) => this.#composer.fill(example), kept)] : rows))
    this.#composer.busy(live !== undefined)
    this.#scroller.follow()
  }

  #storedRows(conversation: Conversation, snapshot: Snapshot, locked: boolean): HTMLElement[] {
    return renderItems(snapshot.items, {
      compacted: snapshot.compacted,
      locked,
      versions: (turn) => versionsOf(snapshot.branches, turn),
      turn: (turn) => snapshot.turns.get(turn),
      edit: (turn, text) => void this.#branch(conversation, turn, text, `edit of turn ${turn}`),
      regenerate: (turn, text) => void this.#branch(conversation, turn, text, `answer again, turn ${turn}`),
      switchTo: (branchId) => void this.#switchTo(conversation, branchId),
    })
  }

  #unsentRow(conversation: Conversation, entry: Unsent): HTMLElement {
    const unsent = this.#deps.unsent()
    return unsentRow(entry, {
      retry: () => {
        if (this.#runs.has(conversation.sessionId)) return
        this.#start(conversation, entry.text)
        void unsent.remove(entry.id).then(() => this.render())
      },
      edit: () => {
        this.#composer.fill(entry.text ?? '')
        void unsent.remove(entry.id).then(() => this.render())
      },
      discard: () => void unsent.remove(entry.id).then(() => this.render()),
    })
  }

  #waitingRow(conversation: Conversation, entry: PendingInput): HTMLElement {
    return waitingRow(
      entry,
      {
        sendNow: () => {
          this.#waitingProblem = undefined
          void conversation
            .sendWaitingNow()
            .then(
              () => (this.#deps.changed(), this.#waiting?.settle(conversation, this.sessionId)),
              (error: unknown) => (this.#waitingProblem = problemOf(error)),
            )
            .finally(() => void this.render())
        },
        discard: async () => {
          const text = entry.input.map((item) => itemText(item)).join('\n')
          const sure = await confirmAction({ title: 'Delete this unsent message?', message: `“${text}” will not be sent, and is deleted from this device.`, confirm: 'Delete', danger: true })
          if (sure) await conversation.discardWaiting(entry)
          await this.#waiting?.settle(conversation, this.sessionId)
          await this.render()
        },
      },
      this.#waitingProblem,
    )
  }

  /** Titles come from the first message, once the conversation is stored. */
  async #ensureTitle(conversation: Conversation, items: AgentItem[]): Promise<string | undefined> {
    const store = this.#deps.store()
    const title = await store.titleOf(conversation.sessionId)
    if (title !== undefined || items.length === 0) return title
    const first = items.find((item) => 'role' in item && item.role === 'user')
    const text = first ? itemText(first).replace(/\s+/g, ' ').trim() : 'Chat'
    const made = text.length > TITLE_LENGTH ? `${text.slice(0, TITLE_LENGTH - 1)}…` : text
    await store.setTitle(conversation.sessionId, made)
    return made
  }

  /** A new version of `turn` (an edit, or the same question answered again), then runs `text` there. */
  async #branch(conversation: Conversation, turn: number, text: string, name: string): Promise<void> {
    if (this.#runs.has(conversation.sessionId)) return
    try {
      await conversation.chat.raw.createBranchFromTurn(turn, name)
    } catch (error) {
      return this.#setStatus(problemOf(error))
    }
    this.#waiting?.watch(conversation)
    this.#start(conversation, text)
  }

  async #switchTo(conversation: Conversation, branchId: string): Promise<void> {
    if (this.#runs.has(conversation.sessionId)) return
    await conversation.chat.raw.switchToBranch(branchId)
    this.#waiting?.watch(conversation)
    await this.render()
  }

  async #export(): Promise<void> {
    const conversation = this.#conversation
    if (!conversation) return
    let doc
    try {
      doc = await this.#deps.store().exportChat(conversation.sessionId)
    } catch (error) {
      return this.#setStatus(problemOf(error))
    }
    if (!doc) return
    const name = downloadJson(doc, $('chat-title').textContent ?? 'chat')
    this.#status.replaceChildren(`Exported to ${name}.`)
  }

  /** Shows a problem under the chat, or clears what was there (stale problems go away). */
  #setStatus(problem: Problem | undefined): void {
    this.#status.replaceChildren(...(problem ? [problemView(problem)] : []))
    this.#status.classList.toggle('error-text', problem !== undefined)
  }
}
