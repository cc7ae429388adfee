// Storage health: how much this origin uses of its quota (refreshed as the user chats),
// "keep my data" (persistent storage, which also protects against Safari's 7-day
// eviction), and importing a chat.
import { $ } from './dom.js'
import { problemOf, sentenceFor } from './problems.js'

/** Refreshes after a burst of changes at most this often. */
const SETTLE_MS = 400

const mb = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`)

export class StoragePanel {
  readonly #meter = $<HTMLMeterElement>('storage-meter')
  readonly #text = $('storage-text')
  readonly #persist = $<HTMLButtonElement>('persist')
  readonly #file = $<HTMLInputElement>('import-file')
  #timer: ReturnType<typeof setTimeout> | undefined
  #noteUntil = 0

  /** @param importChat - stores a parsed export; resolves to a line for the user */
  constructor(importChat: (doc: unknown) => Promise<string>) {
    this.#persist.addEventListener('click', () => void this.#askPersist())
    $('import').addEventListener('click', () => this.#file.click())
    this.#file.addEventListener('change', async () => {
      const file = this.#file.files?.[0]
      this.#file.value = ''
      if (!file) return
      try {
        this.#note(await importChat(JSON.parse(await file.text()) as unknown))
      } catch (error) {
        this.#note(`Import failed. ${sentenceFor(problemOf(error))}`)
      }
    })
  }

  /** Something was stored or deleted: refresh once things settle. */
  changed(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.refresh(), SETTLE_MS)
  }

  async refresh(): Promise<void> {
    const storage = navigator.storage as StorageManager | undefined
    if (!storage?.estimate) return void (this.#text.textContent = 'This browser does not report storage use.')
    const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([storage.estimate(), storage.persisted?.() ?? false])
    this.#meter.value = quota > 0 ? usage / quota : 0
    this.#meter.setAttribute('aria-valuetext', `${mb(usage)} of ${mb(quota)}`)
    this.#meter.dataset.usage = String(usage)
    if (Date.now() < this.#noteUntil) return
    this.#text.textContent = `${mb(usage)} used of ${mb(quota)} available. ${persisted ? 'Kept: the browser will not evict it.' : 'The browser may evict it when space runs low.'}`
    this.#persist.disabled = persisted
    this.#persist.textContent = persisted ? 'Data is kept' : 'Keep my data'
  }

  async #askPersist(): Promise<void> {
    const granted = (await navigator.storage?.persist?.()) ?? false
    await this.refresh()
    if (!granted) this.#note('The browser declined for now (it decides by engagement, install or bookmarks). Installing the app usually helps.')
  }

  #note(text: string): void {
    this.#text.textContent = text
    this.#noteUntil = Date.now() + 6000
    setTimeout(() => void this.refresh(), 6000)
  }
}
