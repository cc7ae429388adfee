// The key hierarchy, from the bottom up:
//
//   data key (AES-GCM-256)      encrypts items; one per rotation generation; id = fingerprint
//     wrapped by
//   keyring key (AES-KW-256)    one per key store; never changes, so rotation needs no passphrase
//     wrapped by each of
//   key-encryption keys         PBKDF2(passphrase) and, optionally, the device key
//
// Changing the passphrase re-wraps only the keyring key (32 bytes), whatever the history size.
// Every key held in memory for use is non-extractable; an extractable copy exists only for
// the instant it takes to wrap it.
import { bytesToBase64, bytesToHex, base64ToBytes } from './base64.js'

const AES_GCM = { name: 'AES-GCM', length: 256 } as const
const AES_KW = { name: 'AES-KW', length: 256 } as const

/** Generates a fresh data key. Extractable only so that it can be wrapped right away. */
export async function generateDataKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey(AES_GCM, true, ['encrypt', 'decrypt'])
}

/** Generates a fresh keyring key. Extractable only so that it can be wrapped right away. */
export async function generateKeyringKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey(AES_KW, true, ['wrapKey', 'unwrapKey'])
}

/**
 * Generates the device key for "remember this device": non-extractable, so page scripts
 * can use it but never read its bytes. The browser still keeps it in its profile on disk.
 */
export async function generateDeviceKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey(AES_KW, false, ['wrapKey', 'unwrapKey'])
}

/** Wraps `key` (which must be extractable) with the AES-KW key `wrapping`; base64. */
export async function wrapKey(key: CryptoKey, wrapping: CryptoKey): Promise<string> {
  const wrapped = await crypto.subtle.wrapKey('raw', key, wrapping, 'AES-KW')
  return bytesToBase64(new Uint8Array(wrapped))
}

/**
 * Unwraps a data key. Rejects (OperationError) when `wrapping` is not the key that
 * wrapped it: AES-KW carries an integrity check, so a wrong key never yields garbage.
 */
export async function unwrapDataKey(wrapped: string, wrapping: CryptoKey, extractable = false): Promise<CryptoKey> {
  return crypto.subtle.unwrapKey('raw', decode(wrapped), wrapping, 'AES-KW', AES_GCM, extractable, ['encrypt', 'decrypt'])
}

/** Unwraps the keyring key; rejects like {@link unwrapDataKey} for a wrong `wrapping` key. */
export async function unwrapKeyringKey(wrapped: string, wrapping: CryptoKey, extractable = false): Promise<CryptoKey> {
  return crypto.subtle.unwrapKey('raw', decode(wrapped), wrapping, 'AES-KW', AES_KW, extractable, ['wrapKey', 'unwrapKey'])
}

/**
 * Makes a non-extractable copy of an extractable data key by wrapping and unwrapping it
 * under `via`, so the extractable original can be dropped.
 */
export async function lockDataKey(key: CryptoKey, via: CryptoKey): Promise<{ key: CryptoKey; wrapped: string }> {
  const wrapped = await wrapKey(key, via)
  return { key: await unwrapDataKey(wrapped, via), wrapped }
}

// Fixed inputs of the fingerprint. This IV is reserved: envelopes use random 96-bit IVs, and
// one equal to it has probability 2^-96. The fingerprint always encrypts the same empty
// message under it, so repeating it never leaks what GCM nonce reuse leaks (that needs two
// different messages under one nonce).
const FINGERPRINT_IV = new Uint8Array(12).fill(0xff)
const FINGERPRINT_AAD = new TextEncoder().encode('idb-agents/key-id/v1')

/**
 * The id of an AES-GCM data key: 16 hex digits derived from the key itself (the GCM tag
 * of an empty message under a reserved IV). Works for non-extractable keys, and lets a
 * session tell "written with another key" ({@link WrongKeyError}) from "tampered".
 */
export async function dataKeyId(key: CryptoKey): Promise<string> {
  const tag = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: FINGERPRINT_IV, additionalData: FINGERPRINT_AAD }, key, new Uint8Array(0))
  return bytesToHex(new Uint8Array(tag, 0, 8))
}

/** Checks that `key` is a usable AES-GCM-256 data key; returns a problem or `undefined`. */
export function dataKeyProblem(key: unknown): string | undefined {
  if (!(key instanceof CryptoKey)) return 'it is not a CryptoKey'
  const algorithm = key.algorithm as Partial<AesKeyAlgorithm>
  if (algorithm.name !== 'AES-GCM' || algorithm.length !== 256) return `it is a ${algorithm.name ?? '?'} key, not AES-GCM-256`
  if (!key.usages.includes('encrypt') || !key.usages.includes('decrypt')) return 'it needs both the "encrypt" and "decrypt" usages'
  return undefined
}

function decode(text: string): Uint8Array<ArrayBuffer> {
  const bytes = base64ToBytes(text)
  // An invalid string cannot be a wrapped key; fail like a failed unwrap so callers map it.
  if (bytes === undefined) throw new DOMException('wrapped key is not base64', 'DataError')
  return bytes
}
