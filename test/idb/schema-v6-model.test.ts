// Schema v6 against a model: the same seeded sequences of appends (batches of up to 40 items,
// user messages anywhere in them, often in the same millisecond), pops, forks, branch
// switches and deletes, clears, replaceItems, rewrites and suffix replacements run on a
// MemorySession and on an IndexedDBSession (fake-indexeddb, through two instances in turn).
// After every step both show the same items, times and turns on every branch, through every
// window, and the stored rows keep the rules of support/raw-rows.ts. Deterministic: each
// seed always runs the same steps.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IndexedDBSession, MemorySession, type AgentItem } from '../../src/index.js'
import { expectWellFormed } from './support/raw-rows.js'

/** A small seeded PRNG (mulberry32): the same seed, the same steps. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const text = (item: AgentItem): string => {
  const content = (item as { content?: unknown }).content
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return String((content[0] as { text?: unknown } | undefined)?.text ?? '')
  return String((item as { call_id?: unknown }).call_id ?? '')
}

/** Rewrites item by item (so the order items are handed over in does not matter): some replies become user messages and back. */
function flip(item: AgentItem): AgentItem {
  const label = text(item)
  if (label.endsWith('7') && (item as { role?: unknown }).role !== 'user') return { role: 'user', content: `promoted ${label}` }
  if (label.startsWith('promoted ')) return { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `demoted ${label}` }] }
  return item
}

let clock = 5_000_000
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(clock)
})
afterEach(() => {
  vi.useRealTimers()
})

async function runSeed(seed: number, steps: number): Promise<void> {
  const next = random(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  const dbName = `schema-v6-model-${seed}-${Math.random().toString(36).slice(2)}`
  const sessionId = `model-${seed}`
  const model = new MemorySession(sessionId)
  // Two instances of the one stored session (two tabs): each step goes through either, so a
  // write often starts from a record the instance saw before the other one changed it.
  const instances = [new IndexedDBSession(sessionId, { dbName }), new IndexedDBSession(sessionId, { dbName })]
  let stored = instances[0]!
  const ids = new Map<string, string>([['main', 'main']]) // model branch id → stored branch id
  let counter = 0
  const label = () => `${seed}-${++counter}`
  const item = (userShare: number): AgentItem => {
    const id = label()
    if (next() < userShare) return next() < 0.5 ? { role: 'user', content: `q${id}` } : { type: 'message', role: 'user', content: [{ type: 'input_text', text: `q${id}` }] }
    switch (Math.floor(next() * 3)) {
      case 0:
        return { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `a${id}` }] }
      case 1:
        return { type: 'function_call', call_id: `c${id}`, name: 'lookup', arguments: '{}' }
      default:
        return { type: 'function_call_output', call_id: `c${id}`, output: `o${id}` }
    }
  }
  const batch = (max: number) => Array.from({ length: 1 + Math.floor(next() * max) }, (_, i) => item(i === 0 ? 0.5 : 0.12))
  const log: string[] = []

  const compareCurrent = async (allWindows: boolean) => {
    const expected = await model.getItems()
    const where = `seed ${seed}, after ${log.join(' ')}`
    expect(await stored.getItems(), where).toEqual(expected)
    expect(await stored.getItemCount(), where).toBe(expected.length)
    const ks = allWindows ? expected.map((_, i) => i + 1) : [1, 2, 3, 33, expected.length - 1].filter((k) => k >= 1 && k <= expected.length)
    for (const k of ks) expect(await stored.getItems(k), `${where}: getItems(${k})`).toEqual(expected.slice(-k))
    const strip = (entries: Array<{ item: unknown; createdAt: number }>) => entries.map(({ item, createdAt }) => [item, createdAt])
    expect(strip(await stored.getTimedItems()), where).toEqual(strip(await model.getTimedItems()))
    const turns = (list: Array<{ turn: number; userText: string; itemCount: number; startedAt: number; endedAt: number }>) =>
      list.map(({ turn, userText, itemCount, startedAt, endedAt }) => [turn, userText, itemCount, startedAt, endedAt])
    expect(turns(await stored.getTurns()), where).toEqual(turns(await model.getTurns()))
  }
  const compareBranches = async () => {
    const current = await model.getCurrentBranchId()
    const branches = await model.listBranches()
    const storedBranches = await stored.listBranches()
    const summary = (list: typeof branches, map: (id: string) => string | undefined) =>
      list.map((b) => [map(b.id), b.itemCount, b.turnCount, b.forkTurn, b.current]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    expect(summary(storedBranches, (id) => id), `seed ${seed}: branches`).toEqual(summary(branches, (id) => ids.get(id)))
    for (const branch of branches) {
      await model.switchToBranch(branch.id)
      await stored.switchToBranch(ids.get(branch.id)!)
      await compareCurrent(true)
    }
    await model.switchToBranch(current)
    await stored.switchToBranch(ids.get(current)!)
  }

  for (let step = 0; step < steps; step++) {
    stored = instances[next() < 0.5 ? 0 : 1]!
    if (next() < 0.5) {
      clock += 1 + Math.floor(next() * 1000)
      vi.setSystemTime(clock)
    }
    const roll = next()
    const turns = (await model.getTurns()).length
    if (roll < 0.3) {
      const items = batch(next() < 0.2 ? 40 : 8)
      log.push(`add${items.length}`)
      await model.addItems(items)
      await stored.addItems(items)
    } else if (roll < 0.5) {
      const pops = 1 + Math.floor(next() * 6)
      log.push(`pop${pops}`)
      for (let i = 0; i < pops; i++) expect(await stored.popItem(), `seed ${seed}, after ${log.join(' ')}`).toEqual(await model.popItem())
    } else if (roll < 0.62 && turns > 0) {
      const turn = 1 + Math.floor(next() * turns)
      log.push(`fork@${turn}`)
      const modelId = await model.createBranchFromTurn(turn, `fork ${step}`)
      ids.set(modelId, await stored.createBranchFromTurn(turn, `fork ${step}`))
    } else if (roll < 0.72) {
      const branch = pick(await model.listBranches())
      log.push(`switch:${branch.name}`)
      await model.switchToBranch(branch.id)
      await stored.switchToBranch(ids.get(branch.id)!)
    } else if (roll < 0.78) {
      const others = (await model.listBranches()).filter((branch) => branch.id !== 'main')
      if (others.length === 0) continue
      const branch = pick(others)
      log.push(`delete:${branch.name}`)
      await model.deleteBranch(branch.id)
      await stored.deleteBranch(ids.get(branch.id)!)
      ids.delete(branch.id)
    } else if (roll < 0.81) {
      log.push('clear')
      await model.clearSession()
      await stored.clearSession()
    } else if (roll < 0.84) {
      const items = next() < 0.3 ? [] : batch(12)
      log.push(`replace${items.length}`)
      await model.replaceItems(items)
      await stored.replaceItems(items)
    } else if (roll < 0.9) {
      log.push('rewrite')
      await model.rewriteItems(async (items) => items.map(flip))
      await stored.rewriteItems(async (items) => items.map(flip))
    } else {
      const held = await model.getItemCount()
      const k = Math.min(held, Math.floor(next() * 5))
      const expectedSuffix = k === 0 ? [] : await model.getItems(k)
      const replacement = next() < 0.2 ? [] : batch(6)
      log.push(`suffix${k}->${replacement.length}`)
      expect(await stored.replaceSuffix({ expectedSuffix, replacement })).toBe(await model.replaceSuffix({ expectedSuffix, replacement }))
    }
    await compareCurrent(false)
    await expectWellFormed(dbName, sessionId)
    if (step % 10 === 9) await compareBranches()
  }
  await compareBranches()
}

describe('schema v6 against MemorySession, on seeded random steps', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}`, async () => {
      await runSeed(seed, 60)
    }, 60_000)
  }
})
