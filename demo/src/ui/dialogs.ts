// In-page dialogs instead of prompt() and confirm(): styled like the app, labelled for
// screen readers, closed by Escape or Cancel, and they never block the page's scripts.
import { h } from './dom.js'

interface DialogParts {
  title: string
  body: HTMLElement[]
  confirm: string
  danger?: boolean
}

let counter = 0

/** Opens a modal dialog; resolves to true when confirmed. `body` fields are read before it closes. */
function open(parts: DialogParts, read?: () => void): Promise<boolean> {
  const id = `in-page-dialog-${++counter}`
  const ok = h('button', { value: 'ok', class: parts.danger ? 'danger' : 'primary' }, parts.confirm)
  const cancel = h('button', { value: 'cancel', formnovalidate: true }, 'Cancel')
  const form = h('form', { method: 'dialog', class: 'card' }, h('h2', { id }, parts.title), ...parts.body, h('div', { class: 'row end' }, cancel, ok))
  const dialog = h('dialog', { class: 'in-page', 'aria-labelledby': id }, form)
  document.body.append(dialog)
  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      if ((event as SubmitEvent).submitter === ok) read?.()
    })
    dialog.addEventListener('close', () => {
      dialog.remove()
      resolve(dialog.returnValue === 'ok')
    })
    dialog.showModal()
    const field = form.querySelector<HTMLInputElement>('input')
    if (field) field.select()
    else (parts.danger ? cancel : ok).focus()
  })
}

/** Asks for a line of text; resolves to the trimmed text, or `undefined` when cancelled or empty. */
export async function askText(options: { title: string; label: string; value?: string; confirm: string }): Promise<string | undefined> {
  const input = h('input', { id: `in-page-field-${counter + 1}`, autocomplete: 'off', required: true })
  input.value = options.value ?? ''
  const label = h('label', { for: input.id }, options.label)
  let value = ''
  const confirmed = await open({ title: options.title, body: [label, input], confirm: options.confirm }, () => (value = input.value.trim()))
  return confirmed && value ? value : undefined
}

/** Asks to confirm an action; resolves to true when confirmed. */
export function confirmAction(options: { title: string; message: string; confirm: string; danger?: boolean }): Promise<boolean> {
  return open({ title: options.title, body: [h('p', {}, options.message)], confirm: options.confirm, danger: options.danger ?? false })
}
