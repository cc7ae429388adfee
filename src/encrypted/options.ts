import { InvalidArgumentError } from '../errors.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { toKeyProvider } from '../crypto/static-key.js'

/** Options of `EncryptedSession`. */
export interface EncryptedSessionOptions {
  /** A `Keyring` from a `KeyStore`, another {@link DataKeyProvider}, or an AES-GCM-256 `CryptoKey`. */
  key: DataKeyProvider | CryptoKey
  /**
   * What reads do with an item that fails to decrypt (tampered, truncated, copied from
   * another session): `'throw'` a `DecryptionError` naming it, or `'skip'` it. Items
   * under a key the keyring does not hold always throw `WrongKeyError`.
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
}

/** The options with defaults applied and the key turned into a provider. */
export interface ResolvedOptions {
  keys: DataKeyProvider
  onUndecryptable: 'throw' | 'skip'
  plaintext: 'read' | 'reject'
  ttl: number | undefined
  now: () => number
}

/**
 * Checks `EncryptedSession`'s options and applies their defaults.
 * @throws {@link InvalidArgumentError} for a key that is not an AES-GCM-256 encrypt/decrypt
 *   key, an unknown `onUndecryptable` or `plaintext`, or a `ttl` that is not a positive number.
 */
export function resolveOptions(options: EncryptedSessionOptions | undefined): ResolvedOptions {
  const { key, onUndecryptable = 'throw', plaintext = 'read', ttl, now = Date.now } = options ?? ({} as EncryptedSessionOptions)
  if (onUndecryptable !== 'throw' && onUndecryptable !== 'skip') {
    throw new InvalidArgumentError(`onUndecryptable must be 'throw' or 'skip', got ${String(onUndecryptable)}.`)
  }
  if (plaintext !== 'read' && plaintext !== 'reject') throw new InvalidArgumentError(`plaintext must be 'read' or 'reject', got ${String(plaintext)}.`)
  if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0 && !Number.isNaN(ttl))) {
    throw new InvalidArgumentError(`ttl must be a positive number of milliseconds, got ${String(ttl)}.`)
  }
  return { keys: toKeyProvider(key), onUndecryptable, plaintext, ttl, now }
}
