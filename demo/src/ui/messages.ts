// Renders stored items as chat rows: user bubbles (edit, copy, a version switcher) and
// markdown answers (copy; regenerate on the last one), each with its time; tool calls as
// one compact line each; a marker where the model-facing history was compacted; what an
// empty chat suggests.
import type { AgentItem, TurnInfo } from '../../../src/index.js'
import type { TurnVersions } from '../chats/versions.js'
import { itemText } from '../offline-model/text.js'
import { h } from './dom.js'
import { copyTo, renderMarkdown } from './markdown.js'
import { messageTime, timeElement } from './time.js'

export interface MessageActions {
  versions(turn: number): TurnVersions | undefined
  turn(turn: number): TurnInfo | undefined
  edit(turn: number, text: string): void
  switchTo(branchId: string): void
  /** Regenerates the last answer as a new version of its turn. */
  regenerate(turn: number, text: string): void
  /** Editing and switching versions wait while a message is waiting to send or an answer streams. */
  locked: boolean
  /** Set when the model is sent a summary instead of the items before `index`. */
  compacted?: { index: number; summary: string } | undefined
}

type Item = AgentItem & Record<string, unknown>

const EXAMPLES = [
  'Save a note called Groceries: milk, eggs, bread',
  'What notes do I have?',
  'Find notes about milk',
  'My favorite color is blue',
  "What's my favorite color?",
  'Show me some markdown',
]

/** What an empty chat shows: what to try; a click puts the example in the message box. */
/** Where the chats of the store shown are kept, as the empty chat says it. */
export type KeptWhere = 'device' | 'synced' | 'memory'

const KEPT: Record<KeptWhere, string> = {
  device: 'Everything stays on this device; reload and it is still here.',
  synced: 'Chats are kept on this device and on the sync server.',
  memory: 'This window keeps chats in memory only: they are gone when you reload.',
}

export function hintRow(fill: (example: string) => void, kept: KeptWhere): HTMLElement {
  const tries = EXAMPLES.map((example) => {
    const button = h('button', { type: 'button' }, example)
    button.addEventListener('click', () => fill(example))
    return button
  })
  return h('li', { class: 'hint' }, h('p', {}, `Ask the notes agent something. ${KEPT[kept]}`), h('div', { class: 'row', style: 'justify-content:center' }, ...tries))
}

export function renderItems(items: AgentItem[], actions: MessageActions): HTMLElement[] {
  const outputs = new Map<string, string>()
  for (const item of items as Item[]) if (item.type === 'function_call_output') outputs.set(String(item.call_id), outputText(item.output))
  const lastUser = items.findLastIndex((item) => (item as Item).role === 'user')
  const lastAnswer = items.findLastIndex((item) => (item as Item).role === 'assistant')
  const rows: HTMLElement[] = []
  let turn = 0
  let userText = ''
  for (const [index, item] of (items as Item[]).entries()) {
    if (index === actions.compacted?.index) rows.push(compactionMarker(actions.compacted.summary))
    if (item.role === 'user') {
      userText = itemText(item)
      rows.push(userBubble(userText, ++turn, actions))
    } else if (item.role === 'assistant') {
      const info = actions.turn(turn)
      const last = index === lastAnswer && index > lastUser && !actions.locked
      const regenerate = last && turn > 0 ? ((t: number, text: string) => () => actions.regenerate(t, text))(turn, userText) : undefined
      rows.push(assistantBubble(itemText(item), { time: info?.endedAt, regenerate }))
    } else if (item.type === 'function_call') rows.push(toolLine(String(item.name), String(item.arguments ?? ''), outputs.get(String(item.call_id))))
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

export function copyButton(text: string): HTMLButtonElement {
  const button = h('button', { type: 'button', 'aria-label': 'Copy message' }, 'Copy')
  button.addEventListener('click', () => copyTo(button, text))
  return button
}

function stamp(ms: number | undefined): HTMLElement | undefined {
  return ms === undefined ? undefined : h('span', { class: 'time' }, timeElement(ms, messageTime(ms)))
}

/** A bubble of the user's text; `extra` goes below it (a problem, buttons). */
export function userRow(text: string, attrs: Record<string, string>, bar: HTMLElement, ...extra: HTMLElement[]): HTMLElement {
  const classes = ['msg', 'user', attrs.class].filter(Boolean).join(' ')
  return h('li', { ...attrs, class: classes }, h('span', { class: 'visually-hidden' }, 'You: '), h('div', { class: 'text' }, text), ...extra, bar)
}

function userBubble(text: string, turn: number, actions: MessageActions): HTMLElement {
  const versions = actions.versions(turn)
  const bar = h('div', { class: 'actions' })
  if (versions) {
    const { index, targets } = versions
    const prev = h('button', { type: 'button', 'aria-label': 'Previous version', disabled: index === 0 || actions.locked }, '‹')
    const next = h('button', { type: 'button', 'aria-label': 'Next version', disabled: index === targets.length - 1 || actions.locked }, '›')
    prev.addEventListener('click', () => actions.switchTo(targets[index - 1]!))
    next.addEventListener('click', () => actions.switchTo(targets[index + 1]!))
    bar.append(h('span', { class: 'versions', role: 'group', 'aria-label': `Version ${index + 1} of ${targets.length}` }, prev, `${index + 1} / ${targets.length}`, next))
  }
  const time = stamp(actions.turn(turn)?.startedAt)
  if (time) bar.append(time)
  const edit = h('button', { type: 'button', 'aria-label': 'Edit message', disabled: actions.locked }, 'Edit')
  bar.append(edit, copyButton(text))
  const bubble = userRow(text, { 'data-turn': String(turn) }, bar)
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
      if (event.key === 'Escape') (event.stopPropagation(), cancel.click())
    })
  })
  return bubble
}

/** An answer, rendered from markdown. */
export function assistantBubble(text: string, options: { time?: number | undefined; regenerate?: (() => void) | undefined } = {}): HTMLElement {
  const bar = h('div', { class: 'actions' })
  const time = stamp(options.time)
  if (time) bar.append(time)
  if (options.regenerate) {
    const again = h('button', { type: 'button', 'aria-label': 'Regenerate answer', title: 'Answer again, as a new version' }, '↻ Regenerate')
    again.addEventListener('click', options.regenerate)
    bar.append(again)
  }
  bar.append(copyButton(text))
  return h('li', { class: 'msg assistant' }, h('span', { class: 'visually-hidden' }, 'Agent: '), h('div', { class: 'text markdown' }, renderMarkdown(text)), bar)
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
