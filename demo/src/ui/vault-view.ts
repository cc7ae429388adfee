// The vault: the lock screen (unlock with the passphrase; a wrong one is a clear message)
// and the dialog to turn encryption on, lock, and remember or forget this device.
import { WrongKeyError } from '../../../src/index.js'
import type { Vault } from '../vault/vault.js'
import { $, describeError } from './dom.js'

export interface VaultDeps {
  vault(): Vault
  /** Encryption was just turned on: seal what is stored in clear. */
  sealExisting(): Promise<void>
  /** The vault changed state: re-render everything. */
  changed(): Promise<void>
}

export class VaultView {
  readonly #deps: VaultDeps
  readonly #dialog = $<HTMLDialogElement>('vault-dialog')
  readonly #error = $('vault-error')
  readonly #lockScreen = $('lock-screen')

  constructor(deps: VaultDeps) {
    this.#deps = deps
    $('vault-button').addEventListener('click', () => void this.#openDialog())
    $('vault-enable').addEventListener('click', () => void this.#enable())
    $('vault-lock').addEventListener('click', () => {
      this.#deps.vault().lock()
      this.#dialog.close()
      void this.#deps.changed()
    })
    $<HTMLInputElement>('vault-remembered').addEventListener('change', (event) => {
      void this.#deps.vault().setRemembered((event.target as HTMLInputElement).checked)
    })
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
      $<HTMLInputElement>('unlock-passphrase').focus()
    }
  }

  async #openDialog(): Promise<void> {
    const vault = this.#deps.vault()
    if (vault.state === 'locked') return void $('unlock-passphrase').focus()
    const on = vault.state === 'unlocked'
    $('vault-off').hidden = on
    $('vault-on').hidden = !on
    $('vault-enable').hidden = on
    $('vault-lock').hidden = !on
    if (on) $<HTMLInputElement>('vault-remembered').checked = await vault.isDeviceRemembered()
    this.#error.textContent = ''
    this.#dialog.showModal()
  }

  async #enable(): Promise<void> {
    const passphrase = $<HTMLInputElement>('vault-passphrase').value
    if (passphrase.length < 8) return void (this.#error.textContent = 'Use at least 8 characters.')
    if (passphrase !== $<HTMLInputElement>('vault-confirm').value) return void (this.#error.textContent = 'The two passphrases differ.')
    this.#error.textContent = 'Deriving the key and encrypting…'
    try {
      await this.#deps.vault().create(passphrase, $<HTMLInputElement>('vault-remember').checked)
      await this.#deps.sealExisting()
      $<HTMLInputElement>('vault-passphrase').value = ''
      $<HTMLInputElement>('vault-confirm').value = ''
      this.#dialog.close()
      await this.#deps.changed()
    } catch (error) {
      this.#error.textContent = describeError(error)
    }
  }

  async #unlock(): Promise<void> {
    const field = $<HTMLInputElement>('unlock-passphrase')
    const error = $('unlock-error')
    error.textContent = 'Checking…'
    try {
      await this.#deps.vault().unlock(field.value, $<HTMLInputElement>('unlock-remember').checked)
      field.value = ''
      error.textContent = ''
      await this.#deps.changed()
    } catch (caught) {
      error.textContent =
        caught instanceof WrongKeyError ? 'Wrong passphrase. Nothing was read or changed; try again.' : describeError(caught)
      field.select()
    }
  }
}
