// Renders stored items as chat rows: user and assistant bubbles (copy; edit and a version
// switcher on user messages), tool calls as one compact line each, and a marker where the
// model-facing history was compacted.
import type { AgentItem } from '../../../src/index.js'
import { itemText } from '../offline-model/brain.js'
import type { TurnVersions } from '../chats/versions.js'
import { h } from './dom.js'

export interface MessageActions {
  versions(turn: number): TurnVersions | undefined
  edit(turn: number, text: string): void
  switchTo(branchId: string): void
  /** Set when the model is sent a summary instead of the items before `index`. */
  compacted?: { index: number; summary: string }
}

type Item = AgentItem & Record<string, unknown>

export function renderItems(items: AgentItem[], actions: MessageActions): HTMLElement[] {
  const outputs = new Map<string, string>()
  for (const item of items as Item[]) if (item.type === 'function_call_output') outputs.set(String(item.call_id), outputText(item.output))
  const rows: HTMLElement[] = []
  let turn = 0
  for (const [index, item] of (items as Item[]).entries()) {
    if (index === actions.compacted?.index) rows.push(compactionMarker(actions.compacted.summary))
    if (item.role === 'user') rows.push(userBubble(itemText(item), ++turn, actions))
    else if (item.role === 'assistant') rows.push(assistantBubble(itemText(item)))
    else if (item.type === 'function_call') rows.push(toolLine(String(item.name), String(item.arguments ?? ''), outputs.get(String(item.call_id))))
  }
  return rows
}

/** Shown where the model's history begins after compaction; the summary it got opens below. */
function compactionMarker(summary: string): HTMLElement {
  return h(
    'li',
    { class: 'compacted', role: 'note', 'aria-label': 'Earlier messages were summarized for the model' },
    h(
      'details',
      {},
      h('summary', {}, h('span', { class: 'badge' }, 'summary'), ' Earlier messages were summarized for the model. They stay here and on this device.'),
      h('pre', {}, summary),
    ),
  )
}

function outputText(output: unknown): string {
  return typeof output === 'string' ? output : JSON.stringify(output)
}

function copyButton(text: string): HTMLButtonElement {
  const button = h('button', { type: 'button', 'aria-label': 'Copy message' }, 'Copy')
  button.addEventListener('click', () => {
    void navigator.clipboard.writeText(text).then(
      () => (button.textContent = 'Copied'),
      () => (button.textContent = 'Copy failed'),
    )
    setTimeout(() => (button.textContent = 'Copy'), 1500)
  })
  return button
}

function userBubble(text: string, turn: number, actions: MessageActions): HTMLElement {
  const body = h('div', { class: 'text' }, text)
  const versions = actions.versions(turn)
  const bar = h('div', { class: 'actions' })
  if (versions) {
    const { index, targets } = versions
    const prev = h('button', { type: 'button', 'aria-label': 'Previous version', disabled: index === 0 }, '‹')
    const next = h('button', { type: 'button', 'aria-label': 'Next version', disabled: index === targets.length - 1 }, '›')
    prev.addEventListener('click', () => actions.switchTo(targets[index - 1]!))
    next.addEventListener('click', () => actions.switchTo(targets[index + 1]!))
    bar.append(h('span', { class: 'versions', role: 'group', 'aria-label': `Version ${index + 1} of ${targets.length}` }, prev, `${index + 1} / ${targets.length}`, next))
  }
  const edit = h('button', { type: 'button', 'aria-label': 'Edit message' }, 'Edit')
  bar.append(edit, copyButton(text))
  const bubble = h('li', { class: 'msg user', 'data-turn': String(turn) }, h('span', { class: 'visually-hidden' }, 'You: '), body, bar)
  edit.addEventListener('click', () => {
    const field = h('textarea', { 'aria-label': 'Edit your message' })
    field.value = text
    const save = h('button', { type: 'button', class: 'primary' }, 'Save & send')
    const cancel = h('button', { type: 'button' }, 'Cancel')
    const editor = h('div', {}, field, h('div', { class: 'actions' }, h('span', { class: 'muted small versions' }, 'Keeps the old version'), cancel, save))
    bubble.replaceChildren(editor)
    field.focus()
    cancel.addEventListener('click', () => bubble.replaceWith(userBubble(text, turn, actions)))
    save.addEventListener('click', () => field.value.trim() && actions.edit(turn, field.value.trim()))
    field.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) (event.preventDefault(), save.click())
      if (event.key === 'Escape') cancel.click()
    })
  })
  return bubble
}

export function assistantBubble(text: string): HTMLElement {
  return h('li', { class: 'msg assistant' }, h('span', { class: 'visually-hidden' }, 'Agent: '), h('div', { class: 'text' }, text), h('div', { class: 'actions' }, copyButton(text)))
}

function formatArgs(json: string): string {
  try {
    const args = JSON.parse(json) as Record<string, unknown>
    return Object.entries(args).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')
  } catch {
    return json
  }
}

export function toolLine(name: string, args: string, output: string | undefined): HTMLElement {
  const summary = h('summary', {}, h('span', { class: 'badge' }, 'tool'), ` ${name}(${formatArgs(args)})`, output === undefined ? ' …' : ` → ${output.split('\n')[0]}`)
  return h('li', { class: 'tool', 'data-tool': name }, h('details', {}, summary, h('pre', {}, output ?? 'running…')))
}

/** The bubble a streamed answer grows in; `aria-busy` keeps screen readers quiet until it is done. */
export function streamingBubble(): { row: HTMLElement; append(delta: string): void; done(): void } {
  const text = h('div', { class: 'text' })
  const row = h('li', { class: 'msg assistant streaming', 'aria-live': 'polite', 'aria-busy': 'true' }, h('span', { class: 'visually-hidden' }, 'Agent: '), text)
  return {
    row,
    append: (delta) => text.append(delta),
    done: () => row.setAttribute('aria-busy', 'false'),
  }
}
