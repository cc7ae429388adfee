// One vault per user: a KeyStore (passphrase + optional remembered device key) whose
// keyring encrypts that user's conversations, chat titles, notes and remembered API key.
// "Lock now" is remembered (in localStorage), so a locked vault stays locked across reloads
// until the passphrase is typed, even on a remembered device.
import { KeyStore, type Keyring } from '../../../src/index.js'
import { keyringSealer, plainSealer, type TextSealer } from './sealer.js'

export type VaultState = 'off' | 'locked' | 'unlocked'

const lockedKey = (user: string): string => `idb-agents-demo:${user}:locked`

export class Vault {
  readonly user: string
  #store: KeyStore | undefined
  #keyring: Keyring | undefined
  #state: VaultState = 'off'

  constructor(user: string) {
    this.user = user
  }

  get state(): VaultState {
    return this.#state
  }

  /** The unlocked keyring, for EncryptedSession. */
  get keyring(): Keyring | undefined {
    return this.#keyring
  }

  get sealer(): TextSealer {
    return this.#keyring ? keyringSealer(this.#keyring) : plainSealer
  }

  /** Reads whether the vault exists, and unlocks it with the remembered device key if there is one. */
  async load(): Promise<VaultState> {
    const store = await this.#open()
    if (!(await store.exists())) return (this.#state = 'off')
    if (localStorage.getItem(lockedKey(this.user)) !== null) return this.#adopt(undefined)
    const keyring = await store.unlockWithDevice()
    return this.#adopt(keyring)
  }

  async isDeviceRemembered(): Promise<boolean> {
    return (await this.#open()).hasDeviceKey()
  }

  /** Turns the vault on. The caller then encrypts what was stored in clear. */
  async create(passphrase: string, remember: boolean): Promise<Keyring> {
    const keyring = await (await this.#open()).create(passphrase)
    if (remember) await keyring.rememberDevice()
    this.#adopt(keyring)
    return keyring
  }

  /** @throws WrongKeyError for a wrong passphrase (nothing read or written). */
  async unlock(passphrase: string, remember: boolean): Promise<void> {
    const keyring = await (await this.#open()).unlock(passphrase)
    if (remember) await keyring.rememberDevice()
    localStorage.removeItem(lockedKey(this.user))
    this.#adopt(keyring)
  }

  /** Locks until the passphrase is typed, in this tab and after reloads, remembered device or not. */
  lockNow(): void {
    localStorage.setItem(lockedKey(this.user), String(Date.now()))
    this.lock()
  }

  /**
   * Sets a new passphrase after checking the current one.
   * @throws WrongKeyError when `current` is wrong (nothing changed)
   */
  async changePassphrase(current: string, next: string): Promise<void> {
    const keyring = this.#keyring
    if (!keyring) throw new Error('Unlock the vault first.')
    const checked = await (await this.#open()).unlock(current)
    checked.close()
    await keyring.changePassphrase(next)
  }

  /**
   * Turns the vault off for good: deletes its keys. Call it only once everything it
   * encrypted was stored in clear again (see main.ts), or that data is unreadable for ever.
   * @throws WrongKeyError when `passphrase` is wrong (nothing changed)
   */
  async destroy(passphrase: string): Promise<void> {
    const store = await this.#open()
    ;(await store.unlock(passphrase)).close()
    this.lock()
    this.#store = undefined
    await store.destroy()
    localStorage.removeItem(lockedKey(this.user))
    this.#state = 'off'
  }

  /** Checks a passphrase without changing anything. @throws WrongKeyError */
  async check(passphrase: string): Promise<void> {
    ;(await (await this.#open()).unlock(passphrase)).close()
  }

  /** Forgets the keys in this tab. A remembered device still unlocks on the next load (see {@link lockNow}). */
  lock(): void {
    this.#keyring?.close()
    this.#keyring = undefined
    if (this.#state === 'unlocked') this.#state = 'locked'
  }

  async setRemembered(remember: boolean): Promise<void> {
    if (remember) await this.#keyring?.rememberDevice()
    else await (await this.#open()).forgetDevice()
  }

  close(): void {
    this.lock()
    this.#store?.close()
    this.#store = undefined
  }

  #adopt(keyring: Keyring | undefined): VaultState {
    this.#keyring = keyring
    return (this.#state = keyring ? 'unlocked' : 'locked')
  }

  async #open(): Promise<KeyStore> {
    this.#store ??= await KeyStore.open(`idb-agents-demo-keys-${this.user}`)
    return this.#store
  }
}
