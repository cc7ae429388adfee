// A bounded memory of the envelopes a session opened or sealed, and the JSON inside them, so
// that reading a window again (every turn reads the one before) costs no WebCrypto round trip
// per item. A hit needs the stored envelope to be the same in every field that parsing and
// decryption read, and the same CryptoKey: AES-GCM decryption is a function of exactly those,
// so a hit returns what decrypting would. A changed envelope is a miss, decrypted (and, when
// tampered with, refused) as before.
import type { EnvelopeHeader } from '../crypto/envelope.js'

/** The stored fields of an envelope that parsing and decryption read. */
const FIELDS = ['type', 'v', 'kid', 'at', 'pos', 'role', 'iv', 'ct'] as const

/** JSON characters kept at most, whatever the item count (each item's stored ciphertext, base64, is kept beside it). */
export const OPENED_ITEMS_MAX_CHARS = 8 * 1024 * 1024

/** An envelope this session opened or sealed: what a read of the same envelope returns. */
export interface OpenedEnvelope {
  /** Its clear fields (not its IV and ciphertext: an item served from here is not decrypted). */
  envelope: EnvelopeHeader
  key: CryptoKey
  /** The item's JSON, parsed again for each read (callers may change what they get). */
  json: string
}

interface Entry extends OpenedEnvelope {
  stored: Partial<Record<(typeof FIELDS)[number], unknown>>
}

function storedFields(stored: Record<string, unknown>): Entry['stored'] {
  const fields: Entry['stored'] = {}
  for (const field of FIELDS) if (field in stored) fields[field] = stored[field]
  return fields
}

function sameFields(kept: Entry['stored'], stored: Record<string, unknown>): boolean {
  return FIELDS.every((field) => field in kept === field in stored && kept[field] === stored[field])
}

/** The newest `maxItems` opened envelopes (by IV), least recently used dropped first. */
export class OpenedItems {
  readonly #entries = new Map<string, Entry>()
  #chars = 0

  /** @param maxItems - entries kept at most; 0 keeps none */
  constructor(readonly maxItems: number) {}

  /**
   * What `stored` opened to, when it is an envelope kept here, unchanged in every field. The
   * caller uses it only when the key it would decrypt with is the entry's `key`.
   */
  find(stored: unknown): OpenedEnvelope | undefined {
    if (typeof stored !== 'object' || stored === null) return undefined
    const record = stored as Record<string, unknown>
    const entry = typeof record.iv === 'string' ? this.#entries.get(record.iv) : undefined
    return entry !== undefined && sameFields(entry.stored, record) ? entry : undefined
  }

  /** Keeps (or marks as just used) what the envelope `stored` opens to. */
  remember(stored: object, opened: OpenedEnvelope): void {
    const record = stored as Record<string, unknown>
    if (this.maxItems === 0 || typeof record.iv !== 'string' || opened.json.length > OPENED_ITEMS_MAX_CHARS) return
    this.#forget(record.iv)
    const { v, kid, at, pos, userTurn } = opened.envelope
    this.#entries.set(record.iv, { envelope: { v, kid, at, pos, userTurn }, key: opened.key, json: opened.json, stored: storedFields(record) })
    this.#chars += opened.json.length
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxItems && this.#chars <= OPENED_ITEMS_MAX_CHARS) break
      this.#forget(oldest)
    }
  }

  #forget(iv: string): void {
    const entry = this.#entries.get(iv)
    if (entry === undefined) return
    this.#entries.delete(iv)
    this.#chars -= entry.json.length
  }
}
