// What a run sends: the stored history and the caller's new input, merged by the
// sessionInputCallback when there is one, and which of it the run still has to save.
import { canonicalJson } from '../items/json.js'
import { modelSafe } from '../items/model-safe.js'
import { field, isFunctionCall, isFunctionCallOutput } from '../items/predicates.js'
import type { AgentItem } from '../items/types.js'
import { RunError } from '../model/errors.js'
import { isModelInputPreparingSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'

/**
 * Merges the stored history with the new input into what is sent. Every returned item is
 * saved once, except the stored ones: the history items you were given, or copies of them
 * (`structuredClone`, `{ ...item }`) up to as many as are stored. New input comes first
 * when a copy could be either, so a repeated message ("yes") is never taken for history.
 * An object you change in place keeps its role: a history item stays stored, a new input
 * item is saved as changed (openai-agents-python #4069, openai-agents-js #1577).
 */
export type SessionInputCallback = (history: AgentItem[], newInput: AgentItem[]) => AgentItem[] | Promise<AgentItem[]>

/** What a run sends first, and what of it is not stored yet. */
export interface MergedInput {
  sent: AgentItem[]
  unsaved: AgentItem[]
}

/** How many items of each content are still unmatched. */
type Counts = Map<string | undefined, number>

function countsOf(keys: Iterable<string | undefined>): Counts {
  const counts: Counts = new Map()
  for (const key of keys) if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1)
  return counts
}

/** Takes one item of content `key` from `counts`; false when none is left. */
function take(counts: Counts, key: string | undefined): boolean {
  const left = counts.get(key) ?? 0
  if (left === 0) return false
  counts.set(key, left - 1)
  return true
}

/**
 * What is sent (history and input, merged by the callback when there is one) and what of
 * it still has to be saved. Stored items and their contents are noted before the callback
 * runs, so a callback that changes the array or the objects it is given (push, replace,
 * pop, in-place edits) can neither hide a new item from saving nor get a stored one saved
 * twice (python #4072/#4181, js #1577); copies are matched by content (see
 * {@link SessionInputCallback}). Stored items are sent as the session prepares them for the
 * model (`ModelInputPreparingSession`), after the callback.
 * @throws {@link RunError} `invalid_argument` when the callback returns no array
 */
export async function mergeInput(history: AgentItem[], input: AgentItem[], callback: SessionInputCallback | undefined, session?: Session): Promise<MergedInput> {
  if (!callback) return { sent: [...forModel(session, history), ...input], unsaved: input }
  const storedKey = new Map(history.map((item) => [item, canonicalJson(item)]))
  const inputKey = new Map(input.map((item) => [item, canonicalJson(item)]))
  const merged: unknown = await callback([...history], [...input])
  if (!Array.isArray(merged)) {
    throw new RunError('invalid_argument', `sessionInputCallback must return an array of items, got ${merged === null ? 'null' : typeof merged}.`)
  }
  const sent = [...(merged as AgentItem[])]
  const storedLeft = countsOf(storedKey.values())
  const inputLeft = countsOf(inputKey.values())
  // Objects handed out count first, so a copy never takes the place of its original.
  for (const item of sent) {
    if (storedKey.has(item)) take(storedLeft, storedKey.get(item))
    else if (inputKey.has(item)) take(inputLeft, inputKey.get(item))
  }
  const unsaved = sent.filter((item) => {
    if (storedKey.has(item)) return false
    if (inputKey.has(item)) return true
    const key = canonicalJson(item)
    if (take(inputLeft, key)) return true
    return !take(storedLeft, key)
  })
  const toSave = new Set(unsaved)
  return { sent: sent.map((item) => (toSave.has(item) ? item : forModel(session, [item])[0]!)), unsaved }
}

/** Stored items as they are sent to the model (see `ModelInputPreparingSession`). */
export function forModel(session: Session | undefined, items: AgentItem[]): AgentItem[] {
  return session && isModelInputPreparingSession(session) ? items.map((item) => session.prepareHistoryItemForModelInput(item)) : items
}

/**
 * `sent` with one tool output per call: when the caller's new input holds a
 * `function_call_output` for a call, that one is sent and older outputs of the call are not
 * (python `prefers_latest_function_call_output`); of several stored outputs of a call (an
 * output the caller replaced in an earlier run is stored beside its replacement), the newest.
 * Stored items stay stored.
 */
export function latestOutputs(sent: AgentItem[], callerItems: ReadonlySet<AgentItem>): AgentItem[] {
  const answered = new Set<unknown>()
  const newestStored = new Map<unknown, AgentItem>()
  for (const item of sent) {
    if (!isFunctionCallOutput(item)) continue
    if (callerItems.has(item)) answered.add(field(item, 'call_id'))
    else newestStored.set(field(item, 'call_id'), item)
  }
  const kept = sent.filter((item) => {
    if (callerItems.has(item) || !isFunctionCallOutput(item)) return true
    const callId = field(item, 'call_id')
    return !answered.has(callId) && newestStored.get(callId) === item
  })
  return kept.length === sent.length ? sent : kept
}

/**
 * `sent` with one `function_call` per call id: the API refuses a request holding two (a
 * history that came to store a call twice, e.g. written by another runner, would fail every
 * run). The newest one is sent, where the first one was, so it still precedes its output
 * (the JS SDK's `deduplicateAgentInputItemsPreferringLatest`). Stored items stay stored.
 */
export function latestCalls(sent: AgentItem[]): AgentItem[] {
  const newest = new Map<unknown, AgentItem>()
  let calls = 0
  for (const item of sent) {
    if (!isFunctionCall(item)) continue
    newest.set(field(item, 'call_id'), item)
    calls += 1
  }
  if (newest.size === calls) return sent
  const placed = new Set<unknown>()
  const kept: AgentItem[] = []
  for (const item of sent) {
    if (!isFunctionCall(item)) kept.push(item)
    else if (!placed.has(field(item, 'call_id'))) {
      placed.add(field(item, 'call_id'))
      kept.push(newest.get(field(item, 'call_id'))!)
    }
  }
  return kept
}

/**
 * The input of a model call: what is sent and the run's own items so far, without what the
 * API refuses on its own (see `modelSafe`), except a tool output in the caller's new input
 * to a session run, sent even when its call is outside the history window: that is how a UI
 * answers a client-side tool (python `preserves_new_function_call_outputs`). A
 * `function_call` or `reasoning` item left unpaired is never sent, also from the new input
 * (the API refuses it whatever the request holds; it stays stored).
 */
export function requestInput(sent: AgentItem[], runItems: AgentItem[], callerItems: ReadonlySet<AgentItem>): AgentItem[] {
  return modelSafe(runItems.length === 0 ? sent : [...sent, ...runItems], (item) => isFunctionCallOutput(item) && callerItems.has(item))
}
