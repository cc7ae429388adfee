// Turns and search of an encrypted branch. Turn numbers, counts, times and usage are the
// store's (it sees where turns start: a user message's envelope says so in clear); texts
// come from the decrypted items. One read of the branch, decrypted in memory only.
import { isUserMessage } from '../items/predicates.js'
import { snippetIn, toTurns, userTextOf, type TimedItem, type TurnInfo, type TurnMatch } from '../session/turns.js'
import { pickItems, type Inspected, type OpenPolicy } from './item-codec.js'
import type { Misplaced } from './positions.js'

/** One turn of the branch with the items of it that could be shown (decrypted, not expired). */
export interface DecryptedTurn {
  info: TurnInfo
  items: unknown[]
}

/**
 * The turns of `raw` (a branch as stored, oldest first) with their decrypted items
 * (`inspected`, one per entry of `raw`).
 * @throws {@link DecryptionError} for an item out of place, or the first item that fails
 *   when the policy says `'throw'`
 */
export function decryptTurns(raw: readonly TimedItem<unknown>[], inspected: readonly Inspected[], policy: OpenPolicy, misplaced: Misplaced | undefined): DecryptedTurn[] {
  pickItems(inspected, policy, misplaced) // throws what getItems() would
  const position = new Map(raw.map((entry, i) => [entry, i]))
  return toTurns(raw).map(({ entries, ...info }) => {
    const items: unknown[] = []
    let first: unknown
    for (const [i, entry] of entries.entries()) {
      const opened = inspected[position.get(entry)!]!
      if (opened.kind === 'failed') {
        if (policy.onUndecryptable === 'throw') throw opened.error
        continue
      }
      if (opened.kind !== 'item' && opened.kind !== 'plain') continue
      if (i === 0) first = opened.item
      items.push(opened.item)
    }
    return { info: { ...info, userText: first !== undefined && isUserMessage(first) ? userTextOf(first) : '' }, items }
  })
}

/** Turns whose decrypted user or assistant text contains `text` (case-insensitive). */
export function matchTurns(turns: readonly DecryptedTurn[], text: string): TurnMatch[] {
  const needle = text.toLowerCase()
  if (needle === '') return []
  return turns.flatMap(({ info, items }) => {
    const snippet = snippetIn(items, needle)
    return snippet === undefined ? [] : [{ ...info, snippet }]
  })
}
