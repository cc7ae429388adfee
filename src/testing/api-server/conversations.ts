// The `/v1/conversations` endpoints of the test server, per script: create, retrieve,
// delete, and items create / list (order, after, limit) / retrieve / delete, with the
// API's limits (20 items per create, page size 1–100) and error bodies.
import type { JsonObject, JsonValue } from '../../items/types.js'
import type { IdMaker } from '../script.js'
import { apiError, asItems, checkReasoningFollowers, toStoredMessage, type WireResult } from './wire-items.js'

interface Conversation {
  id: string
  created_at: number
  metadata: JsonValue
  items: JsonObject[]
}

/** The route names of the Conversations endpoints (used to script failures). */
export type ConversationsRoute =
  | 'conversations.create'
  | 'conversations.retrieve'
  | 'conversations.delete'
  | 'conversations.items.create'
  | 'conversations.items.list'
  | 'conversations.items.retrieve'
  | 'conversations.items.delete'

/** Which Conversations route `method` and `parts` (after `/v1/conversations`) name, if any. */
export function conversationsRoute(method: string, parts: readonly string[]): ConversationsRoute | undefined {
  const [id, sub, itemId, extra] = parts
  if (extra !== undefined) return undefined
  if (id === undefined) return method === 'POST' ? 'conversations.create' : undefined
  if (sub === undefined) return method === 'GET' ? 'conversations.retrieve' : method === 'DELETE' ? 'conversations.delete' : undefined
  if (sub !== 'items') return undefined
  if (itemId === undefined) return method === 'POST' ? 'conversations.items.create' : method === 'GET' ? 'conversations.items.list' : undefined
  return method === 'GET' ? 'conversations.items.retrieve' : method === 'DELETE' ? 'conversations.items.delete' : undefined
}

/** One script's conversations. */
export class ConversationStore {
  readonly #conversations = new Map<string, Conversation>()

  constructor(readonly ids: IdMaker) {}

  /** Conversations created so far (deleted ones included), for tests to inspect. */
  created = 0

  /** Serves one Conversations request. */
  handle(route: ConversationsRoute, parts: readonly string[], query: URLSearchParams, body: JsonObject): WireResult {
    const [id = '', , itemId = ''] = parts
    if (route === 'conversations.create') return this.#create(body)
    const conversation = this.#conversations.get(id)
    if (!conversation) return apiError(404, `Conversation with id '${id}' not found.`, null, 'not_found')
    switch (route) {
      case 'conversations.retrieve':
        return { status: 200, json: describe(conversation) }
      case 'conversations.delete':
        this.#conversations.delete(id)
        return { status: 200, json: { id, object: 'conversation.deleted', deleted: true } }
      case 'conversations.items.create':
        return this.#add(conversation, body)
      case 'conversations.items.list':
        return list(conversation, query)
      case 'conversations.items.retrieve': {
        const item = conversation.items.find((candidate) => candidate.id === itemId)
        return item ? { status: 200, json: item } : apiError(404, `Item with id '${itemId}' not found.`, null, 'not_found')
      }
      case 'conversations.items.delete': {
        const at = conversation.items.findIndex((candidate) => candidate.id === itemId)
        if (at < 0) return apiError(404, `Item with id '${itemId}' not found.`, null, 'not_found')
        conversation.items.splice(at, 1)
        return { status: 200, json: describe(conversation) }
      }
    }
  }

  #create(body: JsonObject): WireResult {
    const conversation: Conversation = {
      id: this.ids.next('conv'),
      created_at: Math.floor(Date.now() / 1000),
      metadata: body.metadata ?? {},
      items: [],
    }
    if (body.items !== undefined && body.items !== null) {
      const added = this.#add(conversation, body)
      if (added.status !== 200) return added
    }
    this.#conversations.set(conversation.id, conversation)
    this.created += 1
    return { status: 200, json: describe(conversation) }
  }

  #add(conversation: Conversation, body: JsonObject): WireResult {
    if (!Array.isArray(body.items) || body.items.length === 0) return apiError(400, "Invalid 'items': expected a non-empty array.", 'items', 'invalid_value')
    if (body.items.length > 20) {
      return apiError(400, `Invalid 'items': array too long. Expected an array with maximum length 20, but got an array with length ${body.items.length} instead.`, 'items', 'array_above_max_length')
    }
    const items = asItems(body.items)
    if (items.length !== body.items.length || items.some((item) => typeof item.type !== 'string' && typeof item.role !== 'string')) {
      return apiError(400, "Invalid 'items': each item needs a 'type' or a 'role'.", 'items', 'invalid_value')
    }
    const invalid = checkReasoningFollowers(items)
    if (invalid) return invalid
    const stored = items.map((item) => toStoredMessage(item, this.ids))
    conversation.items.push(...stored)
    return { status: 200, json: page(stored, false) }
  }
}

function describe(conversation: Conversation): JsonObject {
  return { id: conversation.id, object: 'conversation', created_at: conversation.created_at, metadata: conversation.metadata }
}

function list(conversation: Conversation, query: URLSearchParams): WireResult {
  const order = query.get('order') ?? 'desc'
  if (order !== 'asc' && order !== 'desc') return apiError(400, `Invalid 'order': expected 'asc' or 'desc', got '${order}'.`, 'order', 'invalid_value')
  const limit = Number(query.get('limit') ?? 20)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return apiError(400, `Invalid 'limit': integer below minimum value or above maximum value. Expected a value between 1 and 100, got ${query.get('limit')}.`, 'limit', 'integer_out_of_range')
  }
  const ordered = order === 'asc' ? conversation.items : [...conversation.items].reverse()
  let start = 0
  const after = query.get('after')
  if (after !== null) {
    const at = ordered.findIndex((item) => item.id === after)
    if (at < 0) return apiError(400, `Invalid 'after': no item with id '${after}' in this conversation.`, 'after', 'invalid_value')
    start = at + 1
  }
  const data = ordered.slice(start, start + limit)
  return { status: 200, json: page(data, start + limit < ordered.length) }
}

function page(data: JsonObject[], hasMore: boolean): JsonObject {
  return {
    object: 'list',
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
    has_more: hasMore,
  }
}
