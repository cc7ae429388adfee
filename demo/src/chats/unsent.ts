// Messages that did not go out: the run failed or was stopped before the input was saved
// (shown as the user's bubble, marked, with Retry), or after it was saved but before the
// answer was complete (shown as a notice with Retry, which continues without resending).
// Kept per user in localStorage, sealed by the vault when it is on, so a reload keeps them.
import type { Problem } from '../ui/problems.js'
import type { TextSealer } from '../vault/sealer.js'

export interface Unsent {
  id: string
  sessionId: string
  /** The text to send again; `undefined` when the input is already in the history (Retry continues). */
  text: string | undefined
  problem: Problem
  at: number
}

const storageKey = (user: string): string => `idb-agents-demo:${user}:unsent`
const PURPOSE = (user: string): string => `unsent:${user}`

export class UnsentInputs {
  readonly #user: string
  readonly #sealer: TextSealer
  readonly #persist: boolean
  #entries: Unsent[] = []
  #saving = Promise.resolve()

  /** @param persist - false where nothing may be stored (a private window) */
  constructor(user: string, sealer: TextSealer, persist: boolean) {
    this.#user = user
    this.#sealer = sealer
    this.#persist = persist
  }

  /** Reads what an earlier visit left; entries that cannot be opened (locked vault) are kept as they are. */
  async load(): Promise<void> {
    const raw = this.#persist ? localStorage.getItem(storageKey(this.#user)) : null
    if (!raw) return
    try {
      this.#entries = JSON.parse(await this.#sealer.open(raw, PURPOSE(this.#user))) as Unsent[]
    } catch {
      this.#entries = []
    }
  }

  list(sessionId: string): Unsent[] {
    return this.#entries.filter((entry) => entry.sessionId === sessionId)
  }

  add(entry: Omit<Unsent, 'id' | 'at'>): Promise<void> {
    this.#entries.push({ ...entry, id: crypto.randomUUID(), at: Date.now() })
    return this.#save()
  }

  remove(id: string): Promise<void> {
    this.#entries = this.#entries.filter((entry) => entry.id !== id)
    return this.#save()
  }

  /** Forgets the entries of a deleted conversation. */
  forget(sessionId: string): Promise<void> {
    this.#entries = this.#entries.filter((entry) => entry.sessionId !== sessionId)
    return this.#save()
  }

  /** Re-stores every entry with `sealer` (the vault was turned on or off). */
  async resealWith(sealer: TextSealer): Promise<void> {
    await this.#saving
    if (this.#persist) await this.#write(sealer)
  }

  #save(): Promise<void> {
    if (!this.#persist) return Promise.resolve()
    this.#saving = this.#saving.then(() => this.#write(this.#sealer)).catch((error: unknown) => console.warn('Could not keep unsent messages:', error))
    return this.#saving
  }

  async #write(sealer: TextSealer): Promise<void> {
    const key = storageKey(this.#user)
    if (this.#entries.length === 0) return localStorage.removeItem(key)
    localStorage.setItem(key, await sealer.seal(JSON.stringify(this.#entries), PURPOSE(this.#user)))
  }
}
