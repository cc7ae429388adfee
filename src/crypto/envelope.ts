// The stored form of an encrypted item. It is itself a valid item (a string `type`, plain
// JSON), so any Session can store it without knowing about encryption.
import { InvalidArgumentError } from '../errors.js'
import { isUserMessage } from '../items/predicates.js'
import { base64ToBytes, bytesToBase64, randomBytes } from './base64.js'

/** Current envelope format version: what {@link sealItem} writes. Versions 1 and 2 still open. */
export const ENVELOPE_VERSION = 3

/**
 * An encrypted item as sessions store it (format version 3):
 *
 * ```json
 * { "type": "encrypted", "v": 3, "kid": "3f9a0c4e5b6d7e81", "at": 1717000000000, "pos": 12,
 *   "role": "user", "iv": "<12 bytes, base64>", "ct": "<AES-GCM ciphertext + 16-byte tag, base64>" }
 * ```
 *
 * - `ct` is AES-GCM-256 over the UTF-8 JSON of the item, with a fresh random 96-bit `iv`.
 * - The additional authenticated data is the UTF-8 JSON of
 *   `["idb-agents/envelope", v, sessionId, kid, at, role, pos]` (`role` is `"user"` or
 *   `null`; version 2 had no `pos`, version 1 neither `role` nor `pos`): an envelope copied
 *   into another session, or with its key id, time, role marker or position changed, added
 *   or removed, fails to decrypt.
 * - `pos` is the item's position in its branch when it was written (0-based; an item sits
 *   at the same position in every branch that shows it, since branches share prefixes).
 *   Reads check that the positions of a window are consecutive, and start at 0 when the
 *   window starts the history: a swapped, duplicated (replayed) or removed item is a
 *   `DecryptionError` (`out_of_place`). Not detected: the newest items removed (that looks
 *   like `popItem`), and the whole database rolled back to an earlier consistent state.
 * - What is in clear, and why (the whole list for an encrypted session is in
 *   `EncryptedSession`'s documentation):
 *   - the session id, branch ids and the order, kept by the underlying session;
 *   - `kid` (which data key; see `dataKeyId`), `at` (ms since epoch, used by `ttl`) and `pos`;
 *   - `role: "user"`, present exactly on envelopes of user messages (absent on every other
 *     item). A turn starts at each user message, and stores number turns when they write
 *     (IndexedDBSession's per-item `turn`, branching from a turn, per-turn usage, import),
 *     so they must see where turns start without the key. It reveals only "this item is a
 *     user message", hence how many turns there are and how many items each holds.
 * - Item content, type and every other role (assistant, system, tool calls) are not in
 *   clear; the ciphertext length reveals the item's length.
 *
 * Versions 1 and 2 (no `pos`) still open, without a position check; `EncryptedSession`
 * upgrades them in place on its first write (and `reencryptItems` does). Version 1 user
 * messages do not start turns in the store until then.
 */
export type EncryptedEnvelope = {
  type: 'encrypted'
  v: number
  kid: string
  at: number
  /** Position in the branch when written (version 3). */
  pos?: number
  /** `'user'` on envelopes of user messages (version 2 and later); absent otherwise. */
  role?: 'user'
  iv: string
  ct: string
}

/** The clear fields of an envelope, checked: what is known of an item without opening it. */
export interface EnvelopeHeader {
  /** Format version: 1, 2 or 3. */
  v: number
  kid: string
  at: number
  /** Position the item was sealed at (version 3); `undefined` for older versions. */
  pos: number | undefined
  /** Whether the envelope says, in clear, that it holds a user message (version 2). */
  userTurn: boolean
}

/** An envelope whose fields were checked, with its binary parts decoded. */
export interface ParsedEnvelope extends EnvelopeHeader {
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
  const v = item.v
  if ((v !== 1 && v !== 2 && v !== 3) || kid === undefined || at === undefined) return { kind: 'malformed', kid, at }
  // Version 1 never had a role; later versions have `role: 'user'` or none.
  if (v === 1 ? 'role' in item : 'role' in item && item.role !== 'user') return { kind: 'malformed', kid, at }
  // Only version 3 has a position, and it must have one.
  const pos = item.pos
  if (v === 3 ? !(typeof pos === 'number' && Number.isSafeInteger(pos) && pos >= 0) : 'pos' in item) return { kind: 'malformed', kid, at }
  const iv = typeof item.iv === 'string' ? base64ToBytes(item.iv) : undefined
  const ct = typeof item.ct === 'string' ? base64ToBytes(item.ct) : undefined
  if (iv === undefined || iv.length !== IV_BYTES || ct === undefined || ct.length < TAG_BYTES) {
    return { kind: 'malformed', kid, at }
  }
  const position = v === 3 ? (pos as number) : undefined
  return { kind: 'envelope', envelope: { v, kid, at, pos: position, userTurn: v >= 2 && item.role === 'user', iv, ct } }
}

/** Why an envelope with these clear fields could not be parsed back, or `undefined`. */
function unsealable(kid: unknown, at: unknown, pos: unknown): string | undefined {
  if (typeof kid !== 'string') return `the key provider's current key id is ${typeof kid}, not a string`
  if (typeof at !== 'number' || !Number.isFinite(at)) return `the time is ${String(at)}, not a finite number of ms (check the now option)`
  if (!(typeof pos === 'number' && Number.isSafeInteger(pos) && pos >= 0)) return `its position is ${String(pos)}, not a whole number ≥ 0 (the underlying session's item count)`
  return undefined
}

function additionalData(v: number, sessionId: string, kid: string, at: number, userTurn: boolean, pos: number | undefined): Uint8Array<ArrayBuffer> {
  const fields: unknown[] = ['idb-agents/envelope', v, sessionId, kid, at]
  if (v >= 2) fields.push(userTurn ? 'user' : null)
  if (v >= 3) fields.push(pos)
  return encoder.encode(JSON.stringify(fields))
}

/**
 * Encrypts one plain-JSON item for `sessionId` with data key `key` (id `kid`), in the
 * current format ({@link ENVELOPE_VERSION}); a user message's envelope carries `role: 'user'`.
 * @param at - the time written into the envelope (ms since epoch)
 * @param pos - the position the item will have in its branch (0-based)
 */
export async function sealItem(item: unknown, key: CryptoKey, kid: string, sessionId: string, at: number, pos: number): Promise<EncryptedEnvelope> {
  return (await sealJson(JSON.stringify(item), isUserMessage(item), key, kid, sessionId, at, pos)).stored
}

/**
 * As {@link sealItem}, for an item already turned into `json` (`userTurn`: whether it is a
 * user message). Returns the envelope to store and the same envelope parsed, as
 * {@link parseEnvelope} would return it.
 * @throws {@link InvalidArgumentError} when `kid`, `at` or `pos` is not what an envelope may
 *   hold: it would be written, and no reader could open it.
 */
export async function sealJson(
  json: string,
  userTurn: boolean,
  key: CryptoKey,
  kid: string,
  sessionId: string,
  at: number,
  pos: number,
): Promise<{ stored: EncryptedEnvelope; envelope: ParsedEnvelope }> {
  const problem = unsealable(kid, at, pos)
  if (problem !== undefined) throw new InvalidArgumentError(`Cannot encrypt an item for session "${sessionId}": ${problem}. Nothing was written.`)
  const iv = randomBytes(IV_BYTES)
  const additional = additionalData(ENVELOPE_VERSION, sessionId, kid, at, userTurn, pos)
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additional }, key, encoder.encode(json)))
  const stored: EncryptedEnvelope = { type: 'encrypted', v: ENVELOPE_VERSION, kid, at, pos, iv: bytesToBase64(iv), ct: bytesToBase64(ct) }
  if (userTurn) stored.role = 'user'
  return { stored, envelope: { v: ENVELOPE_VERSION, kid, at, pos, userTurn, iv, ct } }
}

/**
 * Decrypts an envelope of `sessionId` (format 1, 2 or 3) into its item and the item's JSON.
 * Rejects (an OperationError from WebCrypto, or a SyntaxError/TypeError for content that is
 * not JSON) when it fails authentication, and with a TypeError when an envelope's clear role
 * marker disagrees with the item inside (only a writer holding the key could make one).
 * Checks no position: whether `pos` fits where the envelope is stored is for the reader of
 * the window.
 */
export async function openEnvelope(envelope: ParsedEnvelope, key: CryptoKey, sessionId: string): Promise<{ item: unknown; json: string }> {
  const { v, iv, ct, kid, at, userTurn, pos } = envelope
  const additional = additionalData(v, sessionId, kid, at, userTurn, pos)
  const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: additional }, key, ct)
  const json = decoder.decode(plaintext)
  const item = JSON.parse(json) as unknown
  if (v >= 2 && isUserMessage(item) !== userTurn) throw new TypeError('the envelope\'s role marker does not match the item it holds')
  return { item, json }
}
