// The chat pane: shows one conversation, streams new answers into it, edits an earlier
// message into a new branch, switches versions, exports, and follows other tabs.
import {
  isSummaryItem,
  run,
  SUMMARY_PREFIX,
  type AgentItem,
  type BranchInfo,
  type FunctionCallItem,
  type RunStreamEvent,
  type SummarizingCompactionSession,
} from '../../../src/index.js'
import { notesAgent } from '../agent.js'
import type { ChatStore, OpenChat } from '../chats/chat-store.js'
import { compactingSession } from '../chats/compaction.js'
import { versionsOf } from '../chats/versions.js'
import type { ResolvedModel } from '../connection/model.js'
import type { NotesStore } from '../notes/notes-store.js'
import { itemText } from '../offline-model/brain.js'
import { $, describeError, h } from './dom.js'
import { renderItems, streamingBubble, toolLine } from './messages.js'

export interface ChatDeps {
  store(): ChatStore
  notes(): NotesStore
  /** The model to run with; throws a message for a person when the connection is incomplete. */
  model(): ResolvedModel
}

const EXAMPLES = [
  'Save a note called Groceries: milk, eggs, bread',
  'List my notes',
  'Search notes for milk',
  'My favorite color is blue',
  "What's my favorite color?",
]

const TITLE_LENGTH = 60

/** Compaction applies on the main path only: the compacted view follows one branch. */
const MAIN_BRANCH = 'main'

/** Where the model-facing history starts in the transcript, and the summary before it. */
interface CompactionPoint {
  index: number
  summary: string
}

interface PendingTool {
  line: HTMLElement
  call: FunctionCallItem
}

export class ChatView {
  readonly #deps: ChatDeps
  readonly #list = $<HTMLOListElement>('messages')
  readonly #status = $('status')
  readonly #input = $<HTMLTextAreaElement>('message')
  readonly #send = $<HTMLButtonElement>('send')
  readonly #stop = $<HTMLButtonElement>('stop')
  #chat: OpenChat | undefined
  /** The chat's session with compaction: the runner's session on the main path. */
  #compacting: SummarizingCompactionSession | undefined
  #running: AbortController | undefined
  #unsubscribe: (() => void) | undefined
  #rendering = Promise.resolve()

  constructor(deps: ChatDeps) {
    this.#deps = deps
    $<HTMLFormElement>('composer').addEventListener('submit', (event) => {
      event.preventDefault()
      void this.send(this.#input.value)
    })
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault()
        void this.send(this.#input.value)
      }
    })
    this.#stop.addEventListener('click', () => this.#running?.abort())
    $('export').addEventListener('click', () => void this.#export())
  }

  get sessionId(): string | undefined {
    return this.#chat?.raw.sessionId
  }

  /** Shows a conversation (a new, still empty one for an id that was never stored). */
  async show(sessionId: string): Promise<void> {
    this.#running?.abort()
    this.#unsubscribe?.()
    const chat = (this.#chat = this.#deps.store().open(sessionId))
    this.#compacting = compactingSession(chat.session, chat.view, () => this.#deps.model().model)
    $('session-id').textContent = sessionId
    this.#unsubscribe =
      'subscribe' in chat.raw
        ? chat.raw.subscribe(() => {
            if (!this.#running) void this.render()
          })
        : undefined
    this.#setStatus('')
    await this.render()
  }

  close(): void {
    this.#running?.abort()
    this.#unsubscribe?.()
    this.#chat = undefined
    this.#compacting = undefined
  }

  /** Re-reads the conversation from storage; renders run one after another. */
  render(): Promise<void> {
    this.#rendering = this.#rendering.then(() => this.#render()).catch((error: unknown) => this.#setStatus(describeError(error), true))
    return this.#rendering
  }

  async #render(): Promise<void> {
    const chat = this.#chat
    if (!chat) return
    const items = await chat.session.getItems()
    const branches = items.length > 0 ? await chat.raw.listBranches() : []
    const compacted = items.length > 0 ? await this.#compactionPoint(items) : undefined
    const title = await this.#ensureTitle(items)
    if (chat !== this.#chat) return
    $('chat-title').textContent = title ?? 'New chat'
    $<HTMLButtonElement>('export').disabled = items.length === 0 || this.#deps.store().inMemory
    this.#list.replaceChildren(...(items.length === 0 ? [this.#hint()] : this.#rows(items, branches, compacted)))
    this.#scroll()
  }

  /**
   * Where the model-facing history was compacted: the view is [summary, ...the newest
   * items of the transcript verbatim], so it starts that many items from the end.
   */
  async #compactionPoint(items: AgentItem[]): Promise<CompactionPoint | undefined> {
    const chat = this.#chat
    const compacting = this.#compacting
    if (!chat || !compacting || (await chat.raw.getCurrentBranchId()) !== MAIN_BRANCH) return undefined
    const view = await compacting.getItems()
    if (view.length === 0 || !isSummaryItem(view[0])) return undefined
    const index = items.length - (view.length - 1)
    const first = view[1]
    if (index <= 0 || (first !== undefined && itemText(first) !== itemText(items[index]))) return undefined
    return { index, summary: itemText(view[0]).slice(SUMMARY_PREFIX.length).trim() }
  }

  #rows(items: AgentItem[], branches: BranchInfo[], compacted: CompactionPoint | undefined): HTMLElement[] {
    return renderItems(items, {
      ...(compacted && { compacted }),
      versions: (turn) => versionsOf(branches, turn),
      edit: (turn, text) => void this.#edit(turn, text),
      switchTo: (branchId) => void this.#switchTo(branchId),
    })
  }

  #hint(): HTMLElement {
    const tries = EXAMPLES.map((example) => {
      const button = h('button', { type: 'button' }, example)
      button.addEventListener('click', () => {
        this.#input.value = example
        this.#input.focus()
      })
      return button
    })
    return h('li', { class: 'hint' }, h('p', {}, 'Ask the notes agent something. Everything stays on this device; reload and it is still here.'), h('div', { class: 'row', style: 'justify-content:center' }, ...tries))
  }

  /** Titles come from the first message, once the conversation is stored. */
  async #ensureTitle(items: AgentItem[]): Promise<string | undefined> {
    const chat = this.#chat
    if (!chat) return undefined
    const title = await this.#deps.store().titleOf(chat.raw.sessionId)
    if (title !== undefined || items.length === 0) return title
    const first = items.find((item) => 'role' in item && item.role === 'user')
    const text = first ? itemText(first).replace(/\s+/g, ' ').trim() : 'Chat'
    const made = text.length > TITLE_LENGTH ? `${text.slice(0, TITLE_LENGTH - 1)}…` : text
    await this.#deps.store().setTitle(chat.raw.sessionId, made)
    return made
  }

  async send(raw: string): Promise<void> {
    const text = raw.trim()
    const chat = this.#chat
    if (!text || !chat || this.#running) return
    let resolved
    try {
      resolved = this.#deps.model()
    } catch (error) {
      return this.#setStatus(describeError(error), true)
    }
    this.#input.value = ''
    const controller = new AbortController()
    this.#running = controller
    this.#busy(true)
    this.#list.querySelector('.hint')?.remove()
    this.#list.append(h('li', { class: 'msg user' }, h('div', { class: 'text' }, text)))
    const live = streamingBubble()
    this.#list.append(live.row)
    this.#setStatus('Thinking…')
    const tools = new Map<string, PendingTool>()
    try {
      const notes = this.#deps.notes()
      this.#deps.store().touch(chat.raw.sessionId)
      const onMain = (await chat.raw.getCurrentBranchId()) === MAIN_BRANCH
      const stream = await run(notesAgent(resolved.model), text, {
        session: onMain && this.#compacting ? this.#compacting : chat.session,
        context: { userId: notes.user, notes },
        stream: true,
        signal: controller.signal,
      })
      for await (const event of stream) this.#onEvent(event, live, tools)
      this.#setStatus('')
    } catch (error) {
      this.#setStatus(controller.signal.aborted ? 'Stopped. Only whole turns are kept.' : describeError(error), !controller.signal.aborted)
    } finally {
      live.done()
      this.#running = undefined
      this.#busy(false)
      if (chat === this.#chat) await this.render()
    }
  }

  #onEvent(event: RunStreamEvent, live: ReturnType<typeof streamingBubble>, tools: Map<string, PendingTool>): void {
    if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') live.append(event.data.delta)
    else if (event.type === 'run_item_stream_event' && event.item.type === 'tool_call_item') {
      const call = event.item.rawItem
      const line = toolLine(call.name, call.arguments, undefined)
      tools.set(call.call_id, { line, call })
      live.row.before(line)
      this.#setStatus(`Running ${call.name}…`)
    } else if (event.type === 'run_item_stream_event' && event.item.type === 'tool_call_output_item') {
      const pending = tools.get(event.item.rawItem.call_id)
      pending?.line.replaceWith(toolLine(pending.call.name, pending.call.arguments, event.item.output))
    }
    this.#scroll()
  }

  async #edit(turn: number, text: string): Promise<void> {
    const chat = this.#chat
    if (!chat || this.#running) return
    try {
      await chat.raw.createBranchFromTurn(turn, `edit of turn ${turn}`)
    } catch (error) {
      return this.#setStatus(describeError(error), true)
    }
    await this.send(text)
  }

  async #switchTo(branchId: string): Promise<void> {
    if (!this.#chat || this.#running) return
    await this.#chat.raw.switchToBranch(branchId)
    await this.render()
  }

  async #export(): Promise<void> {
    const chat = this.#chat
    if (!chat) return
    let doc
    try {
      doc = await this.#deps.store().exportChat(chat.raw.sessionId)
    } catch (error) {
      return this.#setStatus(describeError(error), true)
    }
    if (!doc) return
    const name = `${($('chat-title').textContent ?? 'chat').replace(/[^\w-]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'chat'}.json`
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }))
    h('a', { href: url, download: name }).click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
    this.#setStatus(`Exported to ${name}.`)
  }

  #busy(busy: boolean): void {
    this.#send.hidden = busy
    this.#stop.hidden = !busy
  }

  #setStatus(text: string, error = false): void {
    this.#status.textContent = text
    this.#status.classList.toggle('error-text', error)
  }

  #scroll(): void {
    this.#list.scrollTop = this.#list.scrollHeight
  }
}
