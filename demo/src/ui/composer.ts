// The message box: Enter sends, Shift+Enter adds a line, Escape (anywhere outside a dialog
// or an editor) stops the answer that is streaming. What is typed is kept per chat, so
// opening another chat and coming back finds the draft where it was.
import { $ } from './dom.js'

export interface ComposerActions {
  send(text: string): void
  stop(): void
}

export class Composer {
  readonly input = $<HTMLTextAreaElement>('message')
  readonly #send = $<HTMLButtonElement>('send')
  readonly #stop = $<HTMLButtonElement>('stop')
  readonly #drafts = new Map<string, string>()
  #chat: string | undefined

  constructor(actions: ComposerActions) {
    $<HTMLFormElement>('composer').addEventListener('submit', (event) => {
      event.preventDefault()
      actions.send(this.input.value)
    })
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault()
        actions.send(this.input.value)
      }
    })
    this.#stop.addEventListener('click', () => actions.stop())
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || event.defaultPrevented || this.#stop.hidden || document.querySelector('dialog[open]')) return
      actions.stop()
    })
  }

  /** Shows `sessionId`'s draft, keeping the one of the chat shown before. */
  switchTo(sessionId: string | undefined): void {
    if (this.#chat !== undefined) this.#drafts.set(this.#chat, this.input.value)
    this.#chat = sessionId
    this.input.value = (sessionId !== undefined && this.#drafts.get(sessionId)) || ''
  }

  /** Puts `text` in the box to be edited (an unsent message). */
  fill(text: string): void {
    this.input.value = text
    this.input.focus()
    this.input.setSelectionRange(text.length, text.length)
  }

  clear(): void {
    this.input.value = ''
    if (this.#chat !== undefined) this.#drafts.delete(this.#chat)
  }

  busy(busy: boolean): void {
    this.#send.hidden = busy
    this.#stop.hidden = !busy
  }
}
