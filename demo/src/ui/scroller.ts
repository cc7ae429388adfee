// Keeps the newest message in view while the user is at the bottom, never yanks them down
// while they read history, and offers "Scroll to bottom" when they are away from it.
import { h } from './dom.js'

/** How close to the bottom still counts as "at the bottom", in pixels. */
const SLACK = 48

export class Scroller {
  readonly #list: HTMLElement
  readonly #button: HTMLButtonElement
  #atBottom = true

  constructor(list: HTMLElement) {
    this.#list = list
    this.#button = h('button', { type: 'button', class: 'to-bottom', hidden: true, 'aria-label': 'Scroll to the newest message' }, '↓ Scroll to bottom')
    this.#button.addEventListener('click', () => this.toBottom(true))
    list.after(this.#button)
    list.addEventListener('scroll', () => this.#update(), { passive: true })
    // A narrower screen (a phone turned, the keyboard opening) makes the same messages taller.
    new ResizeObserver(() => this.follow()).observe(list)
  }

  /** Call after content changed: follows it down only when the user was at the bottom. */
  follow(): void {
    if (this.#atBottom) this.toBottom()
    else this.#update()
  }

  /** Jumps (or glides, when `smooth`) to the newest message. */
  toBottom(smooth = false): void {
    this.#list.scrollTo({ top: this.#list.scrollHeight, behavior: smooth ? 'smooth' : 'instant' })
    this.#atBottom = true
    this.#button.hidden = true
  }

  #update(): void {
    const list = this.#list
    this.#atBottom = list.scrollHeight - list.scrollTop - list.clientHeight <= SLACK
    this.#button.hidden = this.#atBottom
  }
}
