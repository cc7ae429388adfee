import { InvalidArgumentError } from '../errors.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { toKeyProvider } from '../crypto/static-key.js'

/** Options of `EncryptedSession`. */
export interface EncryptedSessionOptions {
  /** A `Keyring` from a `KeyStore`, another {@link DataKeyProvider}, or an AES-GCM-256 `CryptoKey`. */
  key: DataKeyProvider | CryptoKey
  /**
   * What reads do with an item that fails to decrypt (tampered, truncated, copied from
   * another session): `'throw'` a `DecryptionError` naming it, or `'skip'` it. Skipping is
   * for items that cannot be opened: items out of place (swapped, replayed, removed;
   * `reason: 'out_of_place'`) always throw, since leaving one out cannot restore the
   * order, and items under a key the keyring does not hold always throw `WrongKeyError`.
   * @default 'throw'
   */
  onUndecryptable?: 'throw' | 'skip'
  /**
   * Items older than this many milliseconds are not returned; `purgeExpired()` deletes
   * them. Plain (never encrypted) items carry no time and never expire.
   * @default undefined (items never expire)
   */
  ttl?: number
  /**
   * Plain items stored before encryption was turned on: `'read'` them as they are, or
   * treat them as undecryptable (`'reject'`, once `migratePlaintextItems()` ran, so that
   * nobody can slip a plain item into an encrypted conversation).
   * @default 'read'
   */
  plaintext?: 'read' | 'reject'
  /** The clock for `ttl` and envelope times, ms since epoch. @default Date.now */
  now?: () => number
  /**
   * The session title (`setTitle`) and branch names (`createBranchFromTurn`): `'sealed'`
   * with the session's key, like items (a chat title is often the first message), or
   * stored in `'clear'` so that `listSessions` shows them without the key. Sealed ones are
   * always opened on the way out, whatever this says.
   * @default 'sealed'
   */
  titles?: 'sealed' | 'clear'
  /**
   * How many decrypted items to keep in memory, so that reading them again (each turn reads
   * the window the turn before it read or wrote) decrypts only what is new. An item is
   * served from memory only when its stored envelope is unchanged in every field and the
   * key is the same, so it is exactly what decrypting would give; changed envelopes are
   * decrypted, and refused when tampered with, as without it. Kept: the newest items
   * read or written, at most this many and at most 8 Mi characters of JSON. The plaintext
   * lives as long as this session object; drop the session (and its keyring) to lock.
   * `0` keeps nothing: every read decrypts.
   * @default 1000
   */
  decryptedCacheSize?: number
}

/** The options with defaults applied and the key turned into a provider. */
export interface ResolvedOptions {
  keys: DataKeyProvider
  onUndecryptable: 'throw' | 'skip'
  plaintext: 'read' | 'reject'
  ttl: number | undefined
  now: () => number
  titles: 'sealed' | 'clear'
  decryptedCacheSize: number
}

/**
 * Checks `EncryptedSession`'s options and applies their defaults.
 * @throws {@link InvalidArgumentError} for a key that is not an AES-GCM-256 encrypt/decrypt
 *   key, an unknown `onUndecryptable`, `plaintext` or `titles`, a `ttl` that is not a positive
 *   number, or a `decryptedCacheSize` that is not a whole number ≥ 0.
 */
export function resolveOptions(options: EncryptedSessionOptions | undefined): ResolvedOptions {
  const { key, onUndecryptable = 'throw', plaintext = 'read', ttl, now = Date.now, titles = 'sealed', decryptedCacheSize = 1000 } = options ?? ({} as EncryptedSessionOptions)
  if (onUndecryptable !== 'throw' && onUndecryptable !== 'skip') {
    throw new InvalidArgumentError(`onUndecryptable must be 'throw' or 'skip', got ${String(onUndecryptable)}.`)
  }
  if (plaintext !== 'read' && plaintext !== 'reject') throw new InvalidArgumentError(`plaintext must be 'read' or 'reject', got ${String(plaintext)}.`)
  if (titles !== 'sealed' && titles !== 'clear') throw new InvalidArgumentError(`titles must be 'sealed' or 'clear', got ${String(titles)}.`)
  if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0 && !Number.isNaN(ttl))) {
    throw new InvalidArgumentError(`ttl must be a positive number of milliseconds, got ${String(ttl)}.`)
  }
  if (!(Number.isSafeInteger(decryptedCacheSize) && decryptedCacheSize >= 0)) {
    throw new InvalidArgumentError(`decryptedCacheSize must be a whole number of items, 0 or more, got ${String(decryptedCacheSize)}.`)
  }
  return { keys: toKeyProvider(key), onUndecryptable, plaintext, ttl, now, titles, decryptedCacheSize }
}
