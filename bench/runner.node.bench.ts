// Runner overhead per turn: ours vs @openai/agents run(), both with an in-process model
// that answers at once and a MemorySession holding 0 / 200 / 2,000 items. Prints times and
// ratios (ours ÷ theirs; goal ≤ 0.5); asserts nothing about time.
import {
  Agent as SdkAgent,
  MemorySession as SdkMemorySession,
  run as sdkRun,
  setTracingDisabled,
  Usage as SdkUsage,
  type AgentInputItem,
  type Model as SdkModel,
  type ModelResponse as SdkModelResponse,
} from '@openai/agents'
import { expect, it } from 'vitest'
import type { AgentItem } from '../src/items/types.js'
import { Agent } from '../src/runner/agent.js'
import type { Model, ModelResponse } from '../src/model/model.js'
import { run } from '../src/runner/runner.js'
import { MemorySession } from '../src/session/memory.js'

const filler = 'x'.repeat(200)

function history(size: number): AgentItem[] {
  return Array.from({ length: size }, (_, i) =>
    i % 2 === 0
      ? { role: 'user', content: `question ${i} ${filler}` }
      : { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${i} ${filler}` }] },
  )
}

// Both models do the same (nothing): one fixed assistant message per request.
const ourModel: Model = {
  async getResponse(): Promise<ModelResponse> {
    return {
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'ok' }] }],
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    }
  },
  getStreamedResponse: () => {
    throw new Error('not used')
  },
}

const sdkModel: SdkModel = {
  async getResponse(): Promise<SdkModelResponse> {
    return {
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'ok' }] }],
      usage: new SdkUsage({ requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 }),
    }
  },
  getStreamedResponse: () => {
    throw new Error('not used')
  },
}

/** Mean time of `turn`; `reset` runs untimed after each turn (keeps the history size fixed). */
async function perTurnMs(turn: () => Promise<unknown>, turns: number, reset?: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await turn() // warm up
    await reset?.()
  }
  let total = 0
  for (let i = 0; i < turns; i++) {
    const start = performance.now()
    await turn()
    total += performance.now() - start
    await reset?.()
  }
  return total / turns
}

/** Removes the user message and answer one turn added. */
const popTurn = (session: { popItem(): Promise<unknown> }) => async () => {
  await session.popItem()
  await session.popItem()
}

it('runner overhead per turn vs @openai/agents', async () => {
  setTracingDisabled(true)
  const ours = new Agent({ name: 'bench', instructions: 'Be brief.', model: ourModel })
  const theirs = new SdkAgent({ name: 'bench', instructions: 'Be brief.', model: sdkModel })
  const rows: Record<string, string | number>[] = []

  const noSessionOurs = await perTurnMs(() => run(ours, 'hi'), 200)
  const noSessionTheirs = await perTurnMs(() => sdkRun(theirs, 'hi'), 200)
  rows.push({ history: 'no session', 'ours ms/turn': round(noSessionOurs), 'agents ms/turn': round(noSessionTheirs), 'ours ÷ agents': ratio(noSessionOurs, noSessionTheirs) })

  for (const size of [0, 200, 2000]) {
    const turns = size >= 2000 ? 30 : 100
    const ourSession = new MemorySession()
    await ourSession.addItems(history(size))
    const theirSession = new SdkMemorySession()
    await theirSession.addItems(history(size) as unknown as AgentInputItem[])
    const a = await perTurnMs(() => run(ours, 'hi', { session: ourSession }), turns, popTurn(ourSession))
    const b = await perTurnMs(() => sdkRun(theirs, 'hi', { session: theirSession }), turns, popTurn(theirSession))
    expect((await ourSession.getItems()).length).toBe(size)
    expect((await theirSession.getItems()).length).toBe(size)
    rows.push({ history: `${size} items`, 'ours ms/turn': round(a), 'agents ms/turn': round(b), 'ours ÷ agents': ratio(a, b) })
    if (size === 2000) {
      // With a window the read is O(limit): the per-turn cost stops growing with history.
      const windowed = await perTurnMs(() => run(ours, 'hi', { session: ourSession, sessionSettings: { limit: 100 } }), turns, popTurn(ourSession))
      rows.push({ history: `${size} items, limit 100`, 'ours ms/turn': round(windowed), 'agents ms/turn': '—', 'ours ÷ agents': ratio(windowed, b) })
      // The runner alone: a session that hands back its array without copying and stores nothing.
      const items = history(size)
      const bare = { sessionId: 'bare', getSessionId: async () => 'bare', getItems: async () => items, addItems: async () => {}, popItem: async () => undefined, clearSession: async () => {} }
      const runnerOnly = await perTurnMs(() => run(ours, 'hi', { session: bare }), turns)
      rows.push({ history: `${size} items, zero-copy session (runner only)`, 'ours ms/turn': round(runnerOnly), 'agents ms/turn': '—', 'ours ÷ agents': ratio(runnerOnly, b) })
    }
  }
  console.log('Runner overhead per turn (in-process model, MemorySession; goal ours ÷ agents ≤ 0.5):')
  console.table(rows)
})

const round = (ms: number) => Math.round(ms * 1000) / 1000
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000
