// What EncryptedSession's history rewrites compute from the stored items: plain items
// sealed (migration), envelopes sealed again under the current key and format (rotation,
// upgrade to position-bound envelopes), expired items dropped. Each checks the sealed
// positions first, so that a rewrite never launders swapped or replayed items into
// freshly sealed ones.
import { looksLikeEnvelope, sealItem, type EnvelopeHeader } from '../crypto/envelope.js'
import { inspectItems, type OpenPolicy } from './item-codec.js'
import { checkPositions, checkWindow, outOfPlace } from './positions.js'
import type { Rewrite } from './rewrite-history.js'

/** Seals the plain items stored before encryption was turned on, each at its position, stamped `at`. */
export async function sealPlainItems(raw: unknown[], positions: number[], policy: OpenPolicy, at: number): Promise<Rewrite> {
  const inspected = await inspectItems(raw, { ...policy, plaintext: 'read', expiredBefore: -Infinity, open: () => false })
  const misplaced = checkPositions(inspected, positions)
  if (misplaced) throw outOfPlace(policy.sessionId, inspected, raw.length, misplaced)
  const { id, key } = await policy.keys.currentKey()
  let changed = 0
  const next = await Promise.all(
    raw.map(async (item, i) => {
      if (looksLikeEnvelope(item)) return item
      changed++
      // An item no branch shows (-1) is never read; it is sealed all the same, at 0.
      return sealItem(item, key, id, policy.sessionId, at, Math.max(0, positions[i]!))
    }),
  )
  return { changed, next }
}

/**
 * Seals again, with the current key and format, every envelope `stale` picks, keeping its
 * time and position (version 1/2 envelopes get the position their store gives them).
 * Undecryptable items throw, or with `onUndecryptable: 'skip'` are kept as they are.
 */
export async function resealItems(raw: unknown[], positions: number[], policy: OpenPolicy, stale: (envelope: EnvelopeHeader) => boolean): Promise<Rewrite> {
  const inspected = await inspectItems(raw, { ...policy, plaintext: 'read', expiredBefore: -Infinity, open: stale })
  const misplaced = checkPositions(inspected, positions)
  if (misplaced) throw outOfPlace(policy.sessionId, inspected, raw.length, misplaced)
  const { id, key } = await policy.keys.currentKey()
  let changed = 0
  const next = await Promise.all(
    inspected.map(async (entry, i) => {
      if (entry.kind === 'failed' && policy.onUndecryptable === 'throw') throw entry.error
      if (entry.kind !== 'item') return entry.raw
      changed++
      return sealItem(entry.item, key, id, policy.sessionId, entry.envelope.at, entry.envelope.pos ?? Math.max(0, positions[i]!))
    }),
  )
  return { changed, next }
}

/**
 * Drops the items of a branch (all of it, oldest first) written before `expiredBefore`, and
 * seals the others again at their new positions (keeping their times).
 */
export async function dropExpired(raw: unknown[], policy: OpenPolicy, expiredBefore: number): Promise<Rewrite> {
  const inspected = await inspectItems(raw, { ...policy, plaintext: 'read', expiredBefore })
  const { misplaced } = checkWindow(inspected, 0)
  if (misplaced) throw outOfPlace(policy.sessionId, inspected, raw.length, misplaced)
  const kept = inspected.filter((entry) => entry.kind !== 'expired')
  if (kept.length === raw.length) return { changed: 0, next: raw }
  const { id, key } = await policy.keys.currentKey()
  const next = await Promise.all(
    kept.map(async (entry, i) => {
      if (entry.kind === 'failed' && policy.onUndecryptable === 'throw') throw entry.error
      return entry.kind === 'item' ? sealItem(entry.item, key, id, policy.sessionId, entry.envelope.at, i) : entry.raw
    }),
  )
  return { changed: raw.length - kept.length, next }
}
