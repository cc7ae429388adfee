// Turns windows of stored items (envelopes, and plain items written before encryption was
// turned on) into items, and batches of items into envelopes. EncryptedSession calls it
// before and after the underlying session, never inside one of its transactions.
import { DecryptionError, WrongKeyError, type DecryptionFailure } from '../crypto/errors.js'
import { openEnvelope, parseEnvelope, sealJson, type EncryptedEnvelope, type EnvelopeHeader, type EnvelopeParse, type ParsedEnvelope } from '../crypto/envelope.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { isUserMessage } from '../items/predicates.js'
import type { OpenedEnvelope, OpenedItems } from './opened-items.js'
import { outOfPlace, type Misplaced } from './positions.js'

/** How {@link openItems} treats what it cannot decrypt, and what it filters. */
export interface OpenPolicy {
  sessionId: string
  keys: DataKeyProvider
  onUndecryptable: 'throw' | 'skip'
  plaintext: 'read' | 'reject'
  /** Envelopes written before this time (ms) are expired and left out. */
  expiredBefore: number
  /** When given, envelopes it returns false for are not decrypted (kind `'unopened'`). */
  open?: (envelope: EnvelopeHeader) => boolean
  /** Envelopes opened or sealed before, read from memory instead of decrypted again. */
  opened?: OpenedItems
}

/** One stored item after {@link inspectItems}. */
export type Inspected =
  | { kind: 'plain'; raw: unknown; item: unknown }
  | { kind: 'item'; raw: unknown; item: unknown; envelope: EnvelopeHeader }
  | { kind: 'expired'; raw: unknown; envelope: EnvelopeHeader }
  | { kind: 'unopened'; raw: unknown; envelope: EnvelopeHeader }
  | { kind: 'failed'; raw: unknown; error: DecryptionError }

/**
 * Decrypts a window of stored items, in parallel, and classifies each. Never throws a
 * {@link DecryptionError} (failures are returned), but throws {@link WrongKeyError} when
 * an envelope names a key `keys` does not hold: whatever the policy, a wrong key must not
 * look like an empty or shorter conversation.
 */
export async function inspectItems(raw: readonly unknown[], policy: OpenPolicy): Promise<Inspected[]> {
  const known = raw.map((item) => policy.opened?.find(item))
  const parsed = raw.map((item, index): EnvelopeParse | { kind: 'envelope'; envelope: EnvelopeHeader } => {
    const envelope = known[index]?.envelope
    return envelope ? { kind: 'envelope', envelope } : parseEnvelope(item)
  })
  const keys = new Map<string, CryptoKey>()
  for (const entry of parsed) {
    if (entry.kind !== 'envelope' || keys.has(entry.envelope.kid)) continue
    if (entry.envelope.at < policy.expiredBefore || policy.open?.(entry.envelope) === false) continue
    const key = await policy.keys.keyById(entry.envelope.kid)
    if (key === undefined) {
      throw new WrongKeyError(
        `Session "${policy.sessionId}" holds items encrypted with key ${entry.envelope.kid}, which this keyring does not hold: ` +
          'it was written with another passphrase, key store or CryptoKey. Nothing was read or written; unlock the key store it was written with.',
        { keyId: entry.envelope.kid },
      )
    }
    keys.set(entry.envelope.kid, key)
  }
  const fail = (index: number, reason: DecryptionFailure, kid?: string, at?: number, cause?: unknown): Inspected => ({
    kind: 'failed',
    raw: raw[index],
    error: new DecryptionError({ sessionId: policy.sessionId, index, windowSize: raw.length, reason, keyId: kid, writtenAt: at, cause }),
  })
  const openedNow: Array<OpenedEnvelope | undefined> = []
  const inspected = await Promise.all(
    parsed.map(async (entry, index): Promise<Inspected> => {
      const stored = raw[index]
      switch (entry.kind) {
        case 'plain':
          return policy.plaintext === 'read' ? { kind: 'plain', raw: stored, item: structuredClone(stored) } : fail(index, 'plaintext_rejected')
        case 'malformed':
        case 'unsupported_version':
          return fail(index, entry.kind, entry.kid, entry.at)
      }
      const { envelope } = entry
      if (envelope.at < policy.expiredBefore) return { kind: 'expired', raw: stored, envelope }
      if (policy.open?.(envelope) === false) return { kind: 'unopened', raw: stored, envelope }
      const key = keys.get(envelope.kid)
      if (key === undefined) return fail(index, 'malformed', envelope.kid, envelope.at)
      const before = known[index]
      try {
        const { item, json } = before?.key === key ? { item: JSON.parse(before.json) as unknown, json: before.json } : await openEnvelope(decodable(envelope, stored), key, policy.sessionId)
        openedNow[index] = { envelope, key, json }
        return { kind: 'item', raw: stored, item, envelope }
      } catch (error) {
        return fail(index, 'authentication', envelope.kid, envelope.at, error)
      }
    }),
  )
  rememberNewest(policy.opened, raw, openedNow)
  return inspected
}

/** `envelope` with its IV and ciphertext: decoded again from `stored` when it came from memory without them. */
function decodable(envelope: EnvelopeHeader | ParsedEnvelope, stored: unknown): ParsedEnvelope {
  if ('ct' in envelope) return envelope
  // It parses: every field it is parsed from matched the kept one.
  return (parseEnvelope(stored) as { envelope: ParsedEnvelope }).envelope
}

/** Keeps the newest opened envelopes of a window, in window order (oldest first). */
function rememberNewest(opened: OpenedItems | undefined, raw: readonly unknown[], openedNow: ReadonlyArray<OpenedEnvelope | undefined>): void {
  if (opened === undefined) return
  for (let index = Math.max(0, raw.length - opened.maxItems); index < raw.length; index++) {
    const entry = openedNow[index]
    if (entry !== undefined) opened.remember(raw[index] as object, entry)
  }
}

/**
 * The items of an inspected window to hand back: expired ones left out, a misplaced item
 * thrown whatever the policy (skipping cannot restore the order), then failures thrown
 * (the first one) or skipped as the policy says.
 * @throws {@link DecryptionError}
 */
export function pickItems<TItem>(entries: readonly Inspected[], policy: OpenPolicy, misplaced?: Misplaced): TItem[] {
  if (misplaced) throw outOfPlace(policy.sessionId, entries, entries.length, misplaced)
  const out: TItem[] = []
  for (const entry of entries) {
    if (entry.kind === 'failed') {
      if (policy.onUndecryptable === 'throw') throw entry.error
    } else if (entry.kind === 'item' || entry.kind === 'plain') {
      out.push(entry.item as TItem)
    }
  }
  return out
}

/**
 * The items of a window whose positions are not checked (a single item), as {@link pickItems}.
 * @throws {@link DecryptionError}, {@link WrongKeyError}
 */
export async function openItems<TItem>(raw: readonly unknown[], policy: OpenPolicy): Promise<TItem[]> {
  return pickItems<TItem>(await inspectItems(raw, policy), policy)
}

/**
 * Encrypts a batch (already validated plain JSON) with the current key, in parallel, the
 * first item sealed at position `start`, the next at `start + 1`, and so on; remembers them
 * in `policy.opened`, so that reading them back decrypts nothing.
 */
export async function sealItems(items: readonly unknown[], policy: Pick<OpenPolicy, 'keys' | 'sessionId' | 'opened'>, at: number, start: number): Promise<EncryptedEnvelope[]> {
  const { id, key } = await policy.keys.currentKey()
  const sealed = await Promise.all(
    items.map(async (item, i) => {
      const json = JSON.stringify(item)
      return { json, ...(await sealJson(json, isUserMessage(item), key, id, policy.sessionId, at, start + i)) }
    }),
  )
  rememberNewest(
    policy.opened,
    sealed.map(({ stored }) => stored),
    sealed.map(({ envelope, json }) => ({ envelope, key, json })),
  )
  return sealed.map(({ stored }) => stored)
}
