// OpenAIConversationsSession as the Python and JavaScript Agents SDKs test it (lazy creation,
// empty batches, pops, clears that fail or race), ported to the local API server: the
// `openai` client talks HTTP to it, as it would to a proxy.
import { describe, expect, inject, it } from 'vitest'
import { ConversationError, createOpenAIClient, OpenAIConversationsSession, type AgentItem } from '../../src/index.js'
import { createServerScript, type ServerScript } from '../../src/testing/index.js'
import { deferred, storedTexts, user } from './support/items.js'

const serverUrl = inject('apiServerUrl')
const urlOf = (input: RequestInfo | URL) => (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)

async function setup(fetchFn?: typeof fetch) {
  const script = await createServerScript(serverUrl, [])
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0, ...(fetchFn && { fetch: fetchFn }) })
  return { script, client }
}
/** `METHOD path` of every call the server received, in order. */
const calls = async (script: ServerScript) => (await script.requests()).map((r) => `${r.method} ${r.path.split('?')[0]!.replace(/conv_[\w]+/, 'C').replace(/\/items\/[\w]+$/, '/items/I')}`)

/** A `fetch` that holds the first request `match` accepts until `release`, then answers it with `answer` or the server. */
function holdFirst(match: (method: string, url: string) => boolean, answer?: () => Response) {
  const reached = deferred()
  const gate = deferred()
  let held = false
  const fetchFn: typeof fetch = async (input, init) => {
    if (!held && match(init?.method ?? 'GET', urlOf(input))) {
      held = true
      reached.resolve()
      await gate.promise
      if (answer) return answer()
    }
    return fetch(input, init)
  }
  return { fetch: fetchFn, reached: reached.promise, release: () => gate.resolve() }
}

describe('OpenAIConversationsSession (ported)', () => {
  // python tests/memory/test_openai_conversations_session.py::test_get_items_zero_limit_returns_empty_without_api_call
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'returns an empty array for non-positive limits without listing items'
  it('answers a zero or negative limit with [] and no API call', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    expect(await session.getItems(0)).toEqual([])
    expect(await session.getItems(-1)).toEqual([])
    expect(await calls(script)).toEqual([])
  })

  // python tests/memory/test_openai_conversations_session.py::test_add_items_empty_does_not_create_session
  // python tests/memory/test_openai_conversations_session.py::test_add_items_empty_keeps_existing_session_id
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'skips addItems when no items are provided'
  it('creates nothing for an empty batch, and keeps an existing id', async () => {
    const { script, client } = await setup()
    const fresh = new OpenAIConversationsSession({ client })
    await fresh.addItems([])
    expect(fresh.sessionId).toBe('')
    const existing = await client.conversations.create({})
    const named = new OpenAIConversationsSession({ client, conversationId: existing.id })
    await named.addItems([])
    expect(named.sessionId).toBe(existing.id)
    expect(await calls(script)).toEqual(['POST /v1/conversations'])
  })

  // python tests/memory/test_openai_conversations_session.py::test_add_items_creates_session_id
  // python tests/memory/test_openai_conversations_session.py::test_add_items_simple
  it('creates the conversation on the first add, then sends the items to it', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    const items: AgentItem[] = [user('Hello'), { role: 'assistant', content: 'Hi there!' }]
    await session.addItems(items)
    expect(session.sessionId).toMatch(/^conv_/)
    expect(await calls(script)).toEqual(['POST /v1/conversations', 'POST /v1/conversations/C/items'])
    expect((await script.requests())[1]!.body).toEqual({ items })
  })

  // python tests/memory/test_openai_conversations_session.py::test_get_session_id_with_existing_id
  // python tests/memory/test_openai_conversations_session.py::test_session_id_lazy_creation_consistency
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'shares one lazy conversation across concurrent getSessionId calls'
  it('creates one conversation for many getSessionId calls, and none for a given id', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    const ids = await Promise.all([session.getSessionId(), session.getSessionId()])
    ids.push(await session.getSessionId())
    expect(new Set(ids).size).toBe(1)
    expect(session.sessionId).toBe(ids[0])
    const named = new OpenAIConversationsSession({ client, conversationId: 'conv_given' })
    expect(await named.getSessionId()).toBe('conv_given')
    expect(await calls(script)).toEqual(['POST /v1/conversations'])
  })

  // python tests/memory/test_openai_conversations_session.py::test_pop_item_empty_session
  // python tests/memory/test_openai_conversations_session.py::test_pop_item_with_items
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'popItem returns undefined when no items are available'
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'popItem deletes the newest converted item'
  it('pops nothing from an empty conversation, else deletes the newest item by its id', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    expect(await session.popItem()).toBeUndefined()
    expect((await calls(script)).filter((c) => c.startsWith('DELETE'))).toEqual([])
    await session.addItems([user('first'), user('latest')])
    const popped = await session.popItem()
    expect(popped).toMatchObject({ role: 'user', content: [{ text: 'latest' }] })
    const deletes = (await script.requests()).filter((r) => r.method === 'DELETE')
    expect(deletes.map((r) => r.path)).toEqual([`/v1/conversations/${session.sessionId}/items/${String(popped!.id)}`])
    expect(await storedTexts(session)).toEqual(['first'])
  })

  // python tests/memory/test_openai_conversations_session.py::test_clear_session_uninitialized_does_not_create_session
  // python tests/memory/test_openai_conversations_session.py::test_clear_session_uninitialized_no_api_calls_on_create_failure
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'clearSession is a no-op before a conversation is created'
  it('clears a never-created conversation without any API call', async () => {
    const { script, client } = await setup()
    await script.failNext('conversations.create', { status: 500 })
    const session = new OpenAIConversationsSession({ client })
    await session.clearSession()
    expect(session.sessionId).toBe('')
    expect(await calls(script)).toEqual([])
  })

  // python tests/memory/test_openai_conversations_session.py::test_clear_session
  // python tests/memory/test_openai_conversations_session.py::test_clear_session_failed_delete_retains_session_id
  // python tests/memory/test_openai_conversations_session.py::test_clear_session_retry_after_failed_delete
  // python tests/memory/test_openai_conversations_session.py::test_api_failure_during_clear_session
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'retains and retries the same conversation ID after delete failure'
  it('keeps the id when deleting fails, and the retry deletes that same conversation', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    await session.addItems([user('kept until cleared')])
    const id = session.sessionId
    await script.failNext('conversations.delete', { status: 500, message: 'Transient delete error' })
    const error = await session.clearSession().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConversationError)
    expect(error).toMatchObject({ code: 'conversation_failed', status: 500 })
    expect(session.sessionId).toBe(id)
    expect(await storedTexts(session)).toEqual(['kept until cleared'])
    await session.clearSession()
    expect(session.sessionId).toBe('')
    const deletes = (await script.requests()).filter((r) => r.method === 'DELETE').map((r) => r.path)
    expect(deletes).toEqual([`/v1/conversations/${id}`, `/v1/conversations/${id}`])
    expect((await calls(script)).filter((c) => c === 'POST /v1/conversations')).toHaveLength(1)
  })

  // python tests/memory/test_openai_conversations_session.py::test_api_failure_during_conversation_creation
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'retries lazy creation after a create failure'
  it('reports a failed creation as ConversationError and creates again on the next call', async () => {
    const { script, client } = await setup()
    await script.failNext('conversations.create', { status: 500, message: 'API Error' })
    const session = new OpenAIConversationsSession({ client })
    const error = await session.getSessionId().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConversationError)
    expect((error as Error).message).toMatch(/creating the conversation/)
    expect(session.sessionId).toBe('')
    expect(await session.getSessionId()).toMatch(/^conv_/)
    expect((await calls(script)).filter((c) => c === 'POST /v1/conversations')).toHaveLength(2)
  })

  // python tests/memory/test_openai_conversations_session.py::test_concurrent_first_write_recovers_after_creation_failure
  it('lets a second first-writer create the conversation after the first one failed to', async () => {
    const { script, client } = await setup()
    await script.failNext('conversations.create', { status: 500, message: 'Conversation creation failed' })
    const session = new OpenAIConversationsSession({ client })
    const [failed, surviving] = await Promise.allSettled([session.addItems([user('Failed writer')]), session.addItems([user('Surviving writer')])])
    expect(failed.status).toBe('rejected')
    expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(ConversationError)
    expect(surviving.status).toBe('fulfilled')
    expect(await storedTexts(session)).toEqual(['Surviving writer'])
    expect((await calls(script)).filter((c) => c === 'POST /v1/conversations')).toHaveLength(2)
  })

  // python tests/memory/test_openai_conversations_session.py::test_concurrent_first_writes_share_one_conversation
  it('puts concurrent first writes into one conversation', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    await Promise.all([session.addItems([user('First message')]), session.addItems([user('Second message')])])
    expect((await calls(script)).filter((c) => c === 'POST /v1/conversations')).toHaveLength(1)
    expect(await storedTexts(session)).toEqual(['First message', 'Second message'])
  })

  // python tests/memory/test_openai_conversations_session.py::test_api_failure_during_add_items
  it('reports a failed add as ConversationError and stores nothing of it', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    await session.addItems([user('before')])
    await script.failNext('conversations.items.create', { status: 400, message: 'Add items failed' })
    const error = await session.addItems([user('Hello')]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConversationError)
    expect(error).toMatchObject({ status: 400 })
    expect(await storedTexts(session)).toEqual(['before'])
  })

  // python tests/memory/test_openai_conversations_session.py::test_multiple_sessions_different_conversation_ids
  it('keeps two conversations apart', async () => {
    const { client } = await setup()
    const one = new OpenAIConversationsSession({ client, conversationId: (await client.conversations.create({})).id })
    const two = new OpenAIConversationsSession({ client, conversationId: (await client.conversations.create({})).id })
    await one.addItems([user('Session 1 message')])
    await two.addItems([user('Session 2 message')])
    expect(await storedTexts(one)).toEqual(['Session 1 message'])
    expect(await storedTexts(two)).toEqual(['Session 2 message'])
  })

  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'waits for an in-flight lazy %s operation before clearing' (addItems, popItem)
  it.each(['addItems', 'popItem'] as const)('runs a clear issued during a lazy %s after it, on the conversation it created', async (operation) => {
    const held = holdFirst((method, url) => /\/items/.test(url) && (operation === 'addItems' ? method === 'POST' : method === 'GET'))
    const { script, client } = await setup(held.fetch)
    const session = new OpenAIConversationsSession({ client })
    const pending = operation === 'addItems' ? session.addItems([user('hello')]) : session.popItem()
    await held.reached
    const created = session.sessionId
    const clear = session.clearSession()
    expect((await calls(script)).filter((c) => c.startsWith('DELETE'))).toEqual([])
    held.release()
    await pending
    await clear
    const deletes = (await script.requests()).filter((r) => r.method === 'DELETE').map((r) => r.path)
    expect(deletes.at(-1)).toBe(`/v1/conversations/${created}`)
    expect(session.sessionId).toBe('')
  })

  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'releases a queued clear when an active item operation fails'
  it('runs a queued clear after an add that fails', async () => {
    const failure = () =>
      new Response(JSON.stringify({ error: { message: 'Item failed', type: 'server_error' } }), { status: 500, headers: { 'content-type': 'application/json' } })
    const held = holdFirst((method, url) => method === 'POST' && url.endsWith('/items'), failure)
    const { script, client } = await setup(held.fetch)
    const existing = await client.conversations.create({})
    const session = new OpenAIConversationsSession({ client, conversationId: existing.id })
    const add = session.addItems([user('hello')])
    await held.reached
    const clear = session.clearSession()
    held.release()
    await expect(add).rejects.toBeInstanceOf(ConversationError)
    await clear
    expect((await script.requests()).filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/v1/conversations/${existing.id}`])
    expect(session.sessionId).toBe('')
  })

  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'drops reasoning items that Conversations cannot persist'
  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'preserves reasoning identity and encrypted content when adding items'
  it('leaves out a reasoning item with neither id nor encrypted content, and sends one that has either', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client, conversationId: (await client.conversations.create({})).id })
    const answer: AgentItem = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi', annotations: [] }] }
    const withId: AgentItem = { type: 'reasoning', id: 'rs_kept', summary: [] }
    const encrypted: AgentItem = { type: 'reasoning', summary: [], encrypted_content: 'opaque' }
    await session.addItems([user('hello'), { type: 'reasoning', summary: [] }, answer, withId, answer, encrypted, answer])
    const creates = (await script.requests()).filter((r) => r.method === 'POST' && r.path.endsWith('/items')).map((r) => r.body)
    expect(creates).toEqual([{ items: [user('hello'), answer, withId, answer, encrypted, answer] }])
  })

  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'skips the Conversations write when every item is unpersistable'
  it('makes no API call, not even to create the conversation, when every item is such a reasoning item', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    await session.addItems([{ type: 'reasoning', summary: [] }])
    expect(await calls(script)).toEqual([])
    expect(session.sessionId).toBe('')
  })

  // js packages/agents-openai/test/openaiConversationsSession.test.ts: 'handles a conversation lifecycle across list, add, pop, and clear'
  it('goes through list, add, pop and clear with the expected API calls', async () => {
    const { script, client } = await setup()
    const session = new OpenAIConversationsSession({ client })
    expect(await session.getItems()).toEqual([])
    await session.addItems([{ role: 'user', content: [{ type: 'input_text', text: 'follow-up' }] }])
    const popped = await session.popItem()
    expect(popped).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'follow-up' }] })
    await session.clearSession()
    expect(await calls(script)).toEqual([
      'POST /v1/conversations',
      'GET /v1/conversations/C/items',
      'POST /v1/conversations/C/items',
      'GET /v1/conversations/C/items',
      'DELETE /v1/conversations/C/items/I',
      'DELETE /v1/conversations/C',
    ])
    const lists = (await script.requests()).filter((r) => r.method === 'GET').map((r) => new URLSearchParams(r.path.split('?')[1]))
    expect(lists.map((q) => [q.get('order'), q.get('limit')])).toEqual([
      ['asc', '100'],
      ['desc', '1'],
    ])
  })
})
