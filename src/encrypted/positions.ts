// Where each envelope says it belongs (its sealed `pos`, version 3) against where it is
// stored: what catches items swapped, replayed or removed by someone with access to the
// database but not the key. Pure functions over inspected windows.
import { DecryptionError } from '../crypto/errors.js'
import type { Inspected } from './item-codec.js'

/** An item stored at `expected` whose envelope was sealed at `found`. */
export interface Misplaced {
  index: number
  expected: number
  found: number
}

/** The sealed position of an inspected entry, when it has one worth checking. */
function sealedPosition(entry: Inspected): number | undefined {
  // Failed entries are left to the undecryptable policy: their clear fields are untrusted.
  // Expired and unopened ones count: a removed or moved item shifts what follows them.
  return entry.kind === 'item' || entry.kind === 'expired' || entry.kind === 'unopened' ? entry.envelope.pos : undefined
}

/**
 * Checks that the sealed positions of a window (the newest items of a branch, oldest
 * first) are consecutive, starting at `start` when the caller knows where the window
 * starts (0 when it reaches the start of the history). Unknown, the start is what most
 * envelopes say, so that the item named is the one out of place, not its neighbours.
 * Plain and version 1/2 items carry no position: they are skipped (they still count).
 *
 * @returns the first misplaced item, and the start the check used (`0` when nothing says)
 */
export function checkWindow(entries: readonly Inspected[], start: number | undefined): { misplaced: Misplaced | undefined; start: number } {
  let offset = start
  if (offset === undefined) {
    const votes = new Map<number, number>()
    let best = 0
    let bestVotes = 0
    entries.forEach((entry, index) => {
      const pos = sealedPosition(entry)
      if (pos === undefined) return
      const vote = (votes.get(pos - index) ?? 0) + 1
      votes.set(pos - index, vote)
      if (vote > bestVotes) [best, bestVotes] = [pos - index, vote]
    })
    offset = Math.max(0, best)
  }
  for (const [index, entry] of entries.entries()) {
    const pos = sealedPosition(entry)
    if (pos !== undefined && pos !== offset + index) return { misplaced: { index, expected: offset + index, found: pos }, start: offset }
  }
  return { misplaced: undefined, start: offset }
}

/**
 * Checks every item against the position its store gives it (`-1`: shown by no branch,
 * not checked): for rewrites and exports, which see every item of every branch at once.
 */
export function checkPositions(entries: readonly Inspected[], positions: readonly number[]): Misplaced | undefined {
  for (const [index, entry] of entries.entries()) {
    const pos = sealedPosition(entry)
    const expected = positions[index] ?? -1
    if (pos !== undefined && expected >= 0 && pos !== expected) return { index, expected, found: pos }
  }
  return undefined
}

/** The error for a misplaced item of a window of `windowSize` items. */
export function outOfPlace(sessionId: string, entries: readonly Inspected[], windowSize: number, misplaced: Misplaced): DecryptionError {
  const entry = entries[misplaced.index]
  const envelope = entry && 'envelope' in entry ? entry.envelope : undefined
  return new DecryptionError({
    sessionId,
    index: misplaced.index,
    windowSize,
    reason: 'out_of_place',
    keyId: envelope?.kid,
    writtenAt: envelope?.at,
    position: { expected: misplaced.expected, found: misplaced.found },
  })
}
