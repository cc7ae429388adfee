import { InvalidArgumentError } from '../errors.js'

/**
 * Lowest PBKDF2-SHA256 iteration count accepted: OWASP's 2023 recommendation. There is
 * deliberately no way below it, in tests either.
 */
export const MIN_PBKDF2_ITERATIONS = 600_000

/** Bytes of random salt per key store (regenerated at each passphrase change). */
export const SALT_BYTES = 16

/**
 * Checks an iteration count given by the caller.
 * @throws {@link InvalidArgumentError} when it is not an integer of at least {@link MIN_PBKDF2_ITERATIONS}.
 */
export function checkIterations(iterations: unknown): number {
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < MIN_PBKDF2_ITERATIONS) {
    throw new InvalidArgumentError(
      `iterations must be an integer of at least ${MIN_PBKDF2_ITERATIONS} (OWASP 2023 for PBKDF2-SHA256), got ${String(iterations)}.`,
    )
  }
  return iterations
}

/**
 * Checks a passphrase and returns its UTF-8 bytes after Unicode NFC normalisation, so that
 * the same passphrase typed on different keyboards or systems derives the same key.
 * @throws {@link InvalidArgumentError} for a non-string or empty passphrase.
 */
export function passphraseBytes(passphrase: unknown): Uint8Array<ArrayBuffer> {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidArgumentError('passphrase must be a non-empty string.')
  }
  return new TextEncoder().encode(passphrase.normalize('NFC'))
}

/**
 * Derives the passphrase key-encryption key: PBKDF2-SHA256 → AES-KW-256, non-extractable,
 * used only to wrap and unwrap the keyring key. Takes about 0.1–0.3 s at 600,000
 * iterations, by design.
 */
export async function derivePassphraseKey(passphrase: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', passphraseBytes(passphrase), 'PBKDF2', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: checkIterations(iterations) },
    material,
    { name: 'AES-KW', length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  )
}
