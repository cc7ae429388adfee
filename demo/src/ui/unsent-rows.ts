// The rows of what is not (yet) in the history: input waiting to send while offline,
// messages that failed or were stopped (with Retry), and the run streaming right now.
import type { PendingInput } from '../../../src/index.js'
import type { LiveRun } from '../chats/live-run.js'
import type { Unsent } from '../chats/unsent.js'
import { itemText } from '../offline-model/text.js'
import { h } from './dom.js'
import { renderMarkdown } from './markdown.js'
import { toolLine, userRow } from './messages.js'
import { problemView, type Problem } from './problems.js'

const button = (label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement => {
  const element = h('button', { type: 'button', ...attrs }, label)
  element.addEventListener('click', onClick)
  return element
}

/** Input kept while offline: it goes out by itself when the network is back. */
export function waitingRow(entry: PendingInput, actions: { sendNow(): void; discard(): void }, problem: Problem | undefined): HTMLElement {
  const text = entry.input.map((item) => itemText(item)).join('\n')
  const sending = entry.state === 'sending'
  const note = h(
    'p',
    { class: 'state', role: 'status' },
    h('span', { class: 'badge waiting' }, sending ? 'sending' : 'waiting to send'),
    sending ? ' Sending now…' : navigator.onLine ? ' Not sent yet. It goes out by itself; or send it now.' : ' You are offline. It is kept on this device and goes out by itself when you are back online.',
  )
  const extra = problem && navigator.onLine ? [note, problemView(problem)] : [note]
  const bar = h(
    'div',
    { class: 'actions' },
    ...(navigator.onLine ? [button('Send now', actions.sendNow)] : []),
    button('Delete', actions.discard, { 'aria-label': 'Delete unsent message' }),
  )
  if (sending) for (const b of bar.querySelectorAll('button')) b.disabled = true
  return userRow(text, { class: 'waiting', 'data-pending': String(entry.id) }, bar, ...extra)
}

/** A message that failed or was stopped. Its text stays here until it is sent or discarded. */
export function unsentRow(entry: Unsent, actions: { retry(): void; edit(): void; discard(): void }): HTMLElement {
  const retry = button('Retry', actions.retry, { class: 'primary' })
  if (entry.text === undefined) {
    // The input is in the history: Retry continues the answer without sending it again.
    return h('li', { class: 'notice', 'data-unsent': entry.id }, problemView(entry.problem, { actions: [retry, button('Dismiss', actions.discard)] }))
  }
  const bar = h('div', { class: 'actions' }, retry, button('Edit', actions.edit, { 'aria-label': 'Edit unsent message' }), button('Discard', actions.discard, { 'aria-label': 'Discard unsent message' }))
  const badge = h('p', { class: 'state' }, h('span', { class: 'badge failed' }, entry.problem.code === 'stopped' ? 'stopped' : 'not sent'))
  // Kept unsent while offline (not as pending input: the vault is on), and the network is back.
  const back = entry.problem.code === 'offline' && navigator.onLine ? 'You are back online: Retry to send it.' : undefined
  return userRow(entry.text, { class: 'unsent', 'data-unsent': entry.id }, bar, badge, problemView(entry.problem, { sentence: back }))
}

/** The rows of a run in progress, kept up to date as it streams. */
export function liveRows(live: LiveRun, changed: () => void): { rows: HTMLElement[]; detach(): void } {
  const rows: HTMLElement[] = []
  if (live.text !== undefined) rows.push(userRow(live.text, { class: 'sending' }, h('div', { class: 'actions' })))
  const tools = new Map<string, HTMLElement>()
  for (const tool of live.tools) {
    const line = toolLine(tool.name, tool.args, tool.output)
    tools.set(tool.callId, line)
    rows.push(line)
  }
  const text = h('div', { class: 'text markdown' })
  const bubble = h('li', { class: 'msg assistant streaming', 'aria-live': 'polite', 'aria-busy': 'true' }, h('span', { class: 'visually-hidden' }, 'Agent: '), text)
  rows.push(bubble)
  let frame = 0
  const paint = (): void => {
    frame = 0
    text.replaceChildren(renderMarkdown(live.answer))
    changed()
  }
  paint()
  const stop = live.listen((event) => {
    if (event.kind === 'text') frame ||= requestAnimationFrame(paint)
    else if (event.kind === 'tool-called') {
      const line = toolLine(event.name, event.args, undefined)
      tools.set(event.callId, line)
      bubble.before(line)
      changed()
    } else {
      const tool = live.tools.find((t) => t.callId === event.callId)
      const line = tools.get(event.callId)
      if (tool && line) {
        const done = toolLine(tool.name, tool.args, event.output)
        line.replaceWith(done)
        tools.set(event.callId, done)
      }
    }
  })
  return {
    rows,
    detach: () => {
      stop()
      cancelAnimationFrame(frame)
    },
  }
}
