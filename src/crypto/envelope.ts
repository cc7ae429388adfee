// The stored form of an encrypted item. It is itself a valid item (a string `type`, plain
// JSON), so any Session can store it without knowing about encryption.
import { base64ToBytes, bytesToBase64, randomBytes } from './base64.js'

/** Current envelope format version. */
export const ENVELOPE_VERSION = 1

/**
 * An encrypted item as sessions store it (format version 1):
 *
 * ```json
 * { "type": "encrypted", "v": 1, "kid": "3f9a0c4e5b6d7e81", "at": 1717000000000,
 *   "iv": "<12 bytes, base64>", "ct": "<AES-GCM ciphertext + 16-byte tag, base64>" }
 * ```
 *
 * - `ct` is AES-GCM-256 over the UTF-8 JSON of the item, with a fresh random 96-bit `iv`.
 * - The additional authenticated data is the UTF-8 JSON of
 *   `["idb-agents/envelope", v, sessionId, kid, at]`: an envelope copied into another
 *   session, or with its key id or time changed, fails to decrypt.
 * - `kid` (which data key; see `dataKeyId`) and `at` (ms since epoch, used by `ttl`) are in
 *   clear, as are the order and the session id kept by the underlying session. Item content,
 *   type and role are not; the ciphertext length reveals the item's length.
 */
export type EncryptedEnvelope = {
  type: 'encrypted'
  v: number
  kid: string
  at: number
  iv: string
  ct: string
}

/** An envelope whose fields were checked, with its binary parts decoded. */
export interface ParsedEnvelope {
  kid: string
  at: number
  iv: Uint8Array<ArrayBuffer>
  ct: Uint8Array<ArrayBuffer>
}

/** Result of {@link parseEnvelope}. */
export type EnvelopeParse =
  | { kind: 'plain' }
  | { kind: 'envelope'; envelope: ParsedEnvelope }
  | { kind: 'malformed'; kid?: string | undefined; at?: number | undefined }
  | { kind: 'unsupported_version'; kid?: string | undefined; at?: number | undefined }

const IV_BYTES = 12
const TAG_BYTES = 16
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** True when `item` claims to be an envelope (`type: 'encrypted'`), valid or not. */
export function looksLikeEnvelope(item: unknown): item is Record<string, unknown> {
  return typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'encrypted'
}

/** Classifies a stored item: a plain (never encrypted) item, a valid envelope, or a broken one. */
export function parseEnvelope(item: unknown): EnvelopeParse {
  if (!looksLikeEnvelope(item)) return { kind: 'plain' }
  const kid = typeof item.kid === 'string' ? item.kid : undefined
  const at = typeof item.at === 'number' && Number.isFinite(item.at) ? item.at : undefined
  if (typeof item.v === 'number' && item.v > ENVELOPE_VERSION) return { kind: 'unsupported_version', kid, at }
  if (item.v !== ENVELOPE_VERSION || kid === undefined || at === undefined) return { kind: 'malformed', kid, at }
  const iv = typeof item.iv === 'string' ? base64ToBytes(item.iv) : undefined
  const ct = typeof item.ct === 'string' ? base64ToBytes(item.ct) : undefined
  if (iv === undefined || iv.length !== IV_BYTES || ct === undefined || ct.length < TAG_BYTES) {
    return { kind: 'malformed', kid, at }
  }
  return { kind: 'envelope', envelope: { kid, at, iv, ct } }
}

function additionalData(sessionId: string, kid: string, at: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(['idb-agents/envelope', ENVELOPE_VERSION, sessionId, kid, at]))
}

/**
 * Encrypts one plain-JSON item for `sessionId` with data key `key` (id `kid`).
 * @param at - the time written into the envelope (ms since epoch)
 */
export async function sealItem(item: unknown, key: CryptoKey, kid: string, sessionId: string, at: number): Promise<EncryptedEnvelope> {
  const iv = randomBytes(IV_BYTES)
  const plaintext = encoder.encode(JSON.stringify(item))
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(sessionId, kid, at) }, key, plaintext)
  return { type: 'encrypted', v: ENVELOPE_VERSION, kid, at, iv: bytesToBase64(iv), ct: bytesToBase64(new Uint8Array(ct)) }
}

/**
 * Decrypts an envelope of `sessionId`. Rejects (an OperationError from WebCrypto, or a
 * SyntaxError/TypeError for content that is not JSON) when it fails authentication.
 */
export async function openEnvelope(envelope: ParsedEnvelope, key: CryptoKey, sessionId: string): Promise<unknown> {
  const { iv, ct, kid, at } = envelope
  const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: additionalData(sessionId, kid, at) }, key, ct)
  return JSON.parse(decoder.decode(plaintext)) as unknown
}
