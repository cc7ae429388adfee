import { describe, expect, inject, it } from 'vitest'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
import type { AgentItem, JsonObject } from '../../src/items/types.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { OpenAIResponsesCompactionSession } from '../../src/openai/responses-compaction-session.js'
import { MemorySession } from '../../src/session/memory.js'
import { createServerScript } from '../../src/testing/api-server/client.js'
import { assistantMessage as assistant, user } from '../ported/support/items.js'
import { userTexts } from '../runner/helpers.js'
import { describeCompaction, gatedFetch } from './suite.js'


const serverUrl = inject('apiServerUrl')
describeCompaction('MemorySession', { serverUrl, fresh: () => new MemorySession() })

const dbName = `compaction-node-${Math.random().toString(36).slice(2)}`
let counter = 0
describeCompaction('IndexedDBSession (fake-indexeddb)', { serverUrl, fresh: () => new IndexedDBSession(`long-${++counter}`, { dbName }) })

// Review of 897a948 (the first compaction reads the transcript's default window): items added
// through the session while the compact call is out still land after the compacted prefix, as
// the class promises, when the transcript has a default window (settings.limit).
describe.each([
  ['MemorySession', () => new MemorySession(undefined, { settings: { limit: 4 } })],
  ['IndexedDBSession (fake-indexeddb)', () => new IndexedDBSession(`window-${++counter}`, { dbName, settings: { limit: 4 } })],
])('a transcript with a default window (%s)', (_name, windowed) => {
  it('keeps items added during the first compaction after the compacted prefix', async () => {
    const script = await createServerScript(serverUrl, [])
    const gate = gatedFetch((url) => url.endsWith('/responses/compact'))
    const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0, fetch: gate.fetch })
    const session = new OpenAIResponsesCompactionSession({ underlyingSession: windowed(), client, compactionMode: 'input' })
    for (let i = 1; i <= 3; i++) await session.addItems([user(`Question ${i}`), assistant(`Reply ${i}`)])
    const compacting = session.runCompaction({ force: true })
    await gate.reached
    await session.addItems([user('Question 4'), assistant('Reply 4')])
    gate.release()
    await compacting
    const view = await session.getItems()
    expect(view.map((i) => i.type ?? i.role)).toEqual(['message', 'message', 'compaction', 'user', 'message'])
    expect(view.slice(-2)).toEqual([user('Question 4'), assistant('Reply 4')])
    // What was compacted is the window the model was sent, as before the add.
    const [body] = (await script.requests()).filter((r) => r.path === '/v1/responses/compact')
    expect(((body!.body as JsonObject).input as AgentItem[]).length).toBe(4)
    expect(userTexts(await session.getTranscript())).toEqual(['Question 1', 'Question 2', 'Question 3', 'Question 4'])
  })
})
