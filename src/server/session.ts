import { InvalidArgumentError } from '../errors.js'
import { branchInfos } from '../remote/branch-infos.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import {
  turnUsageOf,
  assertTurn,
  type BranchInfo,
  type BranchingSession,
  type ReplaceableSession,
  type UsageTrackingSession,
} from '../session/capabilities.js'
import { assertSessionId, resolveLimit, type SessionSettings } from '../session/session.js'
import { findInTurns, listTurns, type TimedItem, type TurnInfo, type TurnMatch } from '../session/turns.js'
import { NO_USAGE, usageOf, type RunUsageSource, type UsageTotals } from '../session/usage.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { ConflictError, NotFoundError } from './errors.js'
import type { StoreOp } from './ops.js'
import type { SessionSummary } from './protocol.js'
import { detail, readTimedBranch, readWindow, usageReport } from './reads.js'
import type { SqlClient } from './db.js'
import { loadSession, MAIN_BRANCH, type SessionState } from './rows.js'
import { PostgresStore, type AppliedOp, type PostgresStoreOptions, type PostgresTarget } from './store.js'

/** The user a {@link PostgresSession} belongs to when none is given. */
export const DEFAULT_USER_ID = 'default'

/** Options of {@link PostgresSession}. */
export interface PostgresSessionOptions {
  /** The store holding the session; share one store between all sessions of a process. */
  store: PostgresStore
  /**
   * The user the session belongs to: the same user the sync handler's `authorize` returns,
   * so that the user's devices see what an agent on the server writes.
   * @default 'default'
   */
  userId?: string
  /** Default window for `getItems`. */
  settings?: SessionSettings
}

/**
 * A session stored in PostgreSQL (or PGlite): the twin of the Python SDK's
 * `SQLAlchemySession.from_url`, for agents that run in Node, such as `@openai/agents` on a
 * server. It branches and records usage like `IndexedDBSession`: branches share items
 * without copying, deleting a branch keeps what another branch shows, and `main` stays.
 *
 * Every write is one transaction (all-or-nothing, items validated with `toStoredItems`);
 * `getItems(limit)` reads O(limit) rows. Calls on one object take effect in the order they
 * were made, as on every other session kind (a pool would otherwise let a `clearSession()`
 * overtake an `addItems()` made before it). Writes land in the user's change feed, so the
 * user's devices (SyncedSession) receive them.
 *
 * ```ts
 * const session = PostgresSession.fromUrl('user_123', process.env.DATABASE_URL!)
 * ```
 */
export class PostgresSession<TItem = AgentItem> implements ReplaceableSession<TItem>, BranchingSession<TItem>, UsageTrackingSession<TItem> {
  readonly sessionId: string
  readonly userId: string
  readonly store: PostgresStore
  readonly #settings: SessionSettings | undefined
  readonly #queue = new SerialQueue()

  /**
   * @param sessionId - isolates this conversation within its user
   * @param options - the store, the user, default settings
   * @throws {@link InvalidArgumentError} for an empty session or user id, or no store
   */
  constructor(sessionId: string, options: PostgresSessionOptions) {
    assertSessionId(sessionId)
    if (!(options?.store instanceof PostgresStore)) throw new InvalidArgumentError('PostgresSession needs { store: PostgresStore }')
    this.sessionId = sessionId
    this.store = options.store
    this.userId = options.userId ?? DEFAULT_USER_ID
    this.#settings = options.settings
    if (typeof this.userId !== 'string' || this.userId.length === 0) {
      throw new InvalidArgumentError(`userId must be a non-empty string, got ${JSON.stringify(this.userId) ?? String(this.userId)}`)
    }
  }

  /**
   * A session on its own store: `fromUrl('user_123', 'postgresql://…')`, or
   * `fromUrl('user_123', { dataDir: '.data/agents' })` for embedded PostgreSQL. The store
   * connects on first use; {@link PostgresSession.close} closes it. For many sessions,
   * share one {@link PostgresStore} instead.
   */
  static fromUrl<TItem = AgentItem>(
    sessionId: string,
    target: PostgresTarget,
    options: Omit<PostgresSessionOptions, 'store'> & PostgresStoreOptions = {},
  ): PostgresSession<TItem> {
    const session = new PostgresSession<TItem>(sessionId, { ...options, store: new PostgresStore(target, { listen: options.listen ?? false }) })
    ownStores.add(session)
    return session
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  async getItems(limit?: number): Promise<TItem[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    const json = await this.#read(async (tx, state) => (await readWindow(tx, state, undefined, count, 'items')).itemsJson)
    return json === undefined ? [] : (JSON.parse(json) as TItem[])
  }

  async addItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    if (stored.length === 0) return
    await this.#apply({ kind: 'append', sessionId: this.sessionId, items: stored })
  }

  async popItem(): Promise<TItem | undefined> {
    const applied = await this.#apply({ kind: 'pop', sessionId: this.sessionId }).catch(absentAs(undefined))
    return applied?.popped === undefined ? undefined : (JSON.parse(applied.popped) as TItem)
  }

  async clearSession(): Promise<void> {
    await this.#apply({ kind: 'clear', sessionId: this.sessionId }).catch(absentAs(undefined))
  }

  /** Replaces the current branch's history with `items` in one transaction, all or nothing. */
  async replaceItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    await this.#apply({ kind: 'replace', sessionId: this.sessionId, items: stored }).catch(absentAs(undefined))
  }

  async getTimedItems(): Promise<TimedItem<TItem>[]> {
    return ((await this.#read(readTimedBranch)) ?? []) as TimedItem<TItem>[]
  }

  async getTurns(): Promise<TurnInfo[]> {
    return listTurns((await this.#read(readTimedBranch)) ?? [])
  }

  async findTurns(text: string): Promise<TurnMatch[]> {
    if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}`)
    return findInTurns((await this.#read(readTimedBranch)) ?? [], text)
  }

  async createBranchFromTurn(turn: number, name?: string): Promise<string> {
    const op: StoreOp = { kind: 'createBranch', sessionId: this.sessionId, fromTurn: turn }
    if (name !== undefined) op.name = name
    const applied = await this.#apply(op).catch((error: unknown) => {
      if (error instanceof NotFoundError) assertTurn(turn, 0)
      throw error
    })
    return applied.outcome.kind === 'createBranch' ? applied.outcome.branch.id : ''
  }

  async switchToBranch(branchId: string): Promise<void> {
    // An empty session is on main: switching to it is the no-op it is on every session kind.
    await this.#apply({ kind: 'switchBranch', sessionId: this.sessionId, branchId }).catch((error: unknown) => {
      if (error instanceof NotFoundError && branchId === MAIN_BRANCH) return
      this.#emptyHasNoBranch(branchId)(error)
    })
  }

  async listBranches(): Promise<BranchInfo[]> {
    return branchInfos(await this.#read(async (_tx, state) => detail(state)))
  }

  async getCurrentBranchId(): Promise<string> {
    return (await this.getInfo())?.currentBranchId ?? 'main'
  }

  async deleteBranch(branchId: string): Promise<void> {
    await this.#apply({ kind: 'deleteBranch', sessionId: this.sessionId, branchId }).catch(this.#emptyHasNoBranch(branchId))
  }

  /** Appends `items` and adds `usage` to the newest turn, in one transaction (see {@link UsageTrackingSession.addItemsWithUsage}). */
  async addItemsWithUsage(items: TItem[], usage: UsageTotals): Promise<void> {
    const checked = usageOf({ usage })
    const stored = toStoredItems(items)
    const add: StoreOp = { kind: 'usage', sessionId: this.sessionId, turn: 'newest', usage: checked }
    if (stored.length === 0) await this.#apply(add)
    else await this.#apply({ kind: 'append', sessionId: this.sessionId, items: stored }, add)
  }

  async storeRunUsage(result: RunUsageSource): Promise<void> {
    const usage = usageOf(result)
    // Nothing stored yet: no turn to record it on, as in IndexedDBSession.
    await this.#apply({ kind: 'usage', sessionId: this.sessionId, turn: 'newest', usage })
  }

  async getSessionUsage(options: { branchId?: string } = {}): Promise<UsageTotals> {
    const report = await this.#read((tx, state) => usageReport(tx, state, options.branchId)).catch((error: unknown) => {
      throw error instanceof NotFoundError ? new InvalidArgumentError(error.message) : error
    })
    if (!report) return NO_USAGE
    return options.branchId === undefined ? report.sessionTotal : report.branchTotal
  }

  getTurnUsage(): Promise<Array<{ turn: number; usage: UsageTotals }>>
  getTurnUsage(turn: number): Promise<UsageTotals | undefined>
  async getTurnUsage(turn?: number): Promise<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined> {
    return turnUsageOf(await this.getTurns(), turn)
  }

  /** Sets the title shown in session lists; stored as given. Does nothing before the session has items. */
  async setTitle(title: string): Promise<void> {
    if (typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof title}`)
    await this.#apply({ kind: 'setTitle', sessionId: this.sessionId, title }).catch(absentAs(undefined))
  }

  /** The session's summary, or `undefined` when nothing was stored in it. */
  async getInfo(): Promise<SessionSummary | undefined> {
    return this.#read(async (_tx, state) => detail(state).session)
  }

  /** Deletes the session with every branch, item and usage row; the user's devices learn of it. */
  async deleteSession(): Promise<void> {
    await this.#apply({ kind: 'deleteSession', sessionId: this.sessionId }).catch(absentAs(undefined))
  }

  /** Closes the store when {@link PostgresSession.fromUrl} opened it; otherwise does nothing. */
  async close(): Promise<void> {
    if (ownStores.has(this)) await this.store.close()
  }

  /** Applies `ops` in one transaction; returns the last one's result. */
  async #apply(...ops: [StoreOp, ...StoreOp[]]): Promise<AppliedOp> {
    const applied = await this.#queue.run(() => this.store.applyAll(this.userId, ops.map((op) => ({ op })))).catch((error: unknown) => {
      // The Session API speaks of arguments where the wire speaks of conflicts.
      if (error instanceof ConflictError && (error.reason === 'turn_not_found' || error.reason === 'branch_not_found')) {
        throw new InvalidArgumentError(error.message.replace(/ Nothing was changed\.$/, ''))
      }
      throw error
    })
    return applied[applied.length - 1]!
  }

  #read<T>(read: (tx: SqlClient, state: SessionState) => Promise<T>): Promise<T | undefined> {
    return this.#queue.run(() =>
      this.store.read(async (tx) => {
        const state = await loadSession(tx, this.userId, this.sessionId)
        return state && read(tx, state)
      }),
    )
  }

  #emptyHasNoBranch(branchId: string): (error: unknown) => never {
    return (error) => {
      if (error instanceof NotFoundError) {
        throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty)`)
      }
      throw error
    }
  }
}

/** Sessions made by `fromUrl`, whose store they close. */
const ownStores = new WeakSet<object>()

function absentAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof NotFoundError) return value
    throw error
  }
}

