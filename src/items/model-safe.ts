// Which items belong together (a reasoning item and what follows it, a tool call and its
// output) and which ones the API would refuse on their own. Shared by the runner and the
// compaction and Conversations sessions.
import { field, isAssistantMessage, isReasoningItem } from './predicates.js'

const inputOnly = new Set(['function_call_output', 'compaction', 'item_reference'])

/** True for something the model produced that a reasoning item may precede. */
function isModelOutput(item: unknown): boolean {
  const type = field(item, 'type')
  const role = field(item, 'role')
  if (role !== undefined) return role === 'assistant'
  return typeof type === 'string' && type !== 'reasoning' && !inputOnly.has(type)
}

/**
 * `items` without what the API rejects when sent on its own: a `function_call` without its
 * output or an output without its call (python #4322), and a `reasoning` item not followed
 * by the model output it belongs to (openai-agents-js #929, python #1709). Used for what is
 * sent; stored history keeps everything.
 * @param keep - items sent whatever they pair with (a session run's new tool outputs)
 */
export function modelSafe<TItem>(items: readonly TItem[], keep?: (item: TItem) => boolean): TItem[] {
  return filterUnpaired(items, true, keep)
}

/**
 * `items` without the reasoning items no model output follows, which the API rejects
 * (openai-agents-js #929, python #1709). Tool calls and outputs are kept either way.
 */
export function dropDanglingReasoning<TItem>(items: readonly TItem[]): TItem[] {
  return filterUnpaired(items, false)
}

function filterUnpaired<TItem>(items: readonly TItem[], pairCalls: boolean, keepAlways?: (item: TItem) => boolean): TItem[] {
  const calls = new Set<unknown>()
  const outputs = new Set<unknown>()
  for (const item of items) {
    const type = field(item, 'type')
    if (type === 'function_call') calls.add(field(item, 'call_id'))
    else if (type === 'function_call_output') outputs.add(field(item, 'call_id'))
  }
  const kept: TItem[] = []
  let outputFollows = false
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as TItem
    const type = field(item, 'type')
    let keep = true
    if (type === 'function_call') keep = !pairCalls || outputs.has(field(item, 'call_id'))
    else if (type === 'function_call_output') keep = !pairCalls || calls.has(field(item, 'call_id'))
    else if (type === 'reasoning') keep = outputFollows
    if (!keep && !keepAlways?.(item)) continue
    kept.push(item)
    if (type !== 'reasoning') outputFollows = isModelOutput(item)
  }
  // Nothing dropped: hand back the input itself, so the common case allocates nothing.
  return kept.length === items.length ? (items as TItem[]) : kept.reverse()
}

/**
 * Splits `items` into batches of at most `size` items without separating a reasoning item
 * from the item after it, so each batch is acceptable to the API on its own. A run of
 * reasoning items plus its follower longer than `size` stays one (larger) batch.
 */
export function chunkKeepingReasoning<TItem>(items: readonly TItem[], size: number): TItem[][] {
  const groups: TItem[][] = []
  let open: TItem[] = []
  for (const item of items) {
    open.push(item)
    if (!isReasoningItem(item)) {
      groups.push(open)
      open = []
    }
  }
  if (open.length > 0) groups.push(open)
  const batches: TItem[][] = []
  let batch: TItem[] = []
  for (const group of groups) {
    if (batch.length > 0 && batch.length + group.length > size) {
      batches.push(batch)
      batch = []
    }
    batch.push(...group)
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

/**
 * `items` with the `id` removed from every assistant message whose reasoning item is not
 * right before it. The Responses API ties such an id to its reasoning item and refuses the
 * message alone (400); `responses.compact` can return exactly that (python #2727, fixed per
 * pair in #3941).
 */
export function withoutOrphanedMessageIds<TItem>(items: readonly TItem[]): TItem[] {
  return items.map((item, i) => {
    if (!isAssistantMessage(item) || field(item, 'id') === undefined || isReasoningItem(items[i - 1])) return item
    const { id: _id, ...rest } = item as Record<string, unknown>
    return rest as TItem
  })
}
