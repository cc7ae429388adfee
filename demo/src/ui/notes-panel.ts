// The current user's notes, as the agent's tools left them; follows other tabs.
import { onNotesChanged, type NotesStore } from '../notes/notes-store.js'
import { $, h } from './dom.js'
import { problemOf, sentenceFor } from './problems.js'

export class NotesPanel {
  readonly #list = $<HTMLUListElement>('notes-list')
  readonly #count = $('notes-count')
  #store: NotesStore | undefined
  #unsubscribe: (() => void) | undefined

  show(store: NotesStore | undefined): void {
    this.#unsubscribe?.()
    this.#store = store
    this.#unsubscribe = store && onNotesChanged(store.user, () => void this.refresh())
    void this.refresh()
  }

  async refresh(): Promise<void> {
    const store = this.#store
    if (!store) return void this.#list.replaceChildren()
    try {
      const notes = await store.list()
      if (store !== this.#store) return
      this.#count.textContent = `(${notes.length})`
      this.#list.replaceChildren(
        ...(notes.length === 0
          ? [h('li', { class: 'muted' }, 'None yet. Ask the agent to save one.')]
          : notes.map((note) => h('li', {}, h('strong', {}, note.title), note.content))),
      )
    } catch (error) {
      this.#list.replaceChildren(h('li', { class: 'error' }, sentenceFor(problemOf(error))))
    }
  }
}
