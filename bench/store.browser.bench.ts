// Session store vs raw idb, in real Chromium. Prints ratios (ours ÷ raw idb); asserts nothing about time.
import { openDB } from 'idb'
import { it } from 'vitest'
import { IndexedDBSession, type AgentItem } from '../src/index.js'
import { SESSION_STORES, type AgentsDB, type ItemRecord } from '../src/idb/schema.js'
import { compareMs, deleteDatabase, report } from './support/measure.js'

const filler = 'lorem ipsum dolor sit amet '.repeat(8)
/** Ten messages, every other one a user message: five turns' worth, as a chat without tools writes them. */
const turnOf = (turn: number): AgentItem[] =>
  Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${turn}.${i} ${filler}` }))

/** One turn of a run with tools: the user message, four tool calls with their outputs, the answer. */
const toolTurnOf = (turn: number): AgentItem[] => [
  { role: 'user', content: `${turn} ${filler}` },
  ...Array.from({ length: 4 }, (_, i): AgentItem[] => [
    { type: 'function_call', call_id: `c${turn}.${i}`, name: 'lookup', arguments: JSON.stringify({ q: filler }) },
    { type: 'function_call_output', call_id: `c${turn}.${i}`, output: filler },
  ]).flat(),
  { role: 'assistant', content: `${turn} ${filler}` },
]

async function fill(dbName: string, sessions: number, itemsEach: number): Promise<void> {
  const items = Array.from({ length: itemsEach }, (_, i) => ({ role: 'user' as const, content: `${i} ${filler}` }))
  for (let s = 0; s < sessions; s++) await new IndexedDBSession(`s${s}`, { dbName }).addItems(items)
}

it('addItems of 10-item turns vs raw idb put of the same items in one transaction, and vs one row per item (schema v5) sent by hand', async () => {
  const turns = 41
  const ours = 'bench-add-ours'
  const raw = 'bench-add-raw'
  const byHand = 'bench-add-by-hand'
  for (const name of [ours, raw, byHand]) await deleteDatabase(name)
  const rawDb = await openDB(raw, 1, {
    upgrade: (db) => db.createObjectStore('items', { keyPath: ['sessionId', 'seq'] }),
  })
  const toolSession = new IndexedDBSession('tools', { dbName: ours })
  const chatSession = new IndexedDBSession('chat', { dbName: ours })
  // The same schema, written once by a session so the record and stores are real.
  await new IndexedDBSession('bench', { dbName: byHand }).addItems(toolTurnOf(0))
  const byHandDb = await openDB<AgentsDB>(byHand)
  const next = { tools: 0, chat: 0, rawTools: 0, rawChat: 0, hand: 0 }
  const rawSeq = { tools: 0, chat: 0 }
  // Schema v5's append: read the record, add one row per item (turn numbers on user
  // messages, indexed), write the record back.
  const appendByHand = async () => {
    const tx = byHandDb.transaction(SESSION_STORES, 'readwrite')
    const reading = tx.objectStore('sessions').get('bench')
    const record = (await reading)!
    const branch = record.branches[record.currentBranchId]!
    const now = Date.now()
    const adds = toolTurnOf(next.hand++).map((item, i) => {
      const row: ItemRecord = { sessionId: 'bench', seq: record.nextSeq + i, createdAt: now, item }
      if (item.role === 'user') row.turn = ++branch.turns
      return tx.objectStore('items').add(row)
    })
    branch.ranges[branch.ranges.length - 1]![1] += adds.length
    record.nextSeq += adds.length
    record.updatedAt = now
    record.etag = String(now)
    await Promise.all([...adds, tx.objectStore('sessions').put(record), tx.done])
  }
  const rawPut = (sessionId: 'tools' | 'chat', items: AgentItem[]) => async () => {
    const tx = rawDb.transaction('items', 'readwrite')
    const now = Date.now()
    const requests = items.map((item) => tx.store.put({ sessionId, seq: rawSeq[sessionId]++, createdAt: now, item }))
    await Promise.all([...requests, tx.done])
  }
  const [toolMs, rawToolMs, chatMs, rawChatMs, byHandMs] = (await compareMs(
    [
      () => toolSession.addItems(toolTurnOf(next.tools++)),
      () => rawPut('tools', toolTurnOf(next.rawTools++))(),
      () => chatSession.addItems(turnOf(next.chat++)),
      () => rawPut('chat', turnOf(next.rawChat++))(),
      appendByHand,
    ],
    turns,
  )) as [number, number, number, number, number]
  rawDb.close()
  byHandDb.close()
  report('Session store: writes (real Chromium)', [
    { name: 'addItems, 10-item turn with tools', ours: toolMs, anchor: rawToolMs, anchorName: 'raw put, one tx', goal: '≤ 1.2×' },
    { name: 'addItems, 10 messages, 5 of them user', ours: chatMs, anchor: rawChatMs, anchorName: 'raw put, one tx', goal: '≤ 1.2×' },
    { name: 'addItems, 10-item turn with tools', ours: toolMs, anchor: byHandMs, anchorName: 'v5 append by hand', goal: 'none: what v6 saves' },
  ])
  for (const name of [ours, raw, byHand]) await deleteDatabase(name)
})

it('getItems(50): 100k items / 1k sessions vs 1k items, and vs a raw getAll of the same key range', async () => {
  const big = 'bench-read-big'
  const small = 'bench-read-small'
  await deleteDatabase(big)
  await deleteDatabase(small)
  await fill(big, 1000, 100)
  await fill(small, 10, 100)
  const runs = 41
  const bigSession = new IndexedDBSession('s500', { dbName: big })
  const smallSession = new IndexedDBSession('s5', { dbName: small })
  const rawDb = await openDB(big)
  const ours = () => bigSession.getItems(50)
  // The physical limit: the same 50 rows by one getAll of their key range (the rows are
  // there once it succeeds: neither waits for the transaction's complete event).
  const raw = async () => {
    const rows = await rawDb.transaction('items', 'readonly').store.getAll(IDBKeyRange.bound(['s500', 50], ['s500', 99]))
    return rows.map((row) => row.item)
  }
  // Pairs measured apart: a call that follows one on another database pays for the switch.
  // A session of tool turns in the same database: rows of several items (schema v6).
  const packed = new IndexedDBSession('packed', { dbName: big })
  for (let turn = 0; turn < 10; turn++) await packed.addItems(toolTurnOf(turn))
  const [bigMs, rawMs] = (await compareMs([ours, raw], runs)) as [number, number]
  const [packedMs, rawAgainMs] = (await compareMs([() => packed.getItems(50), raw], runs)) as [number, number]
  const [bigAgainMs, smallMs] = (await compareMs([ours, () => smallSession.getItems(50)], runs)) as [number, number]
  rawDb.close()
  report('Session store: reads (real Chromium)', [
    { name: 'getItems(50), 100k items/1k sessions', ours: bigAgainMs, anchor: smallMs, anchorName: 'same at 1k items', goal: '≤ 1.2×' },
    { name: 'getItems(50), 100k items', ours: bigMs, anchor: rawMs, anchorName: 'raw getAll, same rows', goal: '≤ 1.2×' },
    { name: 'getItems(50), tool turns (packed rows)', ours: packedMs, anchor: rawAgainMs, anchorName: 'raw getAll, 50 one-item rows', goal: '≤ 1.2×' },
  ])
  await deleteDatabase(big)
  await deleteDatabase(small)
})

it('createBranchFromTurn on a 10k-item session vs a 10-item one (no history is copied)', async () => {
  const dbName = 'bench-branch'
  await deleteDatabase(dbName)
  const big = new IndexedDBSession('big', { dbName })
  const small = new IndexedDBSession('small', { dbName })
  for (let turn = 0; turn < 1000; turn += 100) {
    await big.addItems(Array.from({ length: 100 }, (_, i) => turnOf(turn + i / 10)[i % 10]!))
  }
  await small.addItems(turnOf(0))
  const bigTurn = Math.floor((await big.getTurns()).length / 2)
  const branchAndDrop = (session: IndexedDBSession, turn: number) => async () => {
    const branch = await session.createBranchFromTurn(turn)
    await session.deleteBranch(branch)
  }
  const [bigMs, smallMs] = (await compareMs([branchAndDrop(big, bigTurn), branchAndDrop(small, 1)], 15, 10)) as [number, number]
  report('Branching (real Chromium)', [
    { name: 'branch + delete, 10k items vs 10 items', ours: bigMs, anchor: smallMs, anchorName: '10-item session', goal: '≤ 2×' },
  ])
  await deleteDatabase(dbName)
})
