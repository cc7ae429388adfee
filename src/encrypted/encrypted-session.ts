import { InvalidArgumentError } from '../errors.js'
import { ENVELOPE_VERSION, looksLikeEnvelope, parseEnvelope, sealItem } from '../crypto/envelope.js'
import { WrongKeyError } from '../crypto/errors.js'
import { exportSession, type SessionExport } from '../idb/export.js'
import type { DatabaseOptions } from '../idb/database.js'
import { sameJson } from '../items/json.js'
import type { AgentItem } from '../items/types.js'
import { asStoredBatch, toStoredItems } from '../items/validate.js'
import {
  isBranchingSession,
  isCountingSession,
  isIndexedDBBackedSession,
  isReplaceableSession,
  isUsageTrackingSession,
  type BranchInfo,
  type BranchingSession,
  type ReplaceableSession,
  type UsageTrackingSession,
} from '../session/capabilities.js'
import type { Session } from '../session/session.js'
import type { TimedItem, TurnInfo, TurnMatch } from '../session/turns.js'
import type { RunUsageSource, UsageTotals } from '../session/usage.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { decryptTurns, matchTurns } from './decrypted-turns.js'
import { decryptSessionExport } from './export-codec.js'
import { inspectItems, openItems, sealItems, type OpenPolicy } from './item-codec.js'
import { resolveOptions, type EncryptedSessionOptions, type ResolvedOptions } from './options.js'
import { rewriteHistory } from './rewrite-history.js'

/**
 * What an {@link EncryptedSession} over `TInner` offers besides {@link Session}: branching,
 * usage tracking and `replaceItems` exactly when `TInner` has them. The type
 * {@link EncryptedSession.wrap} returns.
 */
export type EncryptedCapabilities<TInner, TItem> = (TInner extends BranchingSession<AgentItem> ? BranchingSession<TItem> : unknown) &
  (TInner extends UsageTrackingSession<AgentItem> ? UsageTrackingSession<TItem> : unknown) &
  (TInner extends ReplaceableSession<AgentItem> ? ReplaceableSession<TItem> : unknown)

/**
 * A decorator that encrypts every item before it reaches `underlying` (any
 * {@link Session}: IndexedDBSession, MemorySession, your own) and decrypts on the way out.
 * Each item is stored as an envelope (see `EncryptedEnvelope`): AES-GCM-256, a fresh random
 * IV, bound to this session id. Order, ids and times stay in clear; content does not,
 * except that a user message's envelope says in clear that it is one (`role: 'user'`),
 * so that the store can number turns.
 *
 * Branches, turns, usage and search (see {@link BranchingSession},
 * {@link UsageTrackingSession}) are offered exactly when `underlying` offers them; check
 * with `isBranchingSession` / `isUsageTrackingSession`, or build the session with
 * {@link EncryptedSession.wrap} to have them in its type. Branch and usage calls pass
 * through (they need no content); `getTurns` and `findTurns` decrypt the whole current
 * branch. Export with `exportSession` (ciphertext) or {@link EncryptedSession.exportPlaintext}.
 *
 * - Encryption runs before the underlying session is called, so no WebCrypto await ever
 *   sits inside an IndexedDB transaction.
 * - Before its first write it checks that the newest stored item was written with a key
 *   `key` holds, else `WrongKeyError` and nothing is written.
 * - Calls take effect in the order they were made, as on the underlying session.
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
  /**
   * The turns of the current branch (see {@link BranchingSession.getTurns}). Turn numbers,
   * item counts, times and usage are the underlying session's; `userText` is decrypted.
   * Decrypts every item of the branch (one read of the whole branch plus one AES-GCM
   * decryption per item); expired items (`ttl`) show no text.
   * @throws {@link DecryptionError}, {@link WrongKeyError} as `getItems()`.
   */
  readonly getTurns?: () => Promise<TurnInfo[]>
  /**
   * Every item of the current branch, decrypted, with its time and turn usage (see
   * {@link BranchingSession.getTimedItems}); expired and, with `onUndecryptable: 'skip'`,
   * undecryptable items are left out.
   * @throws {@link DecryptionError}, {@link WrongKeyError} as `getItems()`.
   */
  readonly getTimedItems?: () => Promise<TimedItem<TItem>[]>
  /**
   * Turns of the current branch whose user or assistant text contains `text`
   * (case-insensitive); see {@link BranchingSession.findTurns}. The search runs on
   * decrypted content: it reads and decrypts every item of the branch, in memory only
   * (nothing decrypted is stored or indexed). Expired items are not searched.
   * @throws {@link DecryptionError}, {@link WrongKeyError} as `getItems()`.
   */
  readonly findTurns?: (text: string) => Promise<TurnMatch[]>
  /** See {@link BranchingSession.createBranchFromTurn}; passes through (no content is read). */
  readonly createBranchFromTurn?: (turn: number, name?: string) => Promise<string>
  /** See {@link BranchingSession.switchToBranch}; passes through. */
  readonly switchToBranch?: (branchId: string) => Promise<void>
  /** See {@link BranchingSession.listBranches}; passes through. */
  readonly listBranches?: () => Promise<BranchInfo[]>
  /** See {@link BranchingSession.getCurrentBranchId}; passes through. */
  readonly getCurrentBranchId?: () => Promise<string>
  /** See {@link BranchingSession.deleteBranch}; passes through. */
  readonly deleteBranch?: (branchId: string) => Promise<void>
  /**
   * See {@link UsageTrackingSession.storeRunUsage}; passes through, after every write made
   * before it (so a run's usage lands on the turn its items started).
   */
  readonly storeRunUsage?: (result: RunUsageSource) => Promise<void>
  /** See {@link UsageTrackingSession.addItemsWithUsage}: encrypts `items` as `addItems` does. */
  readonly addItemsWithUsage?: (items: TItem[], usage: UsageTotals) => Promise<void>
  /**
   * How many items the current branch holds (see `CountingSession`); passes through, so
   * nothing is decrypted. Present when the underlying session counts and neither `ttl` nor
   * `onUndecryptable: 'skip'` can make `getItems()` return fewer items than are stored.
   */
  readonly getItemCount?: () => Promise<number>
  /** See {@link UsageTrackingSession.getSessionUsage}; passes through. */
  readonly getSessionUsage?: (options?: { branchId?: string }) => Promise<UsageTotals>
  /** See {@link UsageTrackingSession.getTurnUsage}; passes through. */
  readonly getTurnUsage?: UsageTrackingSession<TItem>['getTurnUsage']
  readonly #inner: Session<AgentItem>
  readonly #options: ResolvedOptions
  readonly #queue = new SerialQueue()
  /** Set once a read or write found the stored items' key in the keyring. */
  #verified = false

  /**
   * @param underlying - where envelopes are stored
   * @param options - the key, and how to treat undecryptable, plain and old items
   * @throws {@link InvalidArgumentError} for a key that is not an AES-GCM-256 encrypt/decrypt
   *   key, or a `ttl` that is not a positive number.
   */
  constructor(underlying: Session<AgentItem>, options: EncryptedSessionOptions) {
    if (typeof underlying !== 'object' || underlying === null || typeof underlying.getItems !== 'function') {
      throw new InvalidArgumentError('EncryptedSession needs an underlying Session to store envelopes in.')
    }
    this.sessionId = underlying.sessionId
    this.#inner = underlying
    this.#options = resolveOptions(options)
    if (isReplaceableSession(underlying)) this.replaceItems = (items) => this.#write(items, (sealed) => underlying.replaceItems(sealed), true)
    if (isBranchingSession(underlying)) Object.assign(this, this.#branching(underlying))
    if (isUsageTrackingSession(underlying)) Object.assign(this, this.#usage(underlying))
    if (isCountingSession(underlying) && this.#options.ttl === undefined && this.#options.onUndecryptable === 'throw') {
      this.getItemCount = () => this.#afterWrites(() => underlying.getItemCount())
    }
  }

  /**
   * Builds an `EncryptedSession` typed with what `underlying` offers: over an
   * `IndexedDBSession` or `MemorySession` it is a `BranchingSession`, a
   * `UsageTrackingSession` and a `ReplaceableSession` without a type guard. Same as
   * `new EncryptedSession(underlying, options)` otherwise.
   *
   * ```ts
   * const session = EncryptedSession.wrap(new IndexedDBSession('chat-1'), { key: keyring })
   * await session.createBranchFromTurn(3)
   * ```
   */
  static wrap<TInner extends Session<AgentItem>, TItem = AgentItem>(
    underlying: TInner,
    options: EncryptedSessionOptions,
  ): EncryptedSession<TItem> & EncryptedCapabilities<TInner, TItem> {
    return new EncryptedSession<TItem>(underlying, options) as EncryptedSession<TItem> & EncryptedCapabilities<TInner, TItem>
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
  async getItems<T extends TItem = TItem>(limit?: number): Promise<T[]> {
    await this.#queue.settled() // see every write made before this call
    const policy = this.#policy()
    const raw = await this.#inner.getItems(limit)
    const items = await openItems<T>(raw, policy)
    this.#noteKeyChecked(raw, policy)
    return items
  }

  /**
   * Validates and encrypts `items` (one envelope each, all stamped with the current time),
   * then appends them with one `addItems` on the underlying session: all or nothing.
   * @throws {@link InvalidItemError} for an item that is not plain JSON (nothing written);
   *   {@link WrongKeyError} when the session was written with a key `key` does not hold.
   */
  async addItems(items: TItem[]): Promise<void> {
    return this.#write(items, (sealed) => this.#inner.addItems(sealed))
  }

  /**
   * {@inheritDoc Session.popItem}
   * The newest item is decrypted before it is removed: if it cannot be (whatever
   * `onUndecryptable` says), `DecryptionError` is thrown and it stays stored. Returns
   * `undefined`, removing nothing, when the newest item is expired.
   */
  async popItem<T extends TItem = TItem>(): Promise<T | undefined> {
    return this.#queue.run(async (): Promise<T | undefined> => {
      const peeked = await this.#inner.getItems(1)
      if (peeked.length === 0) return undefined
      const [newest] = await inspectItems(peeked, this.#policy())
      if (newest === undefined || newest.kind === 'expired' || newest.kind === 'unopened') return undefined
      if (newest.kind === 'failed') throw newest.error
      const popped = await this.#inner.popItem()
      if (popped === undefined) return undefined
      if (sameJson(popped, newest.raw)) return newest.item as T
      // Another writer (another tab) changed the end in between: open what was removed.
      try {
        const [item] = await openItems<T>([popped], { ...this.#policy(), onUndecryptable: 'throw', expiredBefore: -Infinity })
        return item
      } catch (error) {
        await this.#inner.addItems([popped]) // put it back where it was: at the end
        throw error
      }
    })
  }

  /** Deletes every item of the session (no key needed). */
  async clearSession(): Promise<void> {
    return this.#queue.run(() => this.#inner.clearSession())
  }

  /**
   * Encrypts, in place, the plain items stored before encryption was turned on, keeping
   * their order (their envelopes get the current time), in one atomic step.
   *
   * Over a session with `rewriteItems` (IndexedDBSession, MemorySession) every item of every
   * branch is rewritten where it is stored, in one step, keeping times, turns and usage.
   * Otherwise it goes through `replaceItems`, which acts on the current branch only: a
   * session with several branches is then refused (`InvalidArgumentError`, nothing changed).
   * @returns how many items were encrypted
   * @throws {@link InvalidArgumentError} when the underlying session has neither
   *   `rewriteItems` nor `replaceItems`, or only the latter and several branches.
   */
  async migratePlaintextItems(): Promise<number> {
    return this.#rewrite('migratePlaintextItems', true, async (raw) => {
      const at = this.#options.now()
      const { id, key } = await this.#options.keys.currentKey()
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
   * Re-encrypts every item written under an older key, or in an older envelope format
   * (version 1, whose user messages do not start turns in the store), with the current
   * key and format, keeping order and envelope times, in one atomic step; used
   * by key rotation and safe to run again after an interruption. Undecryptable items
   * throw `DecryptionError` (nothing changed), or with `onUndecryptable: 'skip'` are kept
   * as they are.
   *
   * Over a session with `rewriteItems` (IndexedDBSession, MemorySession) every item of every
   * branch is rewritten where it is stored, in one step, keeping times, turns and usage.
   * Otherwise it goes through `replaceItems`, which acts on the current branch only: a
   * session with several branches is then refused (`InvalidArgumentError`, nothing changed).
   * @returns how many items were re-encrypted
   * @throws {@link InvalidArgumentError} as {@link EncryptedSession.migratePlaintextItems}.
   */
  async reencryptItems(): Promise<number> {
    return this.#rewrite('reencryptItems', true, async (raw) => {
      const { id, key } = await this.#options.keys.currentKey()
      // Only what is under an older key or format is decrypted: a pass that finds nothing to do decrypts nothing.
      const stale = (envelope: { kid: string; v: number }) => envelope.kid !== id || envelope.v !== ENVELOPE_VERSION
      const inspected = await inspectItems(raw, { ...this.#policy(), plaintext: 'read', expiredBefore: -Infinity, open: stale })
      let changed = 0
      const next = await Promise.all(
        inspected.map(async (entry) => {
          if (entry.kind === 'failed' && this.#options.onUndecryptable === 'throw') throw entry.error
          if (entry.kind !== 'item' || (entry.envelope.kid === id && entry.envelope.v === ENVELOPE_VERSION)) return entry.raw
          changed++
          return sealItem(entry.item, key, id, this.sessionId, entry.envelope.at)
        }),
      )
      return { changed, next }
    })
  }

  /**
   * Deletes the items older than `ttl`, in one atomic `replaceItems`. That acts on the
   * current branch only, so a session with several branches is refused
   * (`InvalidArgumentError`, nothing changed), and the kept items get new store times.
   * @returns how many items were deleted
   * @throws {@link InvalidArgumentError} without a `ttl`, for several branches, or when the underlying session
   *   has no `replaceItems`.
   */
  async purgeExpired(): Promise<number> {
    if (this.#options.ttl === undefined) throw new InvalidArgumentError('purgeExpired() needs the ttl option of EncryptedSession.')
    return this.#rewrite('purgeExpired', false, async (raw) => {
      const expiredBefore = this.#policy().expiredBefore
      const next = raw.filter((item) => {
        const parsed = parseEnvelope(item)
        return parsed.kind !== 'envelope' || parsed.envelope.at >= expiredBefore
      })
      return { changed: raw.length - next.length, next }
    })
  }

  /**
   * The session as `exportSession` exports it (every branch, times, usage) but with every
   * item decrypted: the plaintext export, for the user holding the key. Reads and
   * decrypts every item of every branch; nothing is skipped (an undecryptable item
   * throws), so the document always imports whole.
   *
   * The result holds the conversation in clear. To move an encrypted conversation
   * between devices, export ciphertext with `exportSession` instead and import it into a
   * store unlocked with the same keyring (or re-encrypt it with `encryptSessionExport`).
   *
   * @param options - the database; defaults to the underlying `IndexedDBSession`'s. Pass
   *   `indexedDB` too when the session lives in a Storage Bucket.
   * @returns `undefined` when the session was never written
   * @throws {@link InvalidArgumentError} when the underlying session is not stored in
   *   IndexedDB and no `dbName` is given; {@link DecryptionError}, {@link WrongKeyError}
   *   as `getItems()`.
   */
  async exportPlaintext(options: DatabaseOptions = {}): Promise<SessionExport | undefined> {
    const location = isIndexedDBBackedSession(this.#inner) ? this.#inner.indexedDBLocation : undefined
    const dbName = options.dbName ?? location?.dbName
    if (dbName === undefined) {
      throw new InvalidArgumentError(
        `exportPlaintext() exports from IndexedDB, but session "${this.sessionId}" is not stored in IndexedDB: pass { dbName } of the database holding it.`,
      )
    }
    const indexedDB = options.indexedDB ?? (options.dbName === undefined ? location?.indexedDB : undefined)
    await this.#queue.settled()
    const doc = await exportSession(this.sessionId, indexedDB ? { dbName, indexedDB } : { dbName })
    return doc && decryptSessionExport(doc, { key: this.#options.keys })
  }

  /** The branching methods, over `inner`'s. */
  #branching(inner: BranchingSession<AgentItem>): Omit<BranchingSession<TItem>, keyof Session<TItem>> {
    const turns = async () => {
      await this.#queue.settled()
      return decryptTurns(await inner.getTimedItems(), this.#policy())
    }
    return {
      getTurns: async () => (await turns()).map(({ info }) => info),
      findTurns: async (text) => {
        if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}.`)
        return matchTurns(await turns(), text)
      },
      getTimedItems: async () => {
        await this.#queue.settled()
        const raw = await inner.getTimedItems()
        const opened = await inspectItems(
          raw.map((entry) => entry.item),
          this.#policy(),
        )
        return opened.flatMap((entry, i) => {
          if (entry.kind === 'failed' && this.#options.onUndecryptable === 'throw') throw entry.error
          return entry.kind === 'item' || entry.kind === 'plain' ? [{ ...raw[i]!, item: entry.item as TItem }] : []
        })
      },
      createBranchFromTurn: (turn, name) => this.#queue.run(() => inner.createBranchFromTurn(turn, name)),
      switchToBranch: (branchId) => this.#queue.run(() => inner.switchToBranch(branchId)),
      deleteBranch: (branchId) => this.#queue.run(() => inner.deleteBranch(branchId)),
      listBranches: () => this.#afterWrites(() => inner.listBranches()),
      getCurrentBranchId: () => this.#afterWrites(() => inner.getCurrentBranchId()),
    }
  }

  /** The usage methods, over `inner`'s. */
  #usage(inner: UsageTrackingSession<AgentItem>): Omit<UsageTrackingSession<TItem>, keyof Session<TItem>> {
    const getTurnUsage = (turn?: number) =>
      this.#afterWrites<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined>(() =>
        turn === undefined ? inner.getTurnUsage() : inner.getTurnUsage(turn),
      )
    return {
      storeRunUsage: (result) => this.#queue.run(() => inner.storeRunUsage(result)),
      addItemsWithUsage: (items, usage) => this.#write(items, (sealed) => inner.addItemsWithUsage(sealed, usage), true),
      getSessionUsage: (options) => this.#afterWrites(() => inner.getSessionUsage(options)),
      getTurnUsage: getTurnUsage as UsageTrackingSession<TItem>['getTurnUsage'],
    }
  }

  /**
   * Validates and encrypts `items`, then hands the envelopes to `store` in the queue, after
   * the key check. Encryption starts at once, outside the queue and any transaction.
   * @param evenWhenEmpty - call `store` for an empty batch too (replace, usage)
   */
  async #write(items: TItem[], store: (sealed: AgentItem[]) => Promise<void>, evenWhenEmpty = false): Promise<void> {
    const plain = toStoredItems(items)
    if (plain.length === 0 && !evenWhenEmpty) return
    const sealed = sealItems(plain, this.#options.keys, this.sessionId, this.#options.now())
    sealed.catch(() => undefined) // awaited in the queue
    return this.#queue.run(async () => {
      await this.#verifyKey()
      await store(asStoredBatch(await sealed) as AgentItem[])
    })
  }

  /** Runs a read after every write made before it, without holding up later calls. */
  async #afterWrites<T>(read: () => Promise<T>): Promise<T> {
    await this.#queue.settled()
    return read()
  }

  #rewrite(what: string, inPlace: boolean, compute: Parameters<typeof rewriteHistory>[2]): Promise<number> {
    return this.#queue.run(async () => {
      await this.#verifyKey()
      return rewriteHistory(this.#inner, what, compute, inPlace)
    })
  }

  /** A read that opened a live envelope without `WrongKeyError` proved the key: no second read is needed before writing. */
  #noteKeyChecked(raw: readonly unknown[], policy: OpenPolicy): void {
    if (this.#verified) return
    this.#verified = raw.some((item) => looksLikeEnvelope(item) && typeof item.at === 'number' && item.at >= policy.expiredBefore)
  }

  async #verifyKey(): Promise<void> {
    if (this.#verified) return
    const [newest] = await this.#inner.getItems(1)
    const parsed = parseEnvelope(newest)
    if (parsed.kind === 'envelope' && (await this.#options.keys.keyById(parsed.envelope.kid)) === undefined) {
      throw new WrongKeyError(
        `Session "${this.sessionId}" was encrypted with key ${parsed.envelope.kid}, which this keyring does not hold. ` +
          'Nothing was written; unlock the key store this session was written with.',
        { keyId: parsed.envelope.kid },
      )
    }
    this.#verified = true
  }

  #policy(): OpenPolicy {
    const { keys, onUndecryptable, plaintext, ttl, now } = this.#options
    return {
      sessionId: this.sessionId,
      keys,
      onUndecryptable,
      plaintext,
      expiredBefore: ttl === undefined ? -Infinity : now() - ttl,
    }
  }
}
