// The connection settings panel: the four ways to reach a model.
import type { ConnectionMode, ConnectionSettings, ServerCaps } from '../connection/settings.js'
import { $ } from './dom.js'

export class ConnectionDialog {
  readonly #dialog = $<HTMLDialogElement>('connection-dialog')
  readonly #form = $<HTMLFormElement>('connection-form')
  #resolve: ((settings: ConnectionSettings | undefined) => void) | undefined

  constructor() {
    this.#form.addEventListener('change', () => this.#showFields())
    this.#dialog.addEventListener('close', () => {
      this.#resolve?.(this.#dialog.returnValue === 'save' ? this.#read() : undefined)
      this.#resolve = undefined
    })
  }

  /** Opens the panel; resolves to the saved settings, or `undefined` when cancelled. */
  edit(settings: ConnectionSettings, caps: ServerCaps, vaultOn: boolean): Promise<ConnectionSettings | undefined> {
    const fields = this.#form.elements
    for (const radio of this.#radios()) radio.checked = radio.value === settings.mode
    ;(fields.namedItem('model') as HTMLInputElement).value = settings.model
    ;(fields.namedItem('proxyURL') as HTMLInputElement).value = settings.proxyURL
    ;(fields.namedItem('proxyHeaders') as HTMLTextAreaElement).value = settings.proxyHeaders
    ;(fields.namedItem('apiKey') as HTMLInputElement).value = settings.apiKey
    ;(fields.namedItem('rememberKey') as HTMLInputElement).checked = settings.rememberKey
    this.#radios().find((radio) => radio.value === 'dev-proxy')!.disabled = !caps.proxy
    $('dev-proxy-note').textContent = caps.proxy
      ? 'The dev server adds OPENAI_API_KEY from its environment; the browser never sees it.'
      : 'Not available here: start `npm run demo` with OPENAI_API_KEY set to use it.'
    $('remember-key-note').textContent = vaultOn ? '(encrypted by your vault)' : '(in clear: turn the vault on to encrypt it)'
    this.#showFields()
    this.#dialog.returnValue = ''
    this.#dialog.showModal()
    return new Promise((resolve) => (this.#resolve = resolve))
  }

  #radios(): HTMLInputElement[] {
    return [...this.#form.querySelectorAll<HTMLInputElement>('input[name="mode"]')]
  }

  #mode(): ConnectionMode {
    return (this.#radios().find((radio) => radio.checked)?.value ?? 'offline') as ConnectionMode
  }

  #showFields(): void {
    const mode = this.#mode()
    for (const section of this.#form.querySelectorAll<HTMLElement>('[data-for]')) {
      section.hidden = !(section.dataset.for ?? '').split(' ').includes(mode)
    }
  }

  #read(): ConnectionSettings {
    const value = (name: string): string => (this.#form.elements.namedItem(name) as HTMLInputElement).value.trim()
    return {
      mode: this.#mode(),
      model: value('model') || 'gpt-4.1-mini',
      proxyURL: value('proxyURL'),
      proxyHeaders: value('proxyHeaders'),
      apiKey: value('apiKey'),
      rememberKey: (this.#form.elements.namedItem('rememberKey') as HTMLInputElement).checked,
    }
  }
}
