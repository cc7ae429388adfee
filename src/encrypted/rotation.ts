import { KeyStoreError } from '../crypto/errors.js'
import type { Keyring, RotationState } from '../crypto/keyring.js'

// Passes over the sessions before giving up on completing: another tab that has not yet
// heard of the rotation may still write under the old key during the first pass.
const MAX_PASSES = 5

/** A session that can re-encrypt its items with the current key: `EncryptedSession`. */
export interface ReencryptableSession {
  readonly sessionId: string
  /** Re-encrypts items under older keys with the current key, atomically; returns how many. */
  reencryptItems(): Promise<number>
}

/** Progress of {@link rotateDataKey}, one call per session done. */
export interface RotationProgress {
  sessionId: string
  /** Items re-encrypted in this session (0 when it was already done). */
  reencrypted: number
  /** Sessions done so far, this one included. */
  done: number
  /** Sessions to do in all. */
  total: number
}

/** Result of {@link rotateDataKey}. */
export interface RotationResult {
  /** The rotation that was completed. */
  rotation: RotationState
  /** Items re-encrypted, over all sessions. */
  reencrypted: number
}

/**
 * Full key rotation: a new data key, and every item of every given session re-encrypted
 * with it. Safe at every step:
 *
 * 1. `keyring.beginRotation()` stores the new key beside the old ones and makes it current
 *    (one atomic put); new items use it at once.
 * 2. Each session is re-encrypted by one atomic `replaceItems`: it holds only old-key or
 *    only new-key envelopes, never a torn mix, and the keyring can read both.
 * 3. Only when a further pass finds nothing left under an old key (another tab may have
 *    written with it meanwhile), `keyring.completeRotation()` deletes the old keys.
 *
 * If the page dies or a call fails, nothing is unreadable: call `rotateDataKey` again
 * with the same sessions; it resumes the stored rotation (same new key) and skips
 * sessions already done.
 *
 * @param keyring - the unlocked keyring every session was encrypted with
 * @param sessions - EVERY session encrypted with this keyring (`EncryptedSession`s over a
 *   `replaceItems`-capable store): a session left out keeps items under the old key,
 *   which become unreadable when the rotation completes
 * @param onProgress - called after each session
 */
export async function rotateDataKey(
  keyring: Keyring,
  sessions: Iterable<ReencryptableSession>,
  onProgress?: (progress: RotationProgress) => void,
): Promise<RotationResult> {
  const list = [...sessions]
  const rotation = await keyring.beginRotation()
  let reencrypted = 0
  let done = 0
  for (const session of list) {
    const count = await session.reencryptItems()
    reencrypted += count
    done++
    onProgress?.({ sessionId: session.sessionId, reencrypted: count, done, total: list.length })
  }
  // Check again before deleting the old keys: anything still under them (written by a tab
  // that had not yet reloaded) is re-encrypted now, never left unreadable.
  for (let pass = 1; ; pass++) {
    let late = 0
    for (const session of list) late += await session.reencryptItems()
    reencrypted += late
    if (late === 0) break
    if (pass === MAX_PASSES) {
      throw new KeyStoreError(
        'rotation_incomplete',
        'Items kept arriving under the old key (another tab still writing with it), so the old key was kept and every item stays readable. ' +
          'Call rotateDataKey again once the other tabs were reloaded.',
      )
    }
  }
  await keyring.completeRotation()
  return { rotation, reencrypted }
}
