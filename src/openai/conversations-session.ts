import OpenAI from 'openai'
import { IdbAgentsError, InvalidArgumentError, messageOf } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import { chunkKeepingReasoning, dropDanglingReasoning } from '../items/model-safe.js'
import { isReasoningItem } from '../items/predicates.js'
import { resolveLimit, type Session, type SessionSettings } from '../session/session.js'
import { replaceAll } from '../compaction/compacting-session.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { defaultOpenAIClient } from './client.js'
import { adviceFor, answered, readApiFailure, withoutStatus } from './errors.js'

/** Items per `items.create` call: the API's maximum. */
const CREATE_BATCH = 20
/** Items per `items.list` page: the API's maximum. */
const PAGE_SIZE = 100

/** Options of {@link OpenAIConversationsSession}. */
export interface OpenAIConversationsSessionOptions {
  /**
   * An existing conversation (`conv_…`). One is created on first use when omitted or `null`
   * (as `localStorage.getItem` gives for an id never saved). Never `''`: another session's
   * `sessionId` is `''` until its conversation exists.
   */
  conversationId?: string | null
  /**
   * The `openai` client: direct, or through your proxy (`createOpenAIClient({ baseURL:
   * '/api/openai/v1' })`), which must forward `/v1/conversations`.
   * @default `new OpenAI()` — reads `OPENAI_API_KEY`; outside Node, pass a client
   */
  client?: OpenAI
  /** Default window for `getItems`. */
  settings?: SessionSettings
  /**
   * A local copy of the conversation, e.g. an `IndexedDBSession`, so a chat UI can show the
   * history offline (read the mirror directly; it holds the items as the API returned them,
   * ids included). The API stays the source of truth: each write goes to the API first,
   * then to the mirror. A mirror write that fails does not fail the call (the conversation
   * changed); the mirror is rebuilt from the API before the next write, or by
   * {@link OpenAIConversationsSession.syncMirror}.
   */
  mirror?: Session
  /** Receives mirror failures. @default logs with `console.warn` */
  onMirrorError?: (error: unknown) => void
}

/**
 * A Conversations API call failed. Where a call had already changed the conversation,
 * that change was undone (the message says if undoing failed). `status` is the HTTP status
 * when the API answered; `cause` the `openai` client's error.
 */
export class ConversationError extends IdbAgentsError {
  override name = 'ConversationError'

  /** HTTP status of the failed call, `undefined` for network failures. */
  readonly status: number | undefined

  /** @param message - what failed and what to do; @param status - HTTP status; @param cause - the client's error */
  constructor(message: string, status?: number, cause?: unknown) {
    super('conversation_failed', message, { cause })
    this.status = status
  }
}

/**
 * A session whose history the OpenAI Conversations API holds (the Python SDK's
 * `OpenAIConversationsSession`): `conversations.create` on first use (once, even when
 * several calls start together), `items.list` / `items.create` / `items.delete` after.
 *
 * - `getItems(limit)` keeps `limit` local: it pages newest-first with pages of at most 100
 *   until it has `limit` items, never passing `limit` as the page size (openai-agents-js
 *   #1791).
 * - `addItems` sends at most 20 items per call, never separating a reasoning item from the
 *   item after it, and drops a reasoning item nothing follows, which the API rejects
 *   (openai-agents-js #929, python #1709). A batch split over several calls that fails
 *   midway is rolled back.
 * - `clearSession` deletes the conversation; the next use creates a new one, so
 *   `sessionId` changes. It waits for every call made before it on this object, reads
 *   included (a `getItems` in flight finishes on the old conversation rather than failing
 *   with a 404); calls made after it wait for it.
 *
 * `sessionId` is the conversation id, `''` until it exists; `getSessionId()` creates it.
 */
export class OpenAIConversationsSession implements Session {
  #client: OpenAI | undefined
  readonly #settings: SessionSettings | undefined
  readonly #mirror: Session | undefined
  readonly #onMirrorError: (error: unknown) => void
  #conversationId: string | undefined
  #creating: Promise<string> | undefined
  readonly #writes = new SerialQueue()
  /** Reads not yet settled: a clear waits for those issued before it. */
  readonly #reads = new Set<Promise<unknown>>()
  #mirrorStale = false

  /**
   * @param options - conversation id, client, settings, optional offline mirror
   * @throws {@link InvalidArgumentError} for a `conversationId` that is `''`, or neither a string nor `null`
   */
  constructor(options: OpenAIConversationsSessionOptions = {}) {
    const conversationId = options.conversationId ?? undefined
    if (conversationId !== undefined && (typeof conversationId !== 'string' || conversationId === '')) {
      throw new InvalidArgumentError(
        `conversationId must be the id of an existing conversation (conv_…), got ${JSON.stringify(conversationId) ?? String(conversationId)}. ` +
          "A Conversations session's sessionId is '' until its conversation exists: await its getSessionId() for the id, or leave conversationId out to start a new conversation.",
      )
    }
    this.#client = options.client
    this.#conversationId = conversationId
    this.#settings = options.settings
    this.#mirror = options.mirror
    this.#onMirrorError = options.onMirrorError ?? ((error) => console.warn(`Conversation mirror: ${messageOf(error)}`))
  }

  /** The conversation id; `''` until the conversation is created (see `getSessionId`). */
  get sessionId(): string {
    return this.#conversationId ?? ''
  }

  /**
   * The conversation id, creating the conversation on first use. Waits for the writes made
   * before it: during a `clearSession()` it is the new conversation's id, never the one
   * being deleted.
   */
  async getSessionId(): Promise<string> {
    await this.#writes.settled()
    return this.#ensureConversation()
  }

  /** The newest `limit` items, after every write made before this call (a clear included). */
  async getItems(limit?: number): Promise<AgentItem[]> {
    const count = resolveLimit(limit, this.#settings)
    if (count <= 0) return []
    return this.#read(async () => this.#list(await this.#ensureConversation(), count))
  }

  /**
   * An assistant message as it is sent back to the model: without the `msg_…` id the
   * Conversations API gave it, which the Responses API may refuse when the reasoning item
   * it belongs with is not sent too (as `@openai/agents` and the Python SDK send it).
   * `getItems()` keeps the id (a UI needs it to delete the item).
   */
  prepareHistoryItemForModelInput(item: AgentItem): AgentItem {
    if (item.type !== 'message' || item.role !== 'assistant' || !('id' in item)) return item
    const { id: _id, ...rest } = item
    return rest as AgentItem
  }

  async addItems(items: AgentItem[]): Promise<void> {
    // `items.create` requires an id on a reasoning item it cannot match by its encrypted content.
    const sendable = dropDanglingReasoning(toStoredItems(items)).filter((item) => !isUnreplayableReasoning(item))
    if (sendable.length === 0) return
    await this.#exclusive(async () => {
      const id = await this.#ensureConversation()
      const created: AgentItem[] = []
      try {
        for (const batch of chunkKeepingReasoning(sendable, CREATE_BATCH)) {
          const page = await this.#api().conversations.items.create(id, { items: batch as unknown as OpenAI.Responses.ResponseInputItem[] })
          created.push(...(page.data as unknown as AgentItem[]))
        }
      } catch (error) {
        const undone = await this.#deleteAll(id, created)
        throw toConversationError(error, 'adding items', undone ? '' : ' Some items of this batch were stored and could not be removed; reload the conversation.')
      }
      await this.#toMirror((mirror) => mirror.addItems(created))
    })
  }

  async popItem(): Promise<AgentItem | undefined> {
    return this.#exclusive(async () => {
      const id = await this.#ensureConversation()
      // Another object (a tab, a device) may remove the same newest item first: its delete
      // is then a 404, and the item now newest is the one to pop. Each item is popped once.
      let refused: string | undefined
      for (;;) {
        const [newest] = await this.#list(id, 1)
        if (newest === undefined) return undefined
        const itemId = (newest as { id?: unknown }).id
        // A proxy or another implementation of the API may list items without ids, or keep
        // listing one its delete says is gone: popping would then never end.
        if (typeof itemId !== 'string' || itemId === '' || itemId === refused) {
          throw new ConversationError(
            `The Conversations API ${typeof itemId === 'string' && itemId !== '' ? `still lists item ${itemId} after answering 404 to its removal` : 'listed the newest item without an id'}, so it cannot be popped; nothing was removed. Check that the proxy forwards /v1/conversations unchanged.`,
          )
        }
        try {
          await this.#api().conversations.items.delete(itemId, { conversation_id: id })
        } catch (error) {
          if (error instanceof OpenAI.APIError && error.status === 404) {
            refused = itemId
            continue
          }
          throw toConversationError(error, 'removing the newest item')
        }
        await this.#toMirror((mirror) => mirror.popItem())
        return newest
      }
    })
  }

  /**
   * Deletes the conversation; the next use creates a new one. Waits for the calls made
   * before it on this object, reads included.
   */
  async clearSession(): Promise<void> {
    const readsBefore = [...this.#reads]
    await this.#exclusive(async () => {
      await Promise.all(readsBefore)
      const id = this.#conversationId ?? (await this.#creating?.catch(() => undefined))
      if (id !== undefined) {
        try {
          await this.#api().conversations.delete(id)
        } catch (error) {
          if (!(error instanceof OpenAI.APIError && error.status === 404)) throw toConversationError(error, 'deleting the conversation')
        }
      }
      this.#conversationId = undefined
      this.#creating = undefined
      if (this.#mirror) {
        await this.#mirror.clearSession().then(
          () => (this.#mirrorStale = false),
          (error: unknown) => this.#mirrorFailed(error),
        )
      }
    })
  }

  /**
   * Rebuilds the mirror from the API (all items, oldest first), after the writes made
   * before it; writes and clears made after it wait for it.
   */
  async syncMirror(): Promise<void> {
    if (!this.#mirror) return
    await this.#exclusive(() => this.#syncMirror())
  }

  async #syncMirror(): Promise<void> {
    if (!this.#mirror) return
    const id = await this.#ensureConversation()
    await replaceAll(this.#mirror, await this.#list(id, Infinity))
    this.#mirrorStale = false
  }

  /** The newest `count` items oldest first, in pages of at most 100. */
  async #list(id: string, count: number): Promise<AgentItem[]> {
    const all = count === Infinity
    const items: AgentItem[] = []
    let after: string | undefined
    try {
      for (;;) {
        const pageSize = all ? PAGE_SIZE : Math.min(PAGE_SIZE, count - items.length)
        const page = await this.#api().conversations.items.list(id, {
          order: all ? 'asc' : 'desc',
          limit: pageSize,
          ...(after !== undefined && { after }),
        })
        items.push(...(page.data as unknown as AgentItem[]))
        if (!page.has_more || page.data.length === 0 || (!all && items.length >= count)) break
        after = page.last_id
      }
    } catch (error) {
      throw toConversationError(error, 'reading the conversation')
    }
    return all ? items : items.slice(0, count).reverse()
  }

  #ensureConversation(): Promise<string> {
    if (this.#conversationId !== undefined) return Promise.resolve(this.#conversationId)
    this.#creating ??= this.#api()
      .conversations.create({})
      .then(
        (conversation) => (this.#conversationId = conversation.id),
        (error: unknown) => {
          this.#creating = undefined // the next call tries again
          throw toConversationError(error, 'creating the conversation')
        },
      )
    return this.#creating
  }

  /** Deletes `items` (just created); true when all are gone. */
  async #deleteAll(id: string, items: readonly AgentItem[]): Promise<boolean> {
    let ok = true
    for (const item of items) {
      await this.#api()
        .conversations.items.delete(String(item.id), { conversation_id: id })
        .catch(() => (ok = false))
    }
    return ok
  }

  async #toMirror(write: (mirror: Session) => Promise<unknown>): Promise<void> {
    if (!this.#mirror) return
    try {
      if (this.#mirrorStale) await this.#syncMirror()
      else await write(this.#mirror)
    } catch (error) {
      this.#mirrorFailed(error)
    }
  }

  #mirrorFailed(error: unknown): void {
    this.#mirrorStale = true
    this.#onMirrorError(error)
  }

  #api(): OpenAI {
    return (this.#client ??= defaultOpenAIClient(
      (cause) =>
        new ConversationError(
          "No OpenAI client for the Conversations API: pass one, e.g. new OpenAIConversationsSession({ client: createOpenAIClient({ baseURL: '/api/openai/v1' }) }).",
          undefined,
          cause,
        ),
    ))
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#writes.run(task)
  }

  /** Runs `task` after the writes made before it; a clear made after it waits for it. */
  #read<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#writes.settled().then(task)
    const settled = result.then(
      () => undefined,
      () => undefined,
    )
    this.#reads.add(settled)
    void settled.then(() => this.#reads.delete(settled))
    return result
  }
}

function toConversationError(error: unknown, action: string, extra = ''): ConversationError {
  if (error instanceof ConversationError) return error
  const failure = readApiFailure(error)
  switch (failure.kind) {
    case 'connection':
    case 'timeout':
      return new ConversationError(
        `The Conversations API could not be reached while ${action} (offline, or the proxy URL or its CORS headers are wrong). Nothing was changed; retry when online.${extra}`,
        undefined,
        error,
      )
    case 'http':
      return new ConversationError(
        `The Conversations API ${answered(failure.status)} while ${action}: ${withoutStatus(failure.status, failure.detail)}. ${adviceFor(failure.status, {
          notFound: "The conversation does not exist (deleted, or another project's id); start a new session or check the proxy forwards /v1/conversations.",
          badRequest: 'Check the items sent.',
        })}${extra}`,
        failure.status,
        error,
      )
    default:
      return new ConversationError(`The Conversations API call failed while ${action}: ${'detail' in failure ? failure.detail : messageOf(error)}.${extra}`, undefined, error)
  }
}

/** A reasoning item with neither an `id` nor `encrypted_content`: `items.create` refuses it. */
function isUnreplayableReasoning(item: AgentItem): boolean {
  return isReasoningItem(item) && typeof item.id !== 'string' && typeof item.encrypted_content !== 'string'
}
