import { InvalidArgumentError } from '../errors.js'
import { ENVELOPE_VERSION } from '../crypto/envelope.js'
import { DecryptionError } from '../crypto/errors.js'
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
  isSuffixReplaceableSession,
  type BranchInfo,
  type BranchingSession,
  type ContentBranchingSession,
  type ToolUsageSession,
  type ReplaceableSession,
  type SessionHistoryRewriteArgs,
  type SessionHistoryTransactionArgs,
  type SuffixReplacement,
  type UsageTrackingSession,
  isPendingRunsSession,
  isResealingSession,
  type PendingRun,
  type PendingRunsSession,
  type PendingRunUpdate,
} from '../session/capabilities.js'
import { historyMethods } from '../session/history.js'
import { suffixMethods } from './history-ops.js'
import { isTitledSession, type TitledSession } from '../session/labels.js'
import type { Session } from '../session/session.js'
import type { ToolUsage } from '../session/tool-usage.js'
import type { TimedItem, TurnInfo, TurnMatch } from '../session/turns.js'
import type { RunUsageSource, UsageTotals } from '../session/usage.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { Appender } from './appender.js'
import { branchingMethods, titleMethods, usageMethods, type EncryptedTitles, type SessionCore } from './capability-methods.js'
import { pendingRunMethods } from './pending-runs.js'
import { decryptSessionExport } from './export-codec.js'
import { inspectItems, openItems, pickItems, sealItems, type OpenPolicy } from './item-codec.js'
import { resolveOptions, type EncryptedSessionOptions, type ResolvedOptions } from './options.js'
import { OpenedItems } from './opened-items.js'
import { readWindow } from './read-window.js'
import { resealHandler } from './reseal.js'
import { rewriteHistory } from './rewrite-history.js'
import { dropExpired, resealItems, sealPlainItems } from './rewrites.js'

export type { EncryptedTitles } from './capability-methods.js'

/**
 * What an {@link EncryptedSession} over `TInner` offers besides {@link Session}: branching,
 * usage tracking, `replaceItems` and titles exactly when `TInner` has them. The type
 * {@link EncryptedSession.wrap} returns.
 */
export type EncryptedCapabilities<TInner, TItem> = (TInner extends BranchingSession<AgentItem> ? ContentBranchingSession<TItem> & ToolUsageSession<TItem> : unknown) &
  (TInner extends UsageTrackingSession<AgentItem> ? UsageTrackingSession<TItem> : unknown) &
  (TInner extends ReplaceableSession<AgentItem> ? ReplaceableSession<TItem> : unknown) &
  (TInner extends TitledSession<AgentItem> ? EncryptedTitles : unknown) &
  (TInner extends PendingRunsSession<AgentItem> ? PendingRunsSession<TItem> : unknown)

/**
 * A decorator that encrypts every item before it reaches `underlying` (any
 * {@link Session}: IndexedDBSession, MemorySession, your own) and decrypts on the way out.
 * Each item is stored as an envelope (see `EncryptedEnvelope`): AES-GCM-256, a fresh random
 * IV, bound to this session id and to its position in the branch, so that items swapped,
 * replayed or removed by someone with access to the database are a `DecryptionError`
 * (`out_of_place`). The session title and branch names are sealed too (unless
 * `titles: 'clear'`).
 *
 * What stays in clear, so that the store works without the key: session ids, branch ids
 * and how branches relate (parent, fork turn, which items each shows), the order of items
 * and their positions, times (of items and records), key ids, which items are user
 * messages, counts of items and turns, usage numbers, and ciphertext lengths (hence the
 * length of each item, title and name); plus the name of `main`, which is always `main`.
 * Not detected: removing the newest items (that looks like `popItem`), rolling the whole
 * database back to an earlier consistent state, and an item replaced by the one another
 * branch holds at the same position (both are versions the user wrote there). Keep a copy
 * elsewhere (an export, a server) if those matter.
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
 * - The newest items it decrypted or sealed are kept in memory (`decryptedCacheSize`), so
 *   each item is decrypted once per session object; a stored envelope changed in any field
 *   is decrypted (and refused) as without them. Drop the session to let the plaintext go.
 * - Writes need no read of the history: the next position is kept in memory and checked by
 *   the store in the write's own transaction (`addItemsAt`, see `PositionalSession`); when
 *   another tab wrote first, the items are sealed again at the new position. Over a store
 *   without `addItemsAt` the position is counted before each write, and two writers racing
 *   between that count and their writes can leave two items at one position (reads then
 *   throw `out_of_place`): give each such store one writer at a time.
 * - Before its first write it checks that the newest stored item was written with a key
 *   `key` holds, else `WrongKeyError` and nothing is written; and it upgrades a history
 *   written by an earlier version (envelopes without positions) in place, on every branch,
 *   in one step (stores with `rewriteItems`).
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
  /**
   * See {@link BranchingSession.createBranchFromTurn}. The name (`turn-<turn>` when none is
   * given) is sealed, bound to the session and the new branch's id, unless `titles: 'clear'`.
   * @throws {@link InvalidArgumentError} for a name that is not a string, or when names are
   *   sealed and the underlying session cannot keep a sealed name (see
   *   `SealedBranchNamesSession`) and a name is given.
   */
  readonly createBranchFromTurn?: (turn: number, name?: string) => Promise<string>
  /**
   * See `ContentBranchingSession.createBranchFromContent`: the turn is found on decrypted
   * user messages (the whole branch is read and decrypted), then branched as
   * {@link EncryptedSession.createBranchFromTurn}. Present with branching.
   * @throws `TurnNotFoundError` when no user message contains `text`; {@link DecryptionError}, {@link WrongKeyError} as `getItems()`.
   */
  readonly createBranchFromContent?: (text: string, name?: string) => Promise<string>
  /**
   * Tool calls of the current branch per tool name per turn (see `ToolUsageSession`),
   * counted on decrypted items (tool names are sealed). Present with branching.
   */
  readonly getToolUsage?: () => Promise<ToolUsage[]>
  /** See {@link BranchingSession.switchToBranch}; passes through. */
  readonly switchToBranch?: (branchId: string) => Promise<void>
  /**
   * See {@link BranchingSession.listBranches}, with sealed names opened.
   * @throws {@link WrongKeyError} for a name sealed with a key `key` does not hold;
   *   {@link DecryptionError} (`label: 'branch-name'`) for one that fails authentication,
   *   unless `onUndecryptable: 'skip'` (it is then listed as `name: ''` with its `sealedName`).
   */
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
  /**
   * The run waiting for approval (see `PendingRunsSession.getPendingRun`), its state opened.
   * Present when the underlying session keeps pending runs.
   * @throws {@link WrongKeyError}, {@link DecryptionError} (`label: 'pending-run'`) when the
   *   state does not open
   */
  readonly getPendingRun?: () => Promise<PendingRun | undefined>
  /**
   * See `PendingRunsSession.updatePendingRun`: the state is sealed (AES-GCM with the current
   * key, bound to the session and the run id: it holds the calls' arguments) and the items
   * are sealed at their positions, as `addItems` does.
   */
  readonly updatePendingRun?: (update: PendingRunUpdate<TItem>) => Promise<void>
  /** See {@link UsageTrackingSession.getSessionUsage}; passes through. */
  readonly getSessionUsage?: (options?: { branchId?: string }) => Promise<UsageTotals>
  /** See {@link UsageTrackingSession.getTurnUsage}; passes through. */
  readonly getTurnUsage?: UsageTrackingSession<TItem>['getTurnUsage']
  /**
   * Sets the title shown in session lists: sealed (AES-GCM with the current key, bound to
   * the session id and the key id) unless `titles: 'clear'`. Present when the underlying
   * session has a title (`IndexedDBSession`; see `TitledSession`). `listSessions` shows a
   * sealed title only when given the key: `listSessions({ dbName, titles: sealedTitles(keyring) })`.
   * Like `IndexedDBSession.setTitle`, does nothing visible until the session has items.
   * @throws {@link InvalidArgumentError} for a title that is not a string.
   */
  readonly setTitle?: (title: string) => Promise<void>
  /**
   * The title, opened when sealed; `undefined` when none was set.
   * @throws {@link WrongKeyError} when it was sealed with a key `key` does not hold;
   *   {@link DecryptionError} (`label: 'title'`) when it fails authentication (with
   *   `onUndecryptable: 'skip'`, `undefined` instead).
   */
  readonly getTitle?: () => Promise<string | undefined>
  /**
   * Applies an `append_items` or `replace_suffix` transaction once per operation id (see
   * `SessionHistoryTransactionAwareSession`): the expected suffix is compared with the
   * decrypted newest items, the replacement sealed at the positions it takes, and the
   * underlying session replaces exactly the envelopes that were read and records the
   * operation id with a sealed digest of the transaction, in one write. Present when the
   * underlying session has `replaceSuffix` and counts (IndexedDBSession, MemorySession) and
   * neither `ttl` nor `onUndecryptable: 'skip'` is set.
   * @throws `HistoryOperationConflictError`, `HistorySuffixMismatchError`,
   *   {@link InvalidArgumentError}, {@link InvalidItemError}; {@link WrongKeyError},
   *   {@link DecryptionError} when a stored item or operation digest does not open. Nothing is changed then.
   */
  readonly applyHistoryTransaction?: (args: SessionHistoryTransactionArgs<TItem>, runContext?: unknown) => Promise<void>
  /** See `SessionHistoryRewriteAwareSession.applyHistoryMutations`; present with `applyHistoryTransaction`. */
  readonly applyHistoryMutations?: (args: SessionHistoryRewriteArgs<TItem>) => Promise<void>
  /** See `CompactionReplaceableSession.replaceHistoryWithCompaction`, sealed; present with `applyHistoryTransaction`. */
  readonly replaceHistoryWithCompaction?: (items: TItem[], runContext?: unknown) => Promise<void>
  /** See `SuffixReplaceableSession.replaceSuffix`, on plaintext; present with `applyHistoryTransaction`. */
  readonly replaceSuffix?: (change: SuffixReplacement<TItem>) => Promise<boolean>
  /** See `SuffixReplaceableSession.getHistoryOperation`: the digest, opened; present with `applyHistoryTransaction`. */
  readonly getHistoryOperation?: (operationId: string) => Promise<string | undefined>
  readonly #inner: Session<AgentItem>
  readonly #options: ResolvedOptions
  readonly #queue = new SerialQueue()
  readonly #appender: Appender
  readonly #opened: OpenedItems

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
    this.#opened = new OpenedItems(this.#options.decryptedCacheSize)
    this.#appender = new Appender(underlying, () => this.#policy())
    const core: SessionCore = {
      sessionId: this.sessionId,
      options: this.#options,
      appender: this.#appender,
      policy: () => this.#policy(),
      run: (task) => this.#queue.run(task),
      afterWrites: (read) => this.#afterWrites(read),
      append: (items, usage) => this.#append(items as TItem[], usage),
    }
    if (isReplaceableSession(underlying)) this.replaceItems = (items) => this.#replace(items, (sealed) => underlying.replaceItems(sealed))
    if (isBranchingSession(underlying)) Object.assign(this, branchingMethods(core, underlying))
    if (isUsageTrackingSession(underlying)) Object.assign(this, usageMethods(core, underlying))
    if (isTitledSession(underlying)) Object.assign(this, titleMethods(core, underlying))
    if (isPendingRunsSession(underlying)) Object.assign(this, pendingRunMethods(core, underlying))
    // A synced store moves this device's pending items behind other devices': it hands them
    // back here to be sealed for where they land.
    if (isResealingSession(underlying)) underlying.setResealHandler(resealHandler(() => this.#policy()))
    if (isCountingSession(underlying) && this.#options.ttl === undefined && this.#options.onUndecryptable === 'throw') {
      this.getItemCount = () => this.#afterWrites(() => underlying.getItemCount())
      if (isSuffixReplaceableSession(underlying)) {
        const suffix = suffixMethods<TItem>(core, underlying)
        const history = historyMethods<TItem>({ ...suffix, sessionId: this.sessionId, getSessionId: () => this.getSessionId(), getItems: (limit) => this.getItems(limit), addItems: (items) => this.addItems(items), popItem: () => this.popItem(), clearSession: () => this.clearSession() })
        Object.assign(this, suffix, {
          applyHistoryTransaction: (args: SessionHistoryTransactionArgs<TItem>) => history.applyHistoryTransaction(args),
          applyHistoryMutations: history.applyHistoryMutations,
          replaceHistoryWithCompaction: (items: TItem[]) => history.replaceHistoryWithCompaction(items),
        })
      }
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
    const generation = this.#appender.generation
    const { inspected, misplaced } = await readWindow(this.#inner, limit, policy)
    const items = pickItems<T>(inspected, policy, misplaced)
    const newest = inspected[inspected.length - 1]
    this.#appender.noteNewest(newest && 'envelope' in newest ? newest.envelope : undefined, generation, inspected.some((entry) => entry.kind === 'item'))
    return items
  }

  /**
   * Validates and encrypts `items` (one envelope each, all stamped with the current time,
   * each sealed at the position it will have), then appends them in one write on the
   * underlying session: all or nothing.
   * @throws {@link InvalidItemError} for an item that is not plain JSON (nothing written);
   *   {@link WrongKeyError} when the session was written with a key `key` does not hold;
   *   `PositionConflictError` when other writers kept appending first (ten times);
   *   {@link DecryptionError} when the first write finds history of an earlier format to
   *   upgrade and an item of it does not open (nothing written).
   */
  async addItems(items: TItem[]): Promise<void> {
    return this.#append(items, undefined)
  }

  /**
   * {@inheritDoc Session.popItem}
   * The newest item is decrypted before it is removed: if it cannot be (whatever
   * `onUndecryptable` says), `DecryptionError` is thrown and it stays stored. Returns
   * `undefined`, removing nothing, when the newest item is expired.
   */
  async popItem<T extends TItem = TItem>(): Promise<T | undefined> {
    return this.#queue.run(async (): Promise<T | undefined> => {
      this.#appender.invalidate()
      const peeked = await this.#inner.getItems(1)
      if (peeked.length === 0) return undefined
      const [newest] = await inspectItems(peeked, this.#policy())
      if (newest === undefined || newest.kind === 'expired' || newest.kind === 'unopened') return undefined
      if (newest.kind === 'failed') throw popRefusal(newest.error)
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
    return this.#queue.run(() => {
      this.#appender.invalidate()
      return this.#inner.clearSession()
    })
  }

  /**
   * Encrypts, in place, the plain items stored before encryption was turned on, keeping
   * their order and positions (their envelopes get the current time), in one atomic step.
   *
   * Over a session with `rewriteItems` (IndexedDBSession, MemorySession) every item of every
   * branch is rewritten where it is stored, in one step, keeping times, turns and usage.
   * Otherwise it goes through `replaceItems`, which acts on the current branch only: a
   * session with several branches is then refused (`InvalidArgumentError`, nothing changed).
   * @returns how many items were encrypted
   * @throws {@link InvalidArgumentError} when the underlying session has neither
   *   `rewriteItems` nor `replaceItems`, or only the latter and several branches;
   *   {@link DecryptionError} (`out_of_place`) when stored envelopes are out of place
   *   (nothing changed).
   */
  async migratePlaintextItems(): Promise<number> {
    return this.#rewrite('migratePlaintextItems', true, (raw, positions) => sealPlainItems(raw, positions, this.#policy(), this.#options.now()))
  }

  /**
   * Re-encrypts every item written under an older key, or in an older envelope format
   * (version 1, whose user messages do not start turns in the store; versions 1 and 2,
   * not bound to a position), with the current key and format, keeping order, positions and
   * envelope times, in one atomic step; used by key rotation and safe to run again after an
   * interruption. Undecryptable items throw `DecryptionError` (nothing changed), or with
   * `onUndecryptable: 'skip'` are kept as they are; items out of place always throw.
   *
   * Over a session with `rewriteItems` (IndexedDBSession, MemorySession) every item of every
   * branch is rewritten where it is stored, in one step, keeping times, turns and usage.
   * Otherwise it goes through `replaceItems`, which acts on the current branch only: a
   * session with several branches is then refused (`InvalidArgumentError`, nothing changed).
   * @returns how many items were re-encrypted
   * @throws {@link InvalidArgumentError} as {@link EncryptedSession.migratePlaintextItems}.
   */
  async reencryptItems(): Promise<number> {
    return this.#rewrite('reencryptItems', true, async (raw, positions) => {
      const { id } = await this.#options.keys.currentKey()
      // Only what is under an older key or format is decrypted: a pass that finds nothing to do decrypts nothing.
      return resealItems(raw, positions, this.#policy(), (envelope) => envelope.kid !== id || envelope.v !== ENVELOPE_VERSION)
    })
  }

  /**
   * Deletes the items older than `ttl`, in one atomic `replaceItems`, and seals the others
   * again at their new positions. That acts on the current branch only, so a session with
   * several branches is refused (`InvalidArgumentError`, nothing changed), and the kept
   * items get new store times.
   * @returns how many items were deleted
   * @throws {@link InvalidArgumentError} without a `ttl`, for several branches, or when the underlying session
   *   has no `replaceItems`; {@link DecryptionError} as `getItems()`.
   */
  async purgeExpired(): Promise<number> {
    if (this.#options.ttl === undefined) throw new InvalidArgumentError('purgeExpired() needs the ttl option of EncryptedSession.')
    return this.#rewrite('purgeExpired', false, (raw) => dropExpired(raw, this.#policy(), this.#policy().expiredBefore))
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

  /**
   * Validates `items` now (the caller's objects are copied before this returns), then, in
   * the queue, seals and appends them at the next position.
   */
  async #append(items: TItem[], usage: UsageTotals | undefined): Promise<void> {
    const plain = toStoredItems(items)
    if (plain.length === 0 && usage === undefined) return
    const at = this.#options.now()
    return this.#queue.run(() => this.#appender.append(plain, at, usage))
  }

  /** Replaces the history with `items` sealed at 0, 1, …, after the key check. */
  async #replace(items: TItem[], store: (sealed: AgentItem[]) => Promise<void>): Promise<void> {
    const plain = toStoredItems(items)
    const at = this.#options.now()
    return this.#queue.run(async () => {
      await this.#appender.check(false)
      const sealed = asStoredBatch(await sealItems(plain, this.#policy(), at, 0)) as AgentItem[]
      try {
        await store(sealed)
        this.#appender.settle(plain.length)
      } catch (error) {
        this.#appender.invalidate()
        throw error
      }
    })
  }

  /** Runs a read after every write made before it, without holding up later calls. */
  async #afterWrites<T>(read: () => Promise<T>): Promise<T> {
    await this.#queue.settled()
    return read()
  }

  #rewrite(what: string, inPlace: boolean, compute: Parameters<typeof rewriteHistory>[2]): Promise<number> {
    return this.#queue.run(async () => {
      await this.#appender.check(false)
      try {
        return await rewriteHistory(this.#inner, what, compute, inPlace)
      } finally {
        if (!inPlace) this.#appender.invalidate() // items were dropped: count again
      }
    })
  }

  #policy(): OpenPolicy {
    const { keys, onUndecryptable, plaintext, ttl, now } = this.#options
    return {
      sessionId: this.sessionId,
      keys,
      onUndecryptable,
      plaintext,
      expiredBefore: ttl === undefined ? -Infinity : now() - ttl,
      opened: this.#opened,
    }
  }
}

/** `error` as popItem reports it: the same failure, with advice that fits a pop. */
function popRefusal(error: DecryptionError): DecryptionError {
  if (error.reason === 'out_of_place') return error
  return new DecryptionError({
    sessionId: error.sessionId,
    index: error.index,
    windowSize: error.windowSize,
    reason: error.reason,
    keyId: error.keyId,
    writtenAt: error.writtenAt,
    popping: true,
    cause: error.cause,
  })
}
