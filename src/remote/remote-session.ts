import { InvalidArgumentError } from '../errors.js'
import { branchInfos } from './branch-infos.js'
import { isUserMessage } from '../items/predicates.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import { assertTurn, turnUsageOf, type BranchInfo, type BranchingSession, type UsageTrackingSession } from '../session/capabilities.js'
import { assertSessionId, resolveLimit, type SessionSettings } from '../session/session.js'
import { findInTurns, listTurns, type TimedItem, type TurnInfo, type TurnMatch } from '../session/turns.js'
import { NO_USAGE, usageOf, type RunUsageSource, type UsageTotals } from '../session/usage.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { errorOf, SyncClient, type SyncClientOptions } from './client.js'
import { ConflictError, NotFoundError, SyncOfflineError } from './errors.js'
import type { OpResult, SessionSummary, SyncOp } from './protocol.js'
import { newOpId } from './op-id.js'

/** Options of {@link RemoteSession}: where the sync server is, and default settings. */
export interface RemoteSessionOptions extends SyncClientOptions {
  /** Default window for `getItems`. */
  settings?: SessionSettings
}

const NOT_STORED = 'Nothing of this call was stored on the server.'

/**
 * A session held only on the sync server (`idb-agents/server`): every call is a request,
 * nothing is kept on the device. For a device that must not keep history, or to read a
 * session an agent on the server writes. It branches and records usage like
 * `IndexedDBSession`; writes are idempotent pushes, so a retried call never stores twice.
 * Calls on one object take effect in the order they were made, as on every other session
 * kind (requests sent at once could otherwise be applied in any order by the server).
 *
 * ```ts
 * const session = new RemoteSession('chat-1', { url: 'https://example.com/sync', headers: { authorization: `Bearer ${token}` } })
 * ```
 *
 * @throws {@link SyncUnauthorizedError} (401/403), {@link SyncOfflineError} (no answer),
 *   {@link SyncError} (413, 5xx) from any method; {@link InvalidItemError} and
 *   {@link InvalidArgumentError} as every session does
 */
export class RemoteSession<TItem = AgentItem> implements BranchingSession<TItem>, UsageTrackingSession<TItem> {
  readonly sessionId: string
  /** The client this session talks through. */
  readonly client: SyncClient
  readonly #settings: SessionSettings | undefined
  /** Orders this object's requests: each call's requests are sent after those of the calls made before it. */
  readonly #queue = new SerialQueue()

  /**
   * @param sessionId - the conversation's id within the signed-in user's sessions
   * @param options - `url` of the sync handler (without `/v1`), `headers`, `fetch`, settings
   * @throws {@link InvalidArgumentError} for an empty id or a bad `url`
   */
  constructor(sessionId: string, options: RemoteSessionOptions) {
    assertSessionId(sessionId)
    this.sessionId = sessionId
    this.client = new SyncClient(options)
    this.#settings = options.settings
  }

  async getSessionId(): Promise<string> {
    return this.sessionId
  }

  async getItems(limit?: number): Promise<TItem[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    const page = await this.#queue.run(() => this.client.items(this.sessionId, count === Infinity ? {} : { limit: count })).catch(absentAs(undefined))
    return page ? page.items.map((entry) => entry.item as TItem) : []
  }

  async addItems(items: TItem[]): Promise<void> {
    const stored = toStoredItems(items)
    if (stored.length === 0) return
    await this.#push({ kind: 'append', items: stored })
  }

  async popItem(): Promise<TItem | undefined> {
    // The read and the pop are one step of this object's order.
    return this.#queue.run(() => this.#popNow())
  }

  async #popNow(): Promise<TItem | undefined> {
    for (;;) {
      const page = await this.client.items(this.sessionId, { limit: 1 }).catch(absentAs(undefined))
      const newest = page?.items[0]
      if (!page || !newest) return undefined
      try {
        await this.#pushNow([{ kind: 'pop', branchId: page.branchId, seq: newest.seq, opId: newOpId(), sessionId: this.sessionId }])
        return newest.item as TItem
      } catch (error) {
        // Another writer popped or appended first: read the newest again.
        if (error instanceof ConflictError && error.reason === 'not_newest') continue
        if (error instanceof NotFoundError) return undefined
        throw error
      }
    }
  }

  async clearSession(): Promise<void> {
    await this.#push({ kind: 'clear' }).catch(absentAs(undefined))
  }

  async getTimedItems(): Promise<TimedItem<TItem>[]> {
    return (await this.#timed()) as TimedItem<TItem>[]
  }

  async getTurns(): Promise<TurnInfo[]> {
    return listTurns(await this.#timed())
  }

  async findTurns(text: string): Promise<TurnMatch[]> {
    if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}.`)
    return findInTurns(await this.#timed(), text)
  }

  async createBranchFromTurn(turn: number, name?: string): Promise<string> {
    const branchId = `branch-${newOpId().slice(0, 8)}`
    const op: DistributiveOmit<SyncOp, 'opId' | 'sessionId'> = name === undefined ? { kind: 'createBranch', branchId, fromTurn: turn } : { kind: 'createBranch', branchId, fromTurn: turn, name }
    if (!Number.isInteger(turn) || turn < 1) assertTurn(turn, 0)
    await this.#push(op).catch((error: unknown) => {
      if (error instanceof NotFoundError) assertTurn(turn, 0)
      throw error
    })
    return branchId
  }

  async switchToBranch(branchId: string): Promise<void> {
    if (typeof branchId !== 'string') throw new InvalidArgumentError(`switchToBranch expects a branch id string, got ${typeof branchId}.`)
    await this.#push({ kind: 'switchBranch', branchId }).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error
      if (branchId !== 'main') throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty).`)
    })
  }

  async listBranches(): Promise<BranchInfo[]> {
    return branchInfos(await this.#queue.run(() => this.client.session(this.sessionId)).catch(absentAs(undefined)))
  }

  async getCurrentBranchId(): Promise<string> {
    return (await this.getInfo())?.currentBranchId ?? 'main'
  }

  async deleteBranch(branchId: string): Promise<void> {
    await this.#push({ kind: 'deleteBranch', branchId }).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${branchId}" (it is empty).`)
      throw error
    })
  }

  async storeRunUsage(result: RunUsageSource): Promise<void> {
    const usage = usageOf(result)
    const items = await this.#queue.run(() => this.client.items(this.sessionId)).catch(absentAs(undefined))
    let seq: number | null = null
    for (const entry of items?.items ?? []) if (isUserMessage(entry.item)) seq = entry.seq
    await this.#push({ kind: 'usage', turn: seq === null ? null : { seq }, usage })
  }

  /** Appends `items`, then adds `usage` to the newest turn, in one push. */
  async addItemsWithUsage(items: TItem[], usage: UsageTotals): Promise<void> {
    const checked = usageOf({ usage })
    const stored = toStoredItems(items)
    let index = -1
    stored.forEach((item, i) => {
      if (isUserMessage(item)) index = i
    })
    if (index < 0) {
      await this.addItems(items)
      return this.storeRunUsage({ usage: checked })
    }
    const appendId = newOpId()
    await this.#pushAll([
      { opId: appendId, sessionId: this.sessionId, kind: 'append', items: stored },
      { opId: newOpId(), sessionId: this.sessionId, kind: 'usage', turn: { opId: appendId, index }, usage: checked },
    ])
  }

  async getSessionUsage(options: { branchId?: string } = {}): Promise<UsageTotals> {
    const report = await this.#queue.run(() => this.client.usage(this.sessionId, options.branchId)).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error
      if (options.branchId !== undefined && options.branchId !== 'main') throw new InvalidArgumentError(`Session "${this.sessionId}" has no branch "${options.branchId}".`)
      return undefined
    })
    if (!report) return NO_USAGE
    return options.branchId === undefined ? report.sessionTotal : report.branchTotal
  }

  getTurnUsage(): Promise<Array<{ turn: number; usage: UsageTotals }>>
  getTurnUsage(turn: number): Promise<UsageTotals | undefined>
  async getTurnUsage(turn?: number): Promise<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined> {
    return turnUsageOf(await this.getTurns(), turn)
  }

  /** Sets the title shown in session lists; does nothing before the session has items. */
  async setTitle(title: string): Promise<void> {
    if (typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof title}.`)
    await this.#push({ kind: 'setTitle', title }).catch(absentAs(undefined))
  }

  /** The session's summary on the server, or `undefined` when nothing was stored in it. */
  async getInfo(): Promise<SessionSummary | undefined> {
    return (await this.#queue.run(() => this.client.session(this.sessionId)).catch(absentAs(undefined)))?.session
  }

  /** Deletes the session on the server; the user's devices learn of it. */
  async deleteSession(): Promise<void> {
    await this.#push({ kind: 'deleteSession' }).catch(absentAs(undefined))
  }

  async #timed(): Promise<TimedItem[]> {
    const [items, report] = await this.#queue.run(() =>
      Promise.all([this.client.items(this.sessionId).catch(absentAs(undefined)), this.client.usage(this.sessionId).catch(absentAs(undefined))]),
    )
    const bySeq = new Map(report?.turns.map((turn) => [turn.seq, turn.usage]))
    return (items?.items ?? []).map((entry) => ({ item: entry.item, createdAt: entry.createdAt, usage: bySeq.get(entry.seq) }))
  }

  #push(op: DistributiveOmit<SyncOp, 'opId' | 'sessionId'>): Promise<OpResult> {
    return this.#pushAll([{ ...op, opId: newOpId(), sessionId: this.sessionId } as SyncOp]).then((results) => results[0]!)
  }

  #pushAll(ops: SyncOp[]): Promise<OpResult[]> {
    return this.#queue.run(() => this.#pushNow(ops))
  }

  async #pushNow(ops: SyncOp[]): Promise<OpResult[]> {
    const { status, body } = await sendWithRetries(this.client, ops)
    if (!body.error) return body.results
    const error = errorOf(status, { error: body.error }, body.results.length > 0 ? 'The ops before it were stored.' : NOT_STORED)
    if (error instanceof ConflictError && (error.reason === 'turn_not_found' || error.reason === 'branch_not_found' || error.reason === 'branch_exists')) {
      throw new InvalidArgumentError(error.message.replace(/ Nothing of this call was stored on the server\.$/, ''))
    }
    throw error
  }
}

/**
 * Sends `ops`, again with the same op ids when no answer came (the server applies an op id
 * once, so a push that landed before its answer was lost is not stored twice).
 */
async function sendWithRetries(client: SyncClient, ops: SyncOp[]): ReturnType<SyncClient['push']> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.push(ops, NOT_STORED)
    } catch (error) {
      if (!(error instanceof SyncOfflineError)) throw error
      if (attempt === PUSH_ATTEMPTS) {
        throw new SyncOfflineError(
          `The sync server at ${client.url} did not answer ${PUSH_ATTEMPTS} tries of this call, so it may or may not have stored it. ` +
            'Read the session (getItems) before making the same change again.',
          error,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt))
    }
  }
}

const PUSH_ATTEMPTS = 3

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

function absentAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof NotFoundError) return value
    throw error
  }
}
