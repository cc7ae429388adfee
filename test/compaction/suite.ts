// Compaction sessions through the `openai` client against the local API server: one suite
// run in Node (MemorySession, IndexedDBSession on fake-indexeddb) and in real browsers.
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { AgentItem, JsonObject } from '../../src/items/types.js'
import { Agent } from '../../src/runner/agent.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { OpenAIProvider } from '../../src/openai/provider.js'
import { Runner } from '../../src/runner/runner.js'
import { tool } from '../../src/runner/tool.js'
import { CompactionError } from '../../src/compaction/compaction-error.js'
import { itemCountTrigger, tokenBudgetTrigger } from '../../src/compaction/triggers.js'
import { OpenAIResponsesCompactionSession } from '../../src/openai/responses-compaction-session.js'
import { MemorySession } from '../../src/session/memory.js'
import type { Session } from '../../src/session/session.js'
import { isSummaryItem, SummarizingCompactionSession } from '../../src/compaction/summarizing-session.js'
import { chatSummarizer } from '../../src/openai/chat-summarizer.js'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'
import type { ScriptedTurn } from '../../src/testing/script.js'
import { assistantTexts, expectWholeTurns, userTexts } from '../runner/helpers.js'

/** Sessions a test may use as transcript store; `fresh()` gives a new empty one. */
export interface CompactionSuiteOptions {
  serverUrl: string
  fresh: () => Session
}

const user = (text: string): AgentItem => ({ role: 'user', content: text })
const assistant = (text: string): AgentItem => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text, annotations: [] }],
})
const tokensOf = (input: unknown) => Math.ceil(JSON.stringify(input ?? '').length / 4)
const bodyOf = (request: { body: unknown }) => request.body as JsonObject
const answer = (i: number) => `Answer ${i}: ${'the details you asked for are here. '.repeat(16)}`

/** A `fetch` that holds requests matching `match` until `release()`; `reached` resolves when one arrives. */
export function gatedFetch(match: (url: string) => boolean) {
  let release!: () => void
  let arrived!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const reached = new Promise<void>((resolve) => (arrived = resolve))
  const fetchFn: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (match(url)) {
      arrived()
      await gate
    }
    return fetch(input, init)
  }
  return { fetch: fetchFn, reached, release }
}

/** A session without replaceItems over `inner` whose addItems throws `message` while `refuse()` says so. */
function refusingAdds(inner: Session, refuse: () => boolean, message: string): Session {
  return {
    sessionId: inner.sessionId,
    getSessionId: () => inner.getSessionId(),
    getItems: (limit) => inner.getItems(limit),
    addItems: async (items) => {
      if (refuse()) throw new Error(message)
      await inner.addItems(items)
    },
    popItem: () => inner.popItem(),
    clearSession: () => inner.clearSession(),
  }
}

async function history(session: Session, turns: number): Promise<void> {
  for (let i = 1; i <= turns; i++) await session.addItems([user(`Question ${i}`), assistant(`Reply ${i}`)])
}

export function describeCompaction(name: string, options: CompactionSuiteOptions): void {
  const { serverUrl, fresh } = options
  const script = (turns: ScriptedTurn[] = []) => createServerScript(serverUrl, turns)
  const clientOf = (s: ServerScript, fetchFn?: typeof fetch) =>
    createOpenAIClient({ baseURL: s.baseURL, maxRetries: 0, ...(fetchFn && { fetch: fetchFn }) })
  const compactRequests = async (s: ServerScript) => (await s.requests()).filter((r) => r.path === '/v1/responses/compact')

  describe(`${name}: OpenAIResponsesCompactionSession`, () => {
    it("counts the compact call's usage in the run's usage and in the session's stored usage (python #4446)", async () => {
      const s = await script(['First answer.', 'Second answer.'])
      const runner = new Runner({ client: clientOf(s) })
      const transcript = new MemorySession()
      const session = new OpenAIResponsesCompactionSession({
        underlyingSession: transcript,
        client: clientOf(s),
        shouldTriggerCompaction: () => true,
        onCompactionError: (error) => {
          throw error
        },
      })
      const agent = new Agent({ name: 'Counted' })
      await runner.run(agent, 'One', { session })
      const result = await runner.run(agent, 'Two', { session })
      expect(await compactRequests(s)).toHaveLength(2)
      // The model request and the compact call: two requests in this run's usage.
      expect(result.usage.requests).toBe(2)
      expect(result.usage.perRequest).toHaveLength(2)
      expect(result.usage.perRequest[1]!.inputTokens).toBeGreaterThan(0)
      const stored = await session.getSessionUsage!()
      expect(stored.requests).toBe(4)
      expect(stored.totalTokens).toBe((await transcript.getSessionUsage()).totalTokens)
      expect((await session.getTurnUsage!(2))?.requests).toBe(2)
    })

    it('drops the id of an assistant message whose reasoning the compact output left out (python #2727), keeps it when the reasoning is there', async () => {
      const compacted = [
        { id: 'msg_orphan', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'kept text', annotations: [] }] },
        { id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'gAAAAenc' },
        { id: 'msg_paired', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'paired', annotations: [] }] },
        { type: 'message', role: 'user', content: 'Question 1' },
        { id: 'cmp_1', type: 'compaction', encrypted_content: 'gAAAAcmp' },
      ]
      const fakeCompact: typeof fetch = async (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
        if (!url.endsWith('/responses/compact')) return fetch(input, init)
        const body = { id: 'resp_c', object: 'response.compaction', created_at: 0, output: compacted, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } }
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
      }
      const s = await script()
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), client: clientOf(s, fakeCompact) })
      await history(session, 3)
      const result = await session.runCompaction({ force: true, compactionMode: 'input' })
      expect(result?.usage).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15 })
      const view = (await session.getItems()) as Array<{ id?: string; type?: string }>
      expect(view.map((item) => item.id)).toEqual([undefined, 'rs_1', 'msg_paired', undefined, 'cmp_1'])
      expect(view[0]).toMatchObject({ role: 'assistant', content: [{ text: 'kept text' }] })
    })

    it('keeps a 60-turn conversation under the token budget, the runner going on after each compaction, the transcript whole', async () => {
      const maxInputTokens = 4000
      const s = await script(Array.from({ length: 60 }, (_, i) => answer(i + 1)))
      const runner = new Runner({ client: clientOf(s) })
      const session = new OpenAIResponsesCompactionSession({
        underlyingSession: fresh(),
        client: clientOf(s),
        shouldTriggerCompaction: tokenBudgetTrigger({ maxInputTokens }),
        onCompactionError: (error) => {
          throw error
        },
      })
      const agent = new Agent({ name: 'Long', instructions: 'Be helpful.' })
      for (let i = 1; i <= 60; i++) {
        const result = await runner.run(agent, `Message ${i}`, { session })
        expect(result.finalOutput).toBe(answer(i))
      }
      const requests = await s.requests()
      const modelInputs = requests.filter((r) => r.path === '/v1/responses').map((r) => bodyOf(r).input as AgentItem[])
      const compactions = requests.filter((r) => r.path === '/v1/responses/compact')
      const sent = modelInputs.map(tokensOf)
      const transcript = await session.getTranscript()
      const view = await session.getItems()
      console.log(
        `[compaction figures] 60 turns, budget ${maxInputTokens}: ${compactions.length} compactions; largest request ${Math.max(...sent)} tokens; ` +
          `last request ${sent.at(-1)}; transcript ${tokensOf(transcript)} tokens (${transcript.length} items); view ${tokensOf(view)} tokens (${view.length} items)`,
      )
      expect(modelInputs).toHaveLength(60)
      expect(Math.max(...sent)).toBeLessThan(maxInputTokens)
      expect(tokensOf(transcript)).toBeGreaterThan(2.5 * maxInputTokens)
      expect(compactions.length).toBeGreaterThanOrEqual(2)
      // Auto mode with stored responses: compaction sends the id, not the history.
      expect(compactions.every((r) => typeof bodyOf(r).previous_response_id === 'string' && bodyOf(r).input === undefined)).toBe(true)
      // The runner went on after compacting: later requests carry a compaction item and every user message so far.
      const last = modelInputs.at(-1)!
      expect(last.filter((item) => item.type === 'compaction')).toHaveLength(1)
      expect(userTexts(last).map((t) => t.replace(/^\[\{"type":"input_text","text":"(.*)"\}\]$/, '$1'))).toEqual(
        Array.from({ length: 60 }, (_, i) => `Message ${i + 1}`),
      )
      // The transcript holds all 60 turns as the user saw them.
      expect(userTexts(transcript)).toEqual(Array.from({ length: 60 }, (_, i) => `Message ${i + 1}`))
      expect(assistantTexts(transcript)).toEqual(Array.from({ length: 60 }, (_, i) => answer(i + 1)))
      expect(tokensOf(view)).toBeLessThan(maxInputTokens)
    })

    it('falls back to input mode with store: false, even when previous_response_id is asked for (python #2333)', async () => {
      const s = await script(Array.from({ length: 3 }, (_, i) => `ok ${i}`))
      const runner = new Runner({ client: clientOf(s), modelSettings: { store: false } })
      const errors: CompactionError[] = []
      const session = new OpenAIResponsesCompactionSession({
        underlyingSession: fresh(),
        client: clientOf(s),
        compactionMode: 'previous_response_id',
        shouldTriggerCompaction: itemCountTrigger({ minCandidates: 2 }),
        onCompactionError: (error) => errors.push(error),
      })
      const agent = new Agent({ name: 'x' })
      await runner.run(agent, 'one', { session })
      await runner.run(agent, 'two', { session })
      const [compact] = await compactRequests(s)
      expect(errors).toEqual([])
      expect(bodyOf(compact!).previous_response_id).toBeUndefined()
      expect(userTexts(bodyOf(compact!).input as AgentItem[])).toEqual(['one', 'two'])
      expect((await session.getItems()).map((i) => i.type)).toEqual(['message', 'message', 'compaction'])
      // The server is faithful: the id of a store:false response does not exist there.
      const lastId = (await runner.run(agent, 'three', { session })).lastResponseId!
      await expect(clientOf(s).responses.compact({ model: 'gpt-4.1', previous_response_id: lastId })).rejects.toThrow(/not found/)
    })

    it('uses input mode when no response id is known (a forced compaction between turns)', async () => {
      const s = await script()
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), client: clientOf(s) })
      await history(session, 3)
      const result = await session.runCompaction({ force: true })
      expect(result).toMatchObject({ mode: 'input', itemsBefore: 6, itemsAfter: 4 })
      expect(bodyOf((await compactRequests(s))[0]!).input).toHaveLength(6)
    })

    it('never sends the compacted view of a conversation whose transcript was cleared (or deleted) meanwhile', async () => {
      const s = await script()
      const transcript = fresh()
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: transcript, client: clientOf(s) })
      await history(session, 3)
      await session.runCompaction({ force: true })
      expect((await session.getItems()).some((item) => item.type === 'compaction')).toBe(true)
      await transcript.clearSession() // another tab, or deleteSession, empties the conversation
      expect(await session.getItems()).toEqual([])
      await session.addItems([user('A new conversation')])
      expect(await session.getItems()).toEqual([user('A new conversation')])
    })

    it('drops the view, keeping the transcript whole, when the view cannot take new items', async () => {
      const s = await script()
      const inner = new MemorySession('failing-view')
      let failAdds = false
      const view = refusingAdds(inner, () => failAdds, 'view store is full')
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), viewSession: view, client: clientOf(s) })
      await history(session, 3)
      await session.runCompaction({ force: true })
      failAdds = true
      await session.addItems([user('Question 4'), assistant('Reply 4')])
      expect(userTexts(await session.getTranscript())).toEqual(['Question 1', 'Question 2', 'Question 3', 'Question 4'])
      expect(await session.getItems()).toEqual(await session.getTranscript())
    })

    it('a failed compact call leaves transcript and view untouched, forced or after a run', async () => {
      const s = await script(['first', 'second', 'third'])
      const errors: CompactionError[] = []
      const session = new OpenAIResponsesCompactionSession({
        underlyingSession: fresh(),
        client: clientOf(s),
        shouldTriggerCompaction: itemCountTrigger({ minCandidates: 1 }),
        onCompactionError: (error) => errors.push(error),
      })
      await history(session, 3)
      await session.runCompaction({ force: true })
      await session.addItems([user('Question 4'), assistant('Reply 4')])
      const view = await session.getItems()
      const transcript = await session.getTranscript()
      await s.failNext('responses.compact', { status: 400, message: 'Invalid compaction request' })
      const forced = await session.runCompaction({ force: true }).catch((e: unknown) => e)
      expect(forced).toBeInstanceOf(CompactionError)
      expect((forced as CompactionError).code).toBe('compaction_failed')
      expect((forced as Error).message).toMatch(/400.*Invalid compaction request.*unchanged/s)
      expect(await session.getItems()).toEqual(view)
      expect(await session.getTranscript()).toEqual(transcript)
      // After a run the failure is reported, not thrown: the answer still arrives.
      const runner = new Runner({ client: clientOf(s) })
      await s.failNext('responses.compact', { status: 500 })
      const result = await runner.run(new Agent({ name: 'x' }), 'Question 5', { session })
      expect(result.finalOutput).toBe('first')
      expect(errors).toHaveLength(1)
      expect(session.lastCompactionError).toBe(errors[0])
      expect(await session.getItems()).toEqual([...view, ...result.savedItems])
      expect(await session.getTranscript()).toEqual([...transcript, ...result.savedItems])
      // The next turn compacts.
      await runner.run(new Agent({ name: 'x' }), 'Question 6', { session })
      expect(session.lastCompactionError).toBeUndefined()
      expect((await session.getItems()).at(-1)!.type).toBe('compaction')
    })

    it('keeps items added during a compaction after the compacted prefix', async () => {
      const s = await script()
      const gate = gatedFetch((url) => url.endsWith('/responses/compact'))
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), client: clientOf(s, gate.fetch) })
      await history(session, 3)
      const compacting = session.runCompaction({ force: true })
      await gate.reached
      await session.addItems([user('Question 4'), assistant('Reply 4')])
      gate.release()
      await compacting
      const view = await session.getItems()
      expect(view.map((i) => i.type ?? i.role)).toEqual(['message', 'message', 'message', 'compaction', 'user', 'message'])
      expect(view.slice(-2)).toEqual([user('Question 4'), assistant('Reply 4')])
      expect(userTexts(await session.getTranscript())).toEqual(['Question 1', 'Question 2', 'Question 3', 'Question 4'])
    })

    it('drops a compaction when the history was popped meanwhile, keeping what is stored', async () => {
      const s = await script()
      const gate = gatedFetch((url) => url.endsWith('/responses/compact'))
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), client: clientOf(s, gate.fetch) })
      await history(session, 3)
      const compacting = session.runCompaction({ force: true }).catch((e: unknown) => e)
      await gate.reached
      expect(await session.popItem()).toEqual(assistant('Reply 3'))
      gate.release()
      const error = await compacting
      expect(error).toBeInstanceOf(CompactionError)
      expect((error as Error).message).toMatch(/changed while it was being compacted/)
      expect(userTexts(await session.getItems())).toEqual(['Question 1', 'Question 2', 'Question 3'])
      expect(await session.getItems()).toHaveLength(5)
    })

    it('replaces the view atomically: a failing replaceItems changes nothing', async () => {
      const s = await script()
      class FailingView extends MemorySession {
        fail = false
        override async replaceItems(items: AgentItem[]): Promise<void> {
          if (this.fail) throw new Error('disk full')
          return super.replaceItems(items)
        }
      }
      const view = new FailingView()
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), viewSession: view, client: clientOf(s) })
      await history(session, 3)
      await session.runCompaction({ force: true })
      await session.addItems([user('Question 4'), assistant('Reply 4')])
      const before = await session.getItems()
      view.fail = true
      await expect(session.runCompaction({ force: true })).rejects.toThrow(/disk full/)
      expect(await session.getItems()).toEqual(before)
      expect(await session.getTranscript()).toHaveLength(8)
    })

    it('restores the old view when a store without replaceItems fails the refill', async () => {
      const s = await script()
      const inner = new MemorySession()
      let failAdds = 0
      const plain = refusingAdds(inner, () => failAdds > 0 && failAdds-- > 0, 'write refused')
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), viewSession: plain, client: clientOf(s) })
      await history(session, 3)
      await session.runCompaction({ force: true })
      await session.addItems([user('Question 4'), assistant('Reply 4')])
      const before = await session.getItems()
      failAdds = 1
      await expect(session.runCompaction({ force: true })).rejects.toThrow(/write refused/)
      expect(await session.getItems()).toEqual(before)
    })

    it('never sends a reasoning item without its following item to responses.compact (js #929)', async () => {
      const s = await script()
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), client: clientOf(s), compactionMode: 'input' })
      await history(session, 2)
      await session.addItems([user('Question 3'), { type: 'reasoning', id: 'rs_dangling', summary: [] }])
      await session.runCompaction({ force: true })
      const input = bodyOf((await compactRequests(s))[0]!).input as AgentItem[]
      expect(input.some((item) => item.type === 'reasoning')).toBe(false)
      expect(userTexts(input)).toEqual(['Question 1', 'Question 2', 'Question 3'])
      // The server would have refused it.
      await expect(
        clientOf(s).responses.compact({ model: 'gpt-4.1', input: [{ type: 'reasoning', id: 'rs_x', summary: [] }] as never }),
      ).rejects.toThrow(/without its required following item/)
    })

    it('a pop of a folded item drops the view: the model gets the transcript, nothing is lost', async () => {
      const s = await script()
      const session = new OpenAIResponsesCompactionSession({ underlyingSession: fresh(), client: clientOf(s) })
      await history(session, 3)
      await session.runCompaction({ force: true })
      expect(await session.popItem()).toEqual(assistant('Reply 3'))
      expect(await session.getItems()).toEqual([user('Question 1'), assistant('Reply 1'), user('Question 2'), assistant('Reply 2'), user('Question 3')])
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
      expect(await session.getTranscript()).toEqual([])
    })
  })

  describe(`${name}: SummarizingCompactionSession`, () => {
    it('summarizes old turns over Chat Completions, keeps the last turns and tool pairs whole, transcript intact', async () => {
      const lookup = tool({ name: 'lookup', description: 'Look up a fact.', parameters: z.object({ q: z.string() }), execute: ({ q }) => `fact about ${q}` })
      const turns: ScriptedTurn[] = []
      for (let i = 1; i <= 8; i++) {
        if (i % 3 === 0) turns.push({ toolCalls: [{ name: 'lookup', arguments: { q: `topic ${i}` } }] })
        turns.push(`Reply ${i}`)
      }
      const s = await script(turns)
      const summaries = await script(['Summary number 1', 'Summary number 2', 'Summary number 3'])
      const runner = new Runner({ modelProvider: new OpenAIProvider({ client: clientOf(s), api: 'chat_completions' }) })
      const session = new SummarizingCompactionSession({
        underlyingSession: fresh(),
        summarize: chatSummarizer(clientOf(summaries), { model: 'local-model' }),
        keepTurns: 2,
        shouldTriggerCompaction: itemCountTrigger({ minCandidates: 6 }),
        onCompactionError: (error) => {
          throw error
        },
      })
      const agent = new Agent({ name: 'x', tools: [lookup] })
      for (let i = 1; i <= 8; i++) expect((await runner.run(agent, `Question ${i}`, { session })).finalOutput).toBe(`Reply ${i}`)
      // Foldable items reach 6 after turns 4, 6 and 8.
      const summaryRequests = (await summaries.requests()).map(bodyOf)
      expect(summaryRequests).toHaveLength(3)
      expect(summaryRequests.every((b) => b.model === 'local-model')).toBe(true)
      const rendered = String((summaryRequests[2]!.messages as Array<{ content: string }>)[1]!.content)
      expect(rendered).toMatch(/^Summary of the earlier conversation:\nSummary number 2\nUser: Question 5/)
      expect(rendered).toContain('Tool call lookup({"q":"topic 6"})')
      expect(rendered).toContain('Tool result: fact about topic 6')
      const view = await session.getItems()
      expect(isSummaryItem(view[0])).toBe(true)
      expect(String(view[0]!.content)).toBe('Summary of the earlier conversation:\nSummary number 3')
      expect(userTexts(view)).toEqual(['Question 7', 'Question 8'])
      expectWholeTurns(view)
      const transcript = await session.getTranscript()
      expect(userTexts(transcript)).toEqual(Array.from({ length: 8 }, (_, i) => `Question ${i + 1}`))
      expectWholeTurns(transcript)
      const requests = (await s.requests()).map(bodyOf)
      // The model is sent the summary first, then the kept turns.
      const lastChat = requests.at(-1)!.messages as Array<{ role: string; content: string }>
      expect(lastChat[0]!.role).toBe('system')
      expect(lastChat[0]!.content).toBe('Summary of the earlier conversation:\nSummary number 2')
    })

    it('a failing summarizer changes nothing and is retried later', async () => {
      const summarize = vi.fn(async (): Promise<string> => {
        throw new Error('model overloaded')
      })
      const session = new SummarizingCompactionSession({ underlyingSession: fresh(), summarize, keepTurns: 1 })
      await history(session, 4)
      const before = await session.getItems()
      await expect(session.runCompaction({ force: true })).rejects.toThrow(/model overloaded.*unchanged/s)
      expect(await session.getItems()).toEqual(before)
      summarize.mockImplementation(async () => 'Four questions were asked.')
      await session.runCompaction({ force: true })
      expect(await session.getItems()).toEqual([
        { type: 'message', role: 'system', content: 'Summary of the earlier conversation:\nFour questions were asked.' },
        user('Question 4'),
        assistant('Reply 4'),
      ])
      expect(await session.getTranscript()).toEqual(before)
    })
  })
}
