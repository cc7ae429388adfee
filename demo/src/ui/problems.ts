// Errors as people read them: one sentence chosen from the error's `code` (and HTTP status),
// with the technical text behind a "Details" toggle. A Problem is plain data, so a failed
// message can keep its problem across reloads.
import { AbortError, IdbAgentsError, ModelHttpError, PendingInputKeptError } from '../../../src/index.js'
import { h } from './dom.js'

/** What went wrong, kept as plain data. */
export interface Problem {
  /** The library's error code, or the demo's own: `'setup'` (connection incomplete), `'stopped'`, `'unknown'`. */
  code: string
  /** HTTP status of a model call. */
  status?: number | undefined
  /** The technical text: error name, message and cause. */
  details: string
}

/** An error written for people already (the connection settings say what is missing). */
export class SetupError extends Error {
  override name = 'SetupError'
}

function causeText(error: Error): string {
  const cause = error.cause
  if (cause instanceof Error) return `\nCaused by: ${cause.message}`
  return cause === undefined ? '' : `\nCaused by: ${String(cause)}`
}

export function problemOf(error: unknown): Problem {
  if (!(error instanceof Error)) return { code: 'unknown', details: String(error) }
  // The code, not the class name, names a library error: a minifying build renames classes (name 'ao').
  const details = `${error instanceof IdbAgentsError ? `[${error.code}]` : `${error.name}:`} ${error.message}${causeText(error)}`
  if (error instanceof AbortError) return { code: 'stopped', details }
  if (error instanceof SetupError) return { code: 'setup', details: error.message }
  if (error instanceof ModelHttpError) return { code: error.code, status: error.status, details }
  if (error instanceof IdbAgentsError) return { code: error.code, details }
  return { code: 'unknown', details }
}

/** True when `error` means the input was kept as pending input (shown as waiting, not as failed). */
export const isKeptOffline = (error: unknown): error is PendingInputKeptError => error instanceof PendingInputKeptError

function modelSentence(status: number | undefined): string {
  if (status === undefined) return 'The model took too long to answer. Try again in a moment.'
  if (status === 401 || status === 403) return 'The model service refused the API key. Check the key, or your proxy’s credentials, in Connection settings.'
  if (status === 404) return 'The model or the address was not found. Check the model name and the proxy URL in Connection settings.'
  if (status === 429) return 'The model service is busy, or your quota is used up. Wait a moment, then try again.'
  if (status >= 500) return 'The model service had a problem on its side. Try again in a moment.'
  return 'The model service turned the request down. Try again, or pick another model in Connection settings.'
}

/** One sentence a person can act on. */
export function sentenceFor(problem: Problem): string {
  switch (problem.code) {
    case 'offline':
      return navigator.onLine
        ? 'The model could not be reached. Check your connection, or the proxy address in Connection settings.'
        : 'You are offline, so the model cannot be reached.'
    case 'model_http':
      return modelSentence(problem.status)
    case 'stopped':
      return 'Stopped before the answer was complete.'
    case 'setup':
      return problem.details
    case 'storage_quota':
      return 'This device has no room left for the app’s data. Delete old chats, then try again; nothing stored was changed.'
    case 'storage_unavailable':
      return 'This browser window does not let the app store data.'
    case 'upgrade_blocked':
      return 'Another tab has an older version of this app open. Close or reload it, then try again.'
    case 'storage_failed':
      return 'Saving on this device failed; nothing stored was changed. Reload the page and try again.'
    case 'wrong_key':
      return 'That passphrase is not the vault’s. Nothing was read or changed; try again.'
    case 'decryption_failed':
      return 'Part of this chat cannot be decrypted with this vault’s key.'
    case 'key_store':
      return 'The vault’s keys could not be read or saved on this device.'
    case 'max_turns_exceeded':
      return 'The agent took too many steps without finishing. Retry to let it carry on.'
    case 'tool_failed':
      return 'A notes tool failed, so the answer stopped.'
    case 'compaction_failed':
      return 'Summarizing the earlier messages failed; the chat is unchanged.'
    case 'invalid_export':
      return 'This file is not a chat export this app can read. Nothing was imported.'
    case 'session_exists':
      return 'That chat is already here. Nothing was imported.'
    default:
      return 'Something went wrong. Try again; nothing stored was changed.'
  }
}

/** The sentence (or `options.sentence` instead), buttons, then "Details" that opens to the technical text. */
export function problemView(problem: Problem, options: { sentence?: string | undefined; actions?: HTMLElement[] } = {}): HTMLElement {
  const actions = options.actions ?? []
  const details = problem.code === 'setup' || problem.code === 'stopped' ? undefined : h('details', { class: 'details' }, h('summary', {}, 'Details'), h('pre', {}, problem.details))
  const sentence = h('p', { class: 'sentence' }, options.sentence ?? sentenceFor(problem))
  return h('div', { class: 'problem' }, sentence, actions.length > 0 && h('div', { class: 'row' }, ...actions), details)
}
