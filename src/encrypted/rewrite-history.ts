// Rewriting every stored item of an encrypted session at once (migration of plain items,
// re-encryption after a key rotation, purging expired items), atomically: in place on
// every branch where the store can, else by one replaceItems of the current branch.
import { InvalidArgumentError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { isBranchingSession, isReplaceableSession, isRewritableSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'

/** What a rewrite computed from the stored items: the new items, and how many changed. */
export interface Rewrite {
  changed: number
  next: unknown[]
}

/**
 * Runs `compute` on every stored item and stores the result.
 *
 * @param what - the public method, for messages
 * @param inPlace - one item for one item (times, turns and usage kept), so `rewriteItems`
 *   may be used; `false` when items are dropped
 * @returns how many items changed
 * @throws {@link InvalidArgumentError} when the store can neither rewrite in place nor
 *   replace, or only replace and holds several branches (nothing changed)
 */
export async function rewriteHistory(
  inner: Session<AgentItem>,
  what: string,
  compute: (raw: AgentItem[]) => Promise<Rewrite>,
  inPlace: boolean,
): Promise<number> {
  if (inPlace && isRewritableSession(inner)) {
    let changed = 0
    await inner.rewriteItems(async (raw) => {
      const result = await compute(raw)
      changed = result.changed
      return result.next as AgentItem[]
    })
    return changed
  }
  if (!isReplaceableSession(inner)) {
    throw new InvalidArgumentError(
      `${what}() needs an underlying session with rewriteItems or replaceItems (IndexedDBSession and MemorySession have both), so that the rewrite is atomic.`,
    )
  }
  if (isBranchingSession(inner)) {
    const branches = await inner.listBranches()
    if (branches.length > 1) {
      throw new InvalidArgumentError(
        `${what}() cannot rewrite session "${inner.sessionId}": it has ${branches.length} branches and replaceItems rewrites only the current one, ` +
          'which would leave the other branches as they are. Nothing was changed. ' +
          'Delete the branches you no longer need (deleteBranch) and call it again.',
      )
    }
  }
  // Infinity, not undefined: an underlying default window must not cut the history.
  const { changed, next } = await compute(await inner.getItems(Infinity))
  if (changed > 0) await inner.replaceItems(next as AgentItem[])
  return changed
}
