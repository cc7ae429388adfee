// The conversation list of the current user, newest first with the date of each: open,
// rename and delete (in-page dialogs), search, new chat. It follows changes made in any tab
// through onSessionsChanged.
import { onSessionsChanged } from '../../../src/index.js'
import { onMemoryChatsChanged, type ChatStore, type ChatSummary } from '../chats/chat-store.js'
import { askText, confirmAction } from './dialogs.js'
import { $, h } from './dom.js'
import { problemOf, sentenceFor } from './problems.js'
import { chatDate, timeElement } from './time.js'

export interface SidebarDeps {
  store(): ChatStore
  current(): string | undefined
  open(sessionId: string): void
  /** Opens an empty chat (the one left empty before, so a draft typed there is found again). */
  newChat(): void
  /** The open conversation was deleted. */
  deleted(sessionId: string): void
}

export class Sidebar {
  readonly #deps: SidebarDeps
  readonly #list = $<HTMLUListElement>('chat-list')
  readonly #search = $<HTMLInputElement>('chat-search')
  readonly #root = $('sidebar')
  readonly #toggle = $<HTMLButtonElement>('menu-toggle')
  #refreshing = Promise.resolve()
  /** The database whose changes refresh the list (the user's synced one while sync is on). */
  #watching: { dbName: string; stop: () => void } | undefined

  constructor(deps: SidebarDeps) {
    this.#deps = deps
    onMemoryChatsChanged(() => void this.refresh())
    this.#search.addEventListener('input', () => void this.refresh())
    $('new-chat').addEventListener('click', () => {
      this.#deps.newChat()
      this.setOpen(false)
    })
    this.#toggle.addEventListener('click', () => this.setOpen(!this.#root.classList.contains('open')))
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.#root.classList.contains('open')) this.setOpen(false)
    })
  }

  /** Narrow screens: the sidebar slides over the chat. */
  setOpen(open: boolean): void {
    this.#root.classList.toggle('open', open)
    this.#toggle.setAttribute('aria-expanded', String(open))
    this.#toggle.setAttribute('aria-label', open ? 'Hide conversations' : 'Show conversations')
  }

  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#refresh()).catch((error: unknown) => {
      this.#list.replaceChildren(h('li', { class: 'empty' }, sentenceFor(problemOf(error))))
    })
    return this.#refreshing
  }

  async #refresh(): Promise<void> {
    const store = this.#deps.store()
    if (this.#watching?.dbName !== store.dbName) {
      this.#watching?.stop()
      this.#watching = { dbName: store.dbName, stop: onSessionsChanged(() => void this.refresh(), { dbName: store.dbName }) }
    }
    let chats = await store.list()
    const query = this.#search.value.trim()
    if (query) {
      const found = await store.search(query)
      chats = chats.filter((chat) => found.has(chat.sessionId))
    }
    if (store !== this.#deps.store()) return
    const empty = query ? 'No conversation matches.' : 'No conversations yet.'
    this.#list.replaceChildren(...(chats.length === 0 ? [h('li', { class: 'empty' }, empty)] : chats.map((chat) => this.#row(chat))))
  }

  #row(chat: ChatSummary): HTMLElement {
    const current = chat.sessionId === this.#deps.current()
    const when = h('span', { class: 'when' }, timeElement(chat.updatedAt, chatDate(chat.updatedAt)))
    const open = h('button', { type: 'button', class: 'open', title: chat.title }, h('span', { class: 'title' }, chat.title), when)
    const rename = h('button', { type: 'button', class: 'act', 'aria-label': `Rename “${chat.title}”`, title: 'Rename' }, '✎')
    const remove = h('button', { type: 'button', class: 'act', 'aria-label': `Delete “${chat.title}”`, title: 'Delete' }, '✕')
    open.addEventListener('click', () => {
      this.#deps.open(chat.sessionId)
      this.setOpen(false)
    })
    rename.addEventListener('click', async () => {
      const title = await askText({ title: 'Rename conversation', label: 'Title', value: chat.title, confirm: 'Rename' })
      if (title && title !== chat.title) await this.#deps.store().setTitle(chat.sessionId, title)
    })
    remove.addEventListener('click', async () => {
      const sure = await confirmAction({
        title: 'Delete this conversation?',
        message: `“${chat.title}” and all its versions will be deleted from this device${this.#deps.store().sync ? ' and, as sync is on, from the sync server and your other devices' : ''}. This cannot be undone.`,
        confirm: 'Delete',
        danger: true,
      })
      if (!sure) return
      await this.#deps.store().remove(chat.sessionId)
      this.#deps.deleted(chat.sessionId)
    })
    return h('li', { 'aria-current': current ? 'true' : undefined }, open, rename, remove)
  }
}
