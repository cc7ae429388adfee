// The read behind EncryptedSession.getItems: a window of the newest items, opened, and its
// positions checked against where the window sits in the history.
import type { AgentItem } from '../items/types.js'
import { isCountingSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'
import { inspectItems, type Inspected, type OpenPolicy } from './item-codec.js'
import { checkWindow, type Misplaced } from './positions.js'

/**
 * Reads the newest `limit` items and checks their positions: consecutive, and from 0 when
 * the window reaches the start of the history. Without a limit the window is the whole
 * history unless the store has a default window: one that does not start at 0 is checked
 * against the store's count of items (when it counts), and read again once before it is
 * refused, in case another tab removed items between the two reads.
 */
export async function readWindow(
  inner: Session<AgentItem>,
  limit: number | undefined,
  policy: OpenPolicy,
): Promise<{ raw: unknown[]; inspected: Inspected[]; misplaced: Misplaced | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const raw = await inner.getItems(limit)
    const inspected = await inspectItems(raw, policy)
    if (limit !== undefined) {
      const reachesStart = limit === Infinity || raw.length < limit
      return { raw, inspected, misplaced: checkWindow(inspected, reachesStart ? 0 : undefined).misplaced }
    }
    const fromZero = checkWindow(inspected, 0).misplaced
    if (!fromZero) return { raw, inspected, misplaced: undefined }
    const cut = checkWindow(inspected, undefined).misplaced
    if (!isCountingSession(inner) || (await inner.getItemCount()) > raw.length) return { raw, inspected, misplaced: cut }
    if (cut || attempt === 2) return { raw, inspected, misplaced: fromZero }
  }
}
