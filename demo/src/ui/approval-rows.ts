// A run waiting for the user's approval (delete_note needs it): the message that started it
// (not in the history yet: a paused turn is stored with the question, not in the
// transcript), the call, and Approve / Reject. Read back from IndexedDB, so a reload, another
// tab or a browser restart shows the same question.
import type { RunState, RunToolApprovalItem } from '../../../src/index.js'
import { itemText } from '../offline-model/text.js'
import { h } from './dom.js'
import { toolLine, userRow } from './messages.js'

export interface ApprovalActions {
  approve(item: RunToolApprovalItem): void
  reject(item: RunToolApprovalItem): void
}

/** What the user is asked, in words. */
function question(item: RunToolApprovalItem): string {
  let title: unknown
  try {
    title = (JSON.parse(item.arguments) as { title?: unknown }).title
  } catch {
    title = undefined
  }
  if (item.toolName === 'delete_note' && typeof title === 'string') return `Delete the note “${title}”?`
  return `Run ${item.toolName}(${item.arguments})?`
}

const button = (label: string, onClick: () => void, attrs: Record<string, string>): HTMLButtonElement => {
  const element = h('button', { type: 'button', ...attrs }, label)
  element.addEventListener('click', () => {
    for (const b of element.parentElement?.querySelectorAll('button') ?? []) b.disabled = true
    onClick()
  })
  return element
}

/** The rows of a run waiting for approval, under the stored history. */
export function approvalRows(state: RunState, actions: ApprovalActions): HTMLElement[] {
  const rows: HTMLElement[] = state.data.unsaved
    .filter((item) => 'role' in item && item.role === 'user')
    .map((item) => userRow(itemText(item), { class: 'waiting-approval' }, h('div', { class: 'actions' })))
  for (const item of state.getInterruptions()) {
    rows.push(toolLine(item.toolName, item.arguments, undefined))
    rows.push(
      h(
        'li',
        { class: 'msg assistant approval', 'data-approval': item.callId, role: 'group', 'aria-label': 'Approval needed' },
        h('p', { class: 'state' }, h('span', { class: 'badge waiting' }, 'needs your approval'), ` ${question(item)}`),
        h(
          'div',
          { class: 'actions' },
          button('Approve', () => actions.approve(item), { class: 'primary', 'aria-label': `Approve ${item.toolName}` }),
          button('Reject', () => actions.reject(item), { 'aria-label': `Reject ${item.toolName}` }),
        ),
      ),
    )
  }
  return rows
}
