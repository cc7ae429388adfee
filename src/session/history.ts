// `@openai/agents`' history capabilities (transactions, mutations, compaction replacement)
// built on one primitive every store offers: replace the newest items after checking what
// they are, recording an operation id in the same write (SuffixReplaceableSession).
import { InvalidArgumentError } from '../errors.js'
import { field, isCompactionItem } from '../items/predicates.js'
import { canonicalJson, sameJson } from '../items/json.js'
import type { AgentItem } from '../items/types.js'
import { asStoredBatch, toStoredItems } from '../items/validate.js'
import type {
  SessionHistoryMutation,
  SessionHistoryRewriteArgs,
  SessionHistoryTransactionArgs,
  SuffixReplaceableSession,
  SuffixReplacement,
} from './capabilities.js'

/** A checked transaction: its change, stored copies of its items, and its fingerprint. */
export interface CheckedTransaction<TItem> {
  operationId: string
  change: SuffixReplacement<TItem>
}

function fieldsOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`)
  }
  return value as Record<string, unknown>
}

function exactKeys(record: Record<string, unknown>, keys: readonly string[], what: string): void {
  const found = Object.keys(record)
  if (found.length !== keys.length || !keys.every((key) => Object.hasOwn(record, key))) {
    throw new InvalidArgumentError(`${what} must have exactly the fields ${keys.join(', ')}, got ${found.join(', ') || 'none'}. Nothing was changed.`)
  }
}

function itemsOf<TItem>(value: unknown, what: string): TItem[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${what} must be an array of items. Nothing was changed.`)
  // Checked copies of our own: the store below takes them as they are.
  return asStoredBatch(toStoredItems(value as TItem[]))
}

/**
 * Checks the arguments of `applyHistoryTransaction` and turns them into the suffix
 * replacement that applies them, with a fingerprint: the transaction's JSON with sorted keys,
 * so that a retry with an equal transaction is recognised whatever its key order.
 * @throws {@link InvalidArgumentError}; `InvalidItemError`
 */
export function checkHistoryTransaction<TItem>(args: SessionHistoryTransactionArgs<TItem>): CheckedTransaction<TItem> {
  const record = fieldsOf(args, 'applyHistoryTransaction arguments')
  const operationId = record.operationId
  if (typeof operationId !== 'string' || operationId.trim() === '') {
    throw new InvalidArgumentError(`operationId must be a non-empty string, got ${JSON.stringify(operationId) ?? String(operationId)}. Nothing was changed.`)
  }
  const transaction = fieldsOf(record.transaction, 'transaction')
  let expectedSuffix: TItem[]
  let replacement: TItem[]
  let canonical: unknown
  if (transaction.type === 'append_items') {
    exactKeys(transaction, ['type', 'items'], 'An append_items transaction')
    expectedSuffix = []
    replacement = itemsOf(transaction.items, 'transaction.items')
    canonical = { type: 'append_items', items: replacement }
  } else if (transaction.type === 'replace_suffix') {
    exactKeys(transaction, ['type', 'expectedSuffix', 'replacement'], 'A replace_suffix transaction')
    expectedSuffix = itemsOf(transaction.expectedSuffix, 'transaction.expectedSuffix')
    replacement = itemsOf(transaction.replacement, 'transaction.replacement')
    canonical = { type: 'replace_suffix', expectedSuffix, replacement }
  } else {
    throw new InvalidArgumentError(
      `transaction.type must be 'append_items' or 'replace_suffix', got ${JSON.stringify(transaction.type) ?? String(transaction.type)}. Nothing was changed.`,
    )
  }
  return { operationId, change: { expectedSuffix, replacement, operation: { operationId, fingerprint: canonicalJson(canonical)! } } }
}

/** Checks `applyHistoryMutations` arguments; the replacements are stored copies. */
export function checkHistoryMutations<TItem>(args: SessionHistoryRewriteArgs<TItem>): SessionHistoryMutation<TItem>[] {
  const record = fieldsOf(args, 'applyHistoryMutations arguments')
  if (!Array.isArray(record.mutations)) throw new InvalidArgumentError('applyHistoryMutations needs { mutations: [...] }. Nothing was changed.')
  const checked: SessionHistoryMutation<TItem>[] = []
  for (let i = 0; i < record.mutations.length; i++) {
    const mutation = fieldsOf(record.mutations[i], `mutations[${i}]`)
    if (mutation.type !== 'replace_function_call') {
      throw new InvalidArgumentError(`mutations[${i}].type must be 'replace_function_call', got ${JSON.stringify(mutation.type) ?? String(mutation.type)}. Nothing was changed.`)
    }
    if (typeof mutation.callId !== 'string' || mutation.callId === '') {
      throw new InvalidArgumentError(`mutations[${i}].callId must be a non-empty string. Nothing was changed.`)
    }
    const [replacement] = toStoredItems([mutation.replacement as TItem])
    if (field(replacement, 'type') !== 'function_call') {
      throw new InvalidArgumentError(`mutations[${i}].replacement must be a function_call item. Nothing was changed.`)
    }
    checked.push({ type: 'replace_function_call', callId: mutation.callId, replacement: replacement as TItem })
  }
  return checked
}

/** The call id of a function call in the API's wire names (`call_id`) or the SDK's (`callId`). */
function callIdOf(item: unknown): unknown {
  return field(item, 'type') === 'function_call' ? (field(item, 'callId') ?? field(item, 'call_id')) : undefined
}

/** `items` with `mutations` applied, as `@openai/agents`' MemorySession applies them. */
export function applySessionHistoryMutations<TItem>(items: readonly TItem[], mutations: readonly SessionHistoryMutation<TItem>[]): TItem[] {
  let next = [...items]
  for (const mutation of mutations) {
    const out: TItem[] = []
    let placed = false
    for (const item of next) {
      if (callIdOf(item) !== mutation.callId) out.push(item)
      else if (!placed) {
        out.push(mutation.replacement)
        placed = true
      }
    }
    next = out
  }
  return next
}

/** The smallest suffix replacement that turns `before` into `after`, or `undefined` when they are equal. */
export function suffixChange<TItem>(before: readonly TItem[], after: readonly TItem[]): SuffixReplacement<TItem> | undefined {
  let same = 0
  while (same < before.length && same < after.length && sameJson(before[same], after[same])) same++
  if (same === before.length && same === after.length) return undefined
  // Slices of copies read or checked here: the store below takes them as they are.
  return { at: before.length, expectedSuffix: asStoredBatch(before.slice(same)), replacement: asStoredBatch(after.slice(same)) }
}

/** Checks the items of `replaceHistoryWithCompaction`: a compaction item first. */
export function checkCompactionItems<TItem>(items: TItem[]): TItem[] {
  const stored = itemsOf<TItem>(items, 'replaceHistoryWithCompaction items')
  if (stored.length === 0 || !isCompactionItem(stored[0])) {
    throw new InvalidArgumentError(
      'replaceHistoryWithCompaction needs items that start with a compaction item (from responses.compact); ' +
        'use replaceItems to replace history with anything else. Nothing was changed.',
    )
  }
  return stored
}

/**
 * The public history methods of a store, over its {@link SuffixReplaceableSession} primitive:
 * `applyHistoryTransaction`, `applyHistoryMutations`, `replaceHistoryWithCompaction`.
 */
export interface HistoryMethods<TItem> {
  applyHistoryTransaction(args: SessionHistoryTransactionArgs<TItem>): Promise<void>
  applyHistoryMutations(args: SessionHistoryRewriteArgs<TItem>): Promise<void>
  replaceHistoryWithCompaction(items: TItem[]): Promise<void>
}

// Attempts of a mutation when other writers keep changing the history between its read and its write.
const MUTATION_ATTEMPTS = 3

/** Builds {@link HistoryMethods} over `store`. */
export function historyMethods<TItem = AgentItem>(store: SuffixReplaceableSession<TItem>): HistoryMethods<TItem> {
  const rewrite = async (compute: (items: TItem[]) => TItem[]) => {
    for (let attempt = 1; ; attempt++) {
      const before = await store.getItems(Infinity)
      const change = suffixChange(before, compute(before))
      if (!change) return
      try {
        await store.replaceSuffix(change)
        return
      } catch (error) {
        const name = (error as { name?: unknown }).name
        if (attempt === MUTATION_ATTEMPTS || (name !== 'HistorySuffixMismatchError' && name !== 'PositionConflictError')) throw error
      }
    }
  }
  return {
    async applyHistoryTransaction(args) {
      await store.replaceSuffix(checkHistoryTransaction(args).change)
    },
    async applyHistoryMutations(args) {
      const mutations = checkHistoryMutations(args)
      if (mutations.length === 0) return
      await rewrite((items) => applySessionHistoryMutations(items, mutations))
    },
    async replaceHistoryWithCompaction(items) {
      const replacement = checkCompactionItems(items)
      await rewrite(() => replacement)
    },
  }
}
