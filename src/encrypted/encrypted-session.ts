import { InvalidArgumentError, StorageError } from '../errors.js'
import type { AgentItem } from '../items/items.js'
import { toStoredItems } from '../items/items.js'
import { WrongKeyError } from '../crypto/errors.js'
import { ENVELOPE_VERSION, looksLikeEnvelope, parseEnvelope, sealItem } from '../crypto/envelope.js'
import { decryptSessionExport } from './export-codec.js'
import { inspectItems, openItems, sealItems, type Inspected, type OpenPolicy } from './item-codec.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { toKeyProvider } from '../crypto/static-key.js'
import type { DatabaseOptions } from '../idb/database.js'
import { exportSession, type SessionExport } from '../idb/export.js'
import {
  isBranchingSession,
  isReplaceableSession,
  isRewritableSession,
  isUsageTrackingSession,
  type BranchInfo,
  type BranchingSession,
  type ReplaceableSession,
  type RunUsageSource,
  type Session,
  type UsageTrackingSession,
} from '../session/session.js'
import { findInTurns, isTurnStart, listTurns, type TimedItem, type TurnInfo, type TurnMatch, type UsageTotals } from '../session/turns.js'

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
 * What an {@link EncryptedSession} over `TInner` offers besides {@link Session}: branching,
 * usage tracking and `replaceItems` exactly when `TInner` has them. The type
 * {@link EncryptedSession.wrap} returns.
 */
export type EncryptedCapabilities<TInner, TItem> = (TInner extends BranchingSession<AgentItem> ? BranchingSession<TItem> : unknown) &
  (TInner extends UsageTrackingSession<AgentItem> ? UsageTrackingSession<TItem> : unknown) &
  (TInner extends ReplaceableSession<AgentItem> ? ReplaceableSession<TItem> : unknown)

/** How many times turn reads retry when another writer changed the branch between their two reads. */
const TURN_READ_ATTEMPTS = 3

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
  /**
   * The turns of the current branch (see {@link BranchingSession.getTurns}). Turn numbers,
   * item counts, times and usage are the underlying session's; `userText` is decrypted.
   * Decrypts every item of the branch (a read of the whole branch plus one AES-GCM
   * decryption per item); expired items (`ttl`) show no text.
   * @throws {@link DecryptionError}, {@link WrongKeyError} as `getItems()`.
   */
  readonly getTurns?: () => Promise<TurnInfo[]>
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
  /** See {@link UsageTrackingSession.getSessionUsage}; passes through. */
  readonly getSessionUsage?: (options?: { branchId?: string }) => Promise<UsageTotals>
  /** See {@link UsageTrackingSession.getTurnUsage}; passes through. */
  readonly getTurnUsage?: UsageTrackingSession<TItem>['getTurnUsage']
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
    this.#keys = toKeyProvider(key)
    this.#onUndecryptable = onUndecryptable
    this.#plaintext = plaintext
    this.#ttl = ttl
    this.#now = now
    if (isReplaceableSession(underlying)) this.replaceItems = (items) => this.#replace(underlying, items)
    if (isBranchingSession(underlying)) {
      this.getTurns = async () => (await this.#decryptedTurns(underlying)).map(({ info }) => info)
      this.findTurns = (text) => this.#findTurns(underlying, text)
      this.createBranchFromTurn = (turn, name) => this.#enqueue(() => underlying.createBranchFromTurn(turn, name))
      this.switchToBranch = (branchId) => this.#enqueue(() => underlying.switchToBranch(branchId))
      this.deleteBranch = (branchId) => this.#enqueue(() => underlying.deleteBranch(branchId))
      this.listBranches = () => this.#afterWrites(() => underlying.listBranches())
      this.getCurrentBranchId = () => this.#afterWrites(() => underlying.getCurrentBranchId())
    }
    if (isUsageTrackingSession(underlying)) {
      this.storeRunUsage = (result) => this.#enqueue(() => underlying.storeRunUsage(result))
      this.getSessionUsage = (options) => this.#afterWrites(() => underlying.getSessionUsage(options))
      const getTurnUsage = (turn?: number) =>
        this.#afterWrites<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined>(() =>
          turn === undefined ? underlying.getTurnUsage() : underlying.getTurnUsage(turn),
        )
      this.getTurnUsage = getTurnUsage as UsageTrackingSession<TItem>['getTurnUsage']
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
    return this.#rewrite('reencryptItems', async (raw) => {
      const { id, key } = await this.#keys.currentKey()
      const inspected = await inspectItems(raw, { ...this.#policy(), plaintext: 'read', expiredBefore: -Infinity })
      let changed = 0
      const next = await Promise.all(
        inspected.map(async (entry) => {
          if (entry.kind === 'failed' && this.#onUndecryptable === 'throw') throw entry.error
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
    if (this.#ttl === undefined) throw new InvalidArgumentError('purgeExpired() needs the ttl option of EncryptedSession')
    return this.#rewrite(
      'purgeExpired',
      async (raw) => {
        const expiredBefore = this.#policy().expiredBefore
        const next = raw.filter((item) => {
          const parsed = parseEnvelope(item)
          return parsed.kind !== 'envelope' || parsed.envelope.at >= expiredBefore
        })
        return { changed: raw.length - next.length, next }
      },
      false,
    )
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
   * @param options - the database; defaults to the underlying `IndexedDBSession`'s
   *   `dbName`. Pass `indexedDB` too when the session lives in a Storage Bucket.
   * @returns `undefined` when the session was never written
   * @throws {@link InvalidArgumentError} when the underlying session is not stored in
   *   IndexedDB and no `dbName` is given; {@link DecryptionError}, {@link WrongKeyError}
   *   as `getItems()`.
   */
  async exportPlaintext(options: DatabaseOptions = {}): Promise<SessionExport | undefined> {
    const innerDbName = (this.#inner as { dbName?: unknown }).dbName
    const dbName = options.dbName ?? (typeof innerDbName === 'string' ? innerDbName : undefined)
    if (dbName === undefined) {
      throw new InvalidArgumentError(
        `exportPlaintext() exports from IndexedDB, but session "${this.sessionId}" is not an IndexedDBSession: pass { dbName } of the database holding it`,
      )
    }
    await this.#tail
    const doc = await exportSession(this.sessionId, { ...options, dbName })
    return doc && decryptSessionExport(doc, { key: this.#keys })
  }

  /**
   * The current branch's turns as the underlying session numbers them, each with its
   * decrypted items. Two reads of the underlying (its turns, and its raw items), checked
   * against each other and retried when another writer changed the branch in between.
   */
  async #decryptedTurns(inner: BranchingSession<AgentItem>): Promise<Array<{ info: TurnInfo; entries: Inspected[] }>> {
    await this.#tail
    for (let attempt = 1; ; attempt++) {
      const [turns, raw] = await Promise.all([inner.getTurns(), inner.getItems(Infinity)])
      const groups = groupByTurn(raw)
      const consistent = groups.length === turns.length && groups.every((group, i) => group.length === turns[i]!.itemCount)
      if (!consistent) {
        if (attempt < TURN_READ_ATTEMPTS) continue
        throw new StorageError(
          `Session "${this.sessionId}" kept changing while its turns were read (another tab writing?), or its store numbers turns differently from its items. Nothing was changed; try again.`,
        )
      }
      const inspected = await inspectItems(raw, this.#policy())
      const firstOfTurns = raw.length - groups.reduce((sum, group) => sum + group.length, 0)
      const result: Array<{ info: TurnInfo; entries: Inspected[] }> = []
      let at = firstOfTurns
      for (const [i, group] of groups.entries()) {
        const entries = inspected.slice(at, at + group.length)
        at += group.length
        for (const entry of entries) if (entry.kind === 'failed' && this.#onUndecryptable === 'throw') throw entry.error
        const info: TurnInfo = { ...turns[i]!, userText: listTurns(timed(entries, turns[i]!))[0]?.userText ?? '' }
        result.push({ info, entries })
      }
      return result
    }
  }

  async #findTurns(inner: BranchingSession<AgentItem>, text: string): Promise<TurnMatch[]> {
    if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}`)
    const matches: TurnMatch[] = []
    for (const { info, entries } of await this.#decryptedTurns(inner)) {
      const [match] = findInTurns(timed(entries, info), text)
      if (match) matches.push({ ...info, snippet: match.snippet })
    }
    return matches
  }

  /** Runs a read after every write made before it, without holding up later calls. */
  async #afterWrites<T>(read: () => Promise<T>): Promise<T> {
    await this.#tail
    return read()
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
  async #rewrite(
    what: string,
    compute: (raw: AgentItem[]) => Promise<{ changed: number; next: unknown[] }>,
    inPlace = true,
  ): Promise<number> {
    const inner = this.#inner
    return this.#enqueue(async () => {
      await this.#verifyKey()
      // One item for one item: rewritten where it is stored, on every branch, keeping
      // times and usage.
      if (inPlace && isRewritableSession(inner)) {
        let changed = 0
        await inner.rewriteItems(async (raw) => {
          const result = await compute(raw)
          changed = result.changed
          return result.next as AgentItem[]
        })
        return changed
      }
      if (!isReplaceableSession(inner)) {
        throw new InvalidArgumentError(`${what}() needs an underlying session with rewriteItems or replaceItems (IndexedDBSession and MemorySession have both), so that the rewrite is atomic`)
      }
      if (isBranchingSession(inner)) {
        const branches = await inner.listBranches()
        if (branches.length > 1) {
          throw new InvalidArgumentError(
            `${what}() cannot rewrite session "${this.sessionId}": it has ${branches.length} branches and replaceItems rewrites only the current one, ` +
              'which would leave the other branches as they are. Nothing was changed. ' +
              'Delete the branches you no longer need (deleteBranch) and call it again.',
          )
        }
      }
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
    if (parsed.kind === 'envelope' && (await this.#keys.keyById(parsed.envelope.kid)) === undefined) {
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

/** Splits a branch's stored items into turns as the store does: at each user message (envelope or plain). Items before the first turn are left out. */
function groupByTurn(raw: readonly unknown[]): unknown[][] {
  const groups: unknown[][] = []
  for (const item of raw) {
    if (isTurnStart(item)) groups.push([])
    groups[groups.length - 1]?.push(item)
  }
  return groups
}

/**
 * One turn's decrypted items as `TimedItem`s for the pure turn functions: its first entry
 * always starts the turn (a placeholder when the user message cannot be shown), failed and
 * expired items are left out. Times are the turn's; callers keep the store's `TurnInfo`.
 */
function timed(entries: readonly Inspected[], info: TurnInfo): TimedItem[] {
  const shown = (entry: Inspected | undefined): unknown =>
    entry && (entry.kind === 'item' || entry.kind === 'plain') ? entry.item : undefined
  const first = shown(entries[0])
  const start = first !== undefined && isTurnStart(first) ? first : { role: 'user', content: '' }
  const rest = entries.slice(1).map(shown).filter((item) => item !== undefined)
  return [start, ...rest].map((item, i) => ({ item, createdAt: i === 0 ? info.startedAt : info.endedAt }))
}
