import { InvalidArgumentError } from '../errors.js'
import type { AgentItem } from '../items.js'
import { toStoredItems } from '../items.js'
import { WrongKeyError } from '../crypto/errors.js'
import { looksLikeEnvelope, parseEnvelope, sealItem } from '../crypto/envelope.js'
import { inspectItems, openItems, sealItems, type OpenPolicy } from '../crypto/item-codec.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { StaticKeyProvider } from '../crypto/static-key.js'
import { isReplaceableSession, type ReplaceableSession, type Session } from './session.js'

/** Options of {@link EncryptedSession}. */
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

/**
 * A decorator that encrypts every item before it reaches `underlying` (any
 * {@link Session}: IndexedDBSession, MemorySession, your own) and decrypts on the way out.
 * Each item is stored as an envelope (see `EncryptedEnvelope`): AES-GCM-256, a fresh random
 * IV, bound to this session id. Order, ids and times stay in clear; content does not.
 *
 * - Encryption runs before the underlying session is called, so no WebCrypto await ever
 *   sits inside an IndexedDB transaction.
 * - Before its first write it checks that the newest stored item was written with a key
 *   `key` holds, else `WrongKeyError` and nothing is written.
 * - Calls take effect in the order they were made, as on the underlying session.
 * - Implements `replaceItems` exactly when `underlying` does.
 *
 * @typeParam TItem - the item type handed in and out
 */
export class EncryptedSession<TItem = AgentItem> implements Session<TItem> {
  /** The underlying session's id; bound into every envelope's authenticated data. */
  readonly sessionId: string
  /**
   * Replaces the whole history with `items`, encrypted, atomically. Present only when the
   * underlying session implements `replaceItems` (see `isReplaceableSession`).
   */
  readonly replaceItems?: (items: TItem[]) => Promise<void>
  readonly #inner: Session<AgentItem>
  readonly #keys: DataKeyProvider
  readonly #onUndecryptable: 'throw' | 'skip'
  readonly #plaintext: 'read' | 'reject'
  readonly #ttl: number | undefined
  readonly #now: () => number
  #tail: Promise<unknown> = Promise.resolve()
  #verified = false

  /**
   * @param underlying - where envelopes are stored
   * @param options - the key, and how to treat undecryptable, plain and old items
   * @throws {@link InvalidArgumentError} for a key that is not an AES-GCM-256 encrypt/decrypt
   *   key, or a `ttl` that is not a positive number.
   */
  constructor(underlying: Session<AgentItem>, options: EncryptedSessionOptions) {
    if (typeof underlying !== 'object' || underlying === null || typeof underlying.getItems !== 'function') {
      throw new InvalidArgumentError('EncryptedSession needs an underlying Session to store envelopes in')
    }
    const { key, onUndecryptable = 'throw', plaintext = 'read', ttl, now = Date.now } = options ?? ({} as EncryptedSessionOptions)
    if (onUndecryptable !== 'throw' && onUndecryptable !== 'skip') throw new InvalidArgumentError(`onUndecryptable must be 'throw' or 'skip', got ${String(onUndecryptable)}`)
    if (plaintext !== 'read' && plaintext !== 'reject') throw new InvalidArgumentError(`plaintext must be 'read' or 'reject', got ${String(plaintext)}`)
    if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0 && !Number.isNaN(ttl))) {
      throw new InvalidArgumentError(`ttl must be a positive number of milliseconds, got ${String(ttl)}`)
    }
    this.sessionId = underlying.sessionId
    this.#inner = underlying
    this.#keys = key instanceof CryptoKey ? new StaticKeyProvider(key) : checkProvider(key)
    this.#onUndecryptable = onUndecryptable
    this.#plaintext = plaintext
    this.#ttl = ttl
    this.#now = now
    if (isReplaceableSession(underlying)) this.replaceItems = (items) => this.#replace(underlying, items)
  }

  /** Resolves to {@link EncryptedSession.sessionId}. */
  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  /**
   * The newest `limit` items, decrypted, oldest first (see {@link Session.getItems}).
   * Expired items (`ttl`) and, with `onUndecryptable: 'skip'`, undecryptable ones are left
   * out, so a window may hold fewer than `limit`.
   * @throws {@link DecryptionError} naming the first item that fails to decrypt;
   *   {@link WrongKeyError} for items under a key `key` does not hold.
   */
  async getItems(limit?: number): Promise<TItem[]> {
    await this.#tail // see every write made before this call
    return openItems<TItem>(await this.#inner.getItems(limit), this.#policy())
  }

  /**
   * Validates and encrypts `items` (one envelope each, all stamped with the current time),
   * then appends them with one `addItems` on the underlying session: all or nothing.
   * @throws {@link InvalidItemError} for an item that is not plain JSON (nothing written);
   *   {@link WrongKeyError} when the session was written with a key `key` does not hold.
   */
  async addItems(items: TItem[]): Promise<void> {
    const plain = toStoredItems(items)
    if (plain.length === 0) return
    const sealed = sealItems(plain, this.#keys, this.sessionId, this.#now())
    sealed.catch(() => undefined) // awaited in the queue
    return this.#enqueue(async () => {
      await this.#verifyKey()
      await this.#inner.addItems(await sealed)
    })
  }

  /**
   * {@inheritDoc Session.popItem}
   * The newest item is decrypted before it is removed: if it cannot be (whatever
   * `onUndecryptable` says), `DecryptionError` is thrown and it stays stored. Returns
   * `undefined`, removing nothing, when the newest item is expired.
   */
  async popItem(): Promise<TItem | undefined> {
    return this.#enqueue(async () => {
      const peeked = await this.#inner.getItems(1)
      if (peeked.length === 0) return undefined
      const [newest] = await inspectItems(peeked, this.#policy())
      if (newest === undefined || newest.kind === 'expired') return undefined
      if (newest.kind === 'failed') throw newest.error
      const popped = await this.#inner.popItem()
      if (popped === undefined) return undefined
      if (JSON.stringify(popped) === JSON.stringify(newest.raw)) return newest.item as TItem
      // Another writer (another tab) changed the end in between: open what was removed.
      try {
        const [item] = await openItems<TItem>([popped], { ...this.#policy(), onUndecryptable: 'throw', expiredBefore: -Infinity })
        return item
      } catch (error) {
        await this.#inner.addItems([popped]) // put it back where it was: at the end
        throw error
      }
    })
  }

  /** Deletes every item of the session (no key needed). */
  async clearSession(): Promise<void> {
    return this.#enqueue(() => this.#inner.clearSession())
  }

  /**
   * Encrypts, in place, the plain items stored before encryption was turned on, keeping
   * their order (their envelopes get the current time). One atomic `replaceItems`.
   * @returns how many items were encrypted
   * @throws {@link InvalidArgumentError} when the underlying session has no `replaceItems`.
   */
  async migratePlaintextItems(): Promise<number> {
    return this.#rewrite('migratePlaintextItems', async (raw) => {
      const at = this.#now()
      const { id, key } = await this.#keys.currentKey()
      let changed = 0
      const next = await Promise.all(
        raw.map(async (item) => {
          if (looksLikeEnvelope(item)) return item
          changed++
          return sealItem(item, key, id, this.sessionId, at)
        }),
      )
      return { changed, next }
    })
  }

  /**
   * Re-encrypts every item written under an older key with the current key, keeping
   * order and times, in one atomic `replaceItems`; used by key rotation and safe to run
   * again after an interruption. Undecryptable items throw `DecryptionError` (nothing
   * changed), or with `onUndecryptable: 'skip'` are kept as they are.
   * @returns how many items were re-encrypted
   */
  async reencryptItems(): Promise<number> {
    return this.#rewrite('reencryptItems', async (raw) => {
      const { id, key } = await this.#keys.currentKey()
      const inspected = await inspectItems(raw, { ...this.#policy(), plaintext: 'read', expiredBefore: -Infinity })
      let changed = 0
      const next = await Promise.all(
        inspected.map(async (entry) => {
          if (entry.kind === 'failed' && this.#onUndecryptable === 'throw') throw entry.error
          if (entry.kind !== 'item' || entry.envelope.kid === id) return entry.raw
          changed++
          return sealItem(entry.item, key, id, this.sessionId, entry.envelope.at)
        }),
      )
      return { changed, next }
    })
  }

  /**
   * Deletes the items older than `ttl`, in one atomic `replaceItems`.
   * @returns how many items were deleted
   * @throws {@link InvalidArgumentError} without a `ttl`, or when the underlying session
   *   has no `replaceItems`.
   */
  async purgeExpired(): Promise<number> {
    if (this.#ttl === undefined) throw new InvalidArgumentError('purgeExpired() needs the ttl option of EncryptedSession')
    return this.#rewrite('purgeExpired', async (raw) => {
      const expiredBefore = this.#policy().expiredBefore
      const next = raw.filter((item) => {
        const parsed = parseEnvelope(item)
        return parsed.kind !== 'envelope' || parsed.envelope.at >= expiredBefore
      })
      return { changed: raw.length - next.length, next }
    })
  }

  async #replace(inner: ReplaceableSession<AgentItem>, items: TItem[]): Promise<void> {
    const plain = toStoredItems(items)
    const sealed = sealItems(plain, this.#keys, this.sessionId, this.#now())
    sealed.catch(() => undefined)
    return this.#enqueue(async () => {
      await this.#verifyKey()
      await inner.replaceItems(await sealed)
    })
  }

  /** Reads the whole history, computes a new one (crypto here), then one replaceItems. */
  async #rewrite(what: string, compute: (raw: AgentItem[]) => Promise<{ changed: number; next: unknown[] }>): Promise<number> {
    const inner = this.#inner
    if (!isReplaceableSession(inner)) {
      throw new InvalidArgumentError(`${what}() needs an underlying session with replaceItems (IndexedDBSession and MemorySession have it), so that the rewrite is atomic`)
    }
    return this.#enqueue(async () => {
      await this.#verifyKey()
      // Infinity, not undefined: an underlying default window must not cut the history.
      const { changed, next } = await compute(await inner.getItems(Infinity))
      if (changed > 0) await inner.replaceItems(next as AgentItem[])
      return changed
    })
  }

  async #verifyKey(): Promise<void> {
    if (this.#verified) return
    const [newest] = await this.#inner.getItems(1)
    const parsed = parseEnvelope(newest)
    if (parsed.kind === 'envelope' && /^[0-9a-f]{16}$/.test(parsed.envelope.kid) && (await this.#keys.keyById(parsed.envelope.kid)) === undefined) {
      throw new WrongKeyError(
        `Session "${this.sessionId}" was encrypted with key ${parsed.envelope.kid}, which this keyring does not hold. ` +
          'Nothing was written; unlock the key store this session was written with.',
        { keyId: parsed.envelope.kid },
      )
    }
    this.#verified = true
  }

  #policy(): OpenPolicy {
    return {
      sessionId: this.sessionId,
      keys: this.#keys,
      onUndecryptable: this.#onUndecryptable,
      plaintext: this.#plaintext,
      expiredBefore: this.#ttl === undefined ? -Infinity : this.#now() - this.#ttl,
    }
  }

  /** Runs `work` after every call made before it, whether those succeeded or not. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work)
    this.#tail = run.catch(() => undefined)
    return run
  }
}

function checkProvider(key: unknown): DataKeyProvider {
  const provider = key as Partial<DataKeyProvider> | null
  if (typeof provider !== 'object' || provider === null || typeof provider.currentKey !== 'function' || typeof provider.keyById !== 'function') {
    throw new InvalidArgumentError('key must be a Keyring (from KeyStore), a DataKeyProvider, or an AES-GCM-256 CryptoKey')
  }
  return provider as DataKeyProvider
}
