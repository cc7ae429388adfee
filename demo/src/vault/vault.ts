// One vault per user: a KeyStore (passphrase + optional remembered device key) whose
// keyring encrypts that user's conversations, chat titles, notes and remembered API key.
import { KeyStore, type Keyring } from '../../../src/index.js'
import { keyringSealer, plainSealer, type TextSealer } from './sealer.js'

export type VaultState = 'off' | 'locked' | 'unlocked'

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
    this.#adopt(keyring)
  }

  /** Forgets the keys in this tab. A remembered device still unlocks on the next load. */
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
