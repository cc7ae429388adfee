// Sealing items again for the positions a synced store moved them to (see
// ResealingSession): each must open with the key and have been sealed exactly where the
// store says it was written, so a swapped or replayed envelope is never made to fit.
import { sealItem } from '../crypto/envelope.js'
import { DecryptionError } from '../crypto/errors.js'
import type { ResealHandler } from '../session/capabilities.js'
import { inspectItems, type OpenPolicy } from './item-codec.js'
import { outOfPlace } from './positions.js'

/**
 * The {@link ResealHandler} of an `EncryptedSession`: opens each item (any key of the
 * keyring, whatever the read policy: nothing is skipped), checks its sealed position is
 * `from + i`, and seals it with the current key at `to + i`, keeping its time.
 * @throws `DecryptionError` (nothing is sealed then), `WrongKeyError`
 */
export function resealHandler(policy: () => OpenPolicy): ResealHandler {
  return async ({ items, from, to }) => {
    const strict: OpenPolicy = { ...policy(), onUndecryptable: 'throw', plaintext: 'reject', expiredBefore: -Infinity }
    delete strict.open
    const entries = await inspectItems(items, strict)
    for (const [index, entry] of entries.entries()) {
      if (entry.kind === 'failed') throw entry.error
      if (entry.kind !== 'item') throw new DecryptionError({ sessionId: strict.sessionId, index, windowSize: items.length, reason: 'malformed' })
      if (entry.envelope.pos !== from + index) throw outOfPlace(strict.sessionId, entries, items.length, { index, expected: from + index, found: entry.envelope.pos ?? -1 })
    }
    const { id, key } = await strict.keys.currentKey()
    return Promise.all(entries.map((entry, index) => (entry.kind === 'item' ? sealItem(entry.item, key, id, strict.sessionId, entry.envelope.at, to + index) : undefined)))
  }
}
