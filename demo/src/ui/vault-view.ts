// The vault: the lock screen (unlock with the passphrase; a wrong one is a clear message)
// and the dialog to turn encryption on, lock now (until the passphrase is typed, even on a
// remembered device), remember or forget this device, change the passphrase, and turn
// encryption off again.
import { WrongKeyError } from '../../../src/index.js'
import type { Vault } from '../vault/vault.js'
import { confirmAction } from './dialogs.js'
import { $ } from './dom.js'
import { problemOf, sentenceFor } from './problems.js'

export interface VaultDeps {
  vault(): Vault
  /** Encryption was just turned on: seal what is stored in clear. */
  sealExisting(): Promise<void>
  /** Encryption is being turned off: store everything in clear again (the keys still work). */
  unsealExisting(): Promise<void>
  /** Before locking: stop what is running, so nothing is left half-done. */
  beforeLock(): Promise<void>
  /** The vault changed state: re-render everything. */
  changed(): Promise<void>
}

const MIN_LENGTH = 8
const field = (id: string): HTMLInputElement => $<HTMLInputElement>(id)

export class VaultView {
  readonly #deps: VaultDeps
  readonly #dialog = $<HTMLDialogElement>('vault-dialog')
  readonly #error = $('vault-error')
  readonly #lockScreen = $('lock-screen')

  constructor(deps: VaultDeps) {
    this.#deps = deps
    $('vault-button').addEventListener('click', () => void this.#openDialog())
    $('vault-enable').addEventListener('click', () => void this.#enable())
    $('vault-lock').addEventListener('click', () => void this.#lock())
    $('vault-remember-now').addEventListener('click', () => void this.#device(true))
    $('vault-forget').addEventListener('click', () => void this.#device(false))
    $('vault-change-submit').addEventListener('click', () => void this.#changePassphrase())
    $('vault-turn-off').addEventListener('click', () => void this.#turnOff())
    $<HTMLFormElement>('unlock-form').addEventListener('submit', (event) => {
      event.preventDefault()
      void this.#unlock()
    })
  }

  /** Updates the top-bar button and the lock screen. */
  render(): void {
    const vault = this.#deps.vault()
    const labels = { off: 'Vault: off', locked: 'Vault: locked', unlocked: 'Vault: encrypted' } as const
    $('vault-button').textContent = labels[vault.state]
    $('vault-button').dataset.state = vault.state
    this.#lockScreen.hidden = vault.state !== 'locked'
    $('lock-user').textContent = vault.user
    for (const name of document.querySelectorAll('.user-name')) name.textContent = vault.user
    if (vault.state === 'locked') {
      $('unlock-error').textContent = ''
      field('unlock-passphrase').focus()
    }
  }

  async #openDialog(): Promise<void> {
    const vault = this.#deps.vault()
    if (vault.state === 'locked') return void field('unlock-passphrase').focus()
    const on = vault.state === 'unlocked'
    $('vault-off').hidden = on
    $('vault-on').hidden = !on
    $('vault-enable').hidden = on
    for (const id of ['vault-passphrase', 'vault-confirm', 'vault-current', 'vault-new', 'vault-new-confirm', 'vault-off-passphrase']) field(id).value = ''
    for (const id of ['vault-change', 'vault-off-section']) $<HTMLDetailsElement>(id).open = false
    if (on) await this.#showDevice()
    this.#say('')
    this.#dialog.showModal()
  }

  async #showDevice(): Promise<void> {
    const remembered = await this.#deps.vault().isDeviceRemembered()
    $('vault-device-state').textContent = remembered
      ? 'This device is remembered: it opens the vault without the passphrase (until you lock it).'
      : 'This device is not remembered: the passphrase is needed after every reload.'
    $('vault-remember-now').hidden = remembered
    $('vault-forget').hidden = !remembered
  }

  #say(text: string): void {
    this.#error.textContent = text
  }

  #refuse(error: unknown): void {
    this.#say(error instanceof WrongKeyError ? 'Wrong passphrase. Nothing was changed; try again.' : sentenceFor(problemOf(error)))
  }

  async #enable(): Promise<void> {
    const passphrase = field('vault-passphrase').value
    if (passphrase.length < MIN_LENGTH) return this.#say(`Use at least ${MIN_LENGTH} characters.`)
    if (passphrase !== field('vault-confirm').value) return this.#say('The two passphrases differ.')
    this.#say('Deriving the key and encrypting…')
    try {
      await this.#deps.vault().create(passphrase, field('vault-remember').checked)
      await this.#deps.sealExisting()
      this.#dialog.close()
      await this.#deps.changed()
    } catch (error) {
      this.#refuse(error)
    }
  }

  async #lock(): Promise<void> {
    this.#dialog.close()
    await this.#deps.beforeLock()
    this.#deps.vault().lockNow()
    await this.#deps.changed()
  }

  async #device(remember: boolean): Promise<void> {
    try {
      await this.#deps.vault().setRemembered(remember)
      await this.#showDevice()
      this.#say(remember ? 'This device is remembered now.' : 'This device is forgotten: the passphrase is needed after a reload.')
    } catch (error) {
      this.#refuse(error)
    }
  }

  async #changePassphrase(): Promise<void> {
    const next = field('vault-new').value
    if (next.length < MIN_LENGTH) return this.#say(`Use at least ${MIN_LENGTH} characters for the new passphrase.`)
    if (next !== field('vault-new-confirm').value) return this.#say('The two new passphrases differ.')
    this.#say('Checking and changing…')
    try {
      await this.#deps.vault().changePassphrase(field('vault-current').value, next)
      for (const id of ['vault-current', 'vault-new', 'vault-new-confirm']) field(id).value = ''
      $<HTMLDetailsElement>('vault-change').open = false
      this.#say('Passphrase changed. Use the new one from now on.')
    } catch (error) {
      this.#refuse(error)
    }
  }

  async #turnOff(): Promise<void> {
    const passphrase = field('vault-off-passphrase').value
    const vault = this.#deps.vault()
    try {
      await vault.check(passphrase)
    } catch (error) {
      return this.#refuse(error)
    }
    const sure = await confirmAction({
      title: 'Turn encryption off?',
      message: `${vault.user}'s conversations, titles and notes will be stored in clear on this device, readable by anyone who can use this browser profile.`,
      confirm: 'Turn off',
      danger: true,
    })
    if (!sure) return
    this.#say('Decrypting…')
    try {
      await this.#deps.unsealExisting()
      await vault.destroy(passphrase)
      this.#dialog.close()
      await this.#deps.changed()
    } catch (error) {
      this.#refuse(error)
    }
  }

  async #unlock(): Promise<void> {
    const input = field('unlock-passphrase')
    const error = $('unlock-error')
    error.textContent = 'Checking…'
    try {
      await this.#deps.vault().unlock(input.value, field('unlock-remember').checked)
      input.value = ''
      error.textContent = ''
      await this.#deps.changed()
    } catch (caught) {
      error.textContent = caught instanceof WrongKeyError ? 'Wrong passphrase. Nothing was read or changed; try again.' : sentenceFor(problemOf(caught))
      input.select()
    }
  }
}
