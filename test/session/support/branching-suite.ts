// Branches, turns, usage and search: one suite for every session kind that offers them,
// run in Node (MemorySession, IndexedDBSession on fake-indexeddb) and in real Chromium.
import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  isRewritableSession,
  type AgentItem,
  type BranchingSession,
  type RewritableSession,
  type UsageTrackingSession,
} from '../../../src/index.js'

export type HistorySession = BranchingSession<AgentItem> & UsageTrackingSession<AgentItem>

/**
 * @param open - returns a session object for an id; called again with the same id to
 *   simulate a reload (IndexedDB) or to get the same object back (memory)
 */
export function describeBranching(
  name: string,
  open: (sessionId: string) => HistorySession,
  options: { rewritable?: boolean } = {},
): void {
  let counter = 0
  const fresh = () => open(`branching-${Date.now().toString(36)}-${++counter}`)
  const user = (text: string): AgentItem => ({ role: 'user', content: text })
  const assistant = (text: string): AgentItem => ({
    type: 'message',
    role: 'assistant',
    content: [{ type: 'output_text', text }],
  })
  const turn = (n: number | string, extra: AgentItem[] = []): AgentItem[] => [user(`question ${n}`), ...extra, assistant(`answer ${n}`)]
  const texts = (items: AgentItem[]) =>
    items.map((item) => ('content' in item ? (typeof item.content === 'string' ? item.content : (item.content as Array<{ text: string }>)[0]!.text) : item.type))

  async function sixTurns(): Promise<HistorySession> {
    const session = fresh()
    await session.addItems([{ role: 'system', content: 'Be brief.' }])
    for (let n = 1; n <= 6; n++) {
      const call = { type: 'function_call', call_id: `c${n}`, name: 'lookup', arguments: '{}' } as AgentItem
      const output = { type: 'function_call_output', call_id: `c${n}`, output: `tool ${n}` } as AgentItem
      await session.addItems(turn(n, n === 2 ? [call, output] : []))
    }
    return session
  }

  describe(`${name}: branches, turns, usage and search`, () => {
    it('lists turns: number, user text, item count, times', async () => {
      const session = await sixTurns()
      const turns = await session.getTurns()
      expect(turns.map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
        [1, 'question 1', 2],
        [2, 'question 2', 4],
        [3, 'question 3', 2],
        [4, 'question 4', 2],
        [5, 'question 5', 2],
        [6, 'question 6', 2],
      ])
      for (const t of turns) expect(t.endedAt).toBeGreaterThanOrEqual(t.startedAt)
    })

    it('branches from turn 3 of 6, keeps both versions, and switches back and forth', async () => {
      const session = await sixTurns()
      const original = await session.getItems()
      const branchId = await session.createBranchFromTurn(3, 'edit of question 3')
      expect(await session.getCurrentBranchId()).toBe(branchId)
      expect(texts(await session.getItems())).toEqual(texts(original.slice(0, 7)))
      await session.addItems(turn('3b'))
      await session.addItems(turn('4b'))
      const edited = await session.getItems()
      expect(texts(edited.slice(-4))).toEqual(['question 3b', 'answer 3b', 'question 4b', 'answer 4b'])
      expect((await session.getTurns()).map((t) => t.userText)).toEqual(['question 1', 'question 2', 'question 3b', 'question 4b'])

      await session.switchToBranch('main')
      expect(await session.getItems()).toEqual(original)
      expect(await session.getItems(2)).toEqual(original.slice(-2))
      await session.switchToBranch(branchId)
      expect(await session.getItems()).toEqual(edited)
      expect(await session.getItems(3)).toEqual(edited.slice(-3))

      const reopened = open(session.sessionId)
      expect(await reopened.getCurrentBranchId()).toBe(branchId)
      expect(await reopened.getItems()).toEqual(edited)
      const branches = await reopened.listBranches()
      expect(branches.map((b) => [b.id, b.name, b.parentId, b.forkTurn, b.itemCount, b.turnCount, b.current])).toEqual([
        ['main', 'main', null, null, original.length, 6, false],
        [branchId, 'edit of question 3', 'main', 3, edited.length, 4, true],
      ])
    })

    it('refuses a turn that does not exist and changes nothing', async () => {
      const session = await sixTurns()
      for (const bad of [0, 7, 1.5, Number.NaN]) {
        await expect(session.createBranchFromTurn(bad)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      await expect(session.switchToBranch('nope')).rejects.toThrow(/has no branch "nope"/)
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main'])
      await expect(fresh().createBranchFromTurn(1)).rejects.toThrow(/no turns yet/)
    })

    it('pops and clears past the fork point without touching the parent', async () => {
      const session = await sixTurns()
      const original = await session.getItems()
      await session.createBranchFromTurn(4)
      await session.addItems(turn('4b'))
      for (let i = 0; i < 4; i++) await session.popItem()
      expect(texts(await session.getItems())).toEqual(texts(original.slice(0, 7)))
      expect((await session.getTurns()).length).toBe(2)
      await session.addItems(turn('3c'))
      expect((await session.getTurns()).map((t) => t.userText)).toEqual(['question 1', 'question 2', 'question 3c'])
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
      await session.switchToBranch('main')
      expect(await session.getItems()).toEqual(original)
      expect((await session.getTurns()).length).toBe(6)
    })

    it('deletes a branch that has children: the children stay whole, main is protected', async () => {
      const session = await sixTurns()
      const original = await session.getItems()
      const child = await session.createBranchFromTurn(5, 'child')
      await session.addItems(turn('5b'))
      await session.addItems(turn('6b'))
      const grandchild = await session.createBranchFromTurn(6, 'grandchild')
      await session.addItems(turn('6c'))
      const grandchildItems = await session.getItems()
      await session.switchToBranch('main')
      await session.clearSession()

      await session.deleteBranch(child)
      await session.switchToBranch(grandchild)
      expect(await session.getItems()).toEqual(grandchildItems)
      expect(texts(grandchildItems)).toEqual([...texts(original.slice(0, 11)), 'question 5b', 'answer 5b', 'question 6c', 'answer 6c'])
      const branches = await session.listBranches()
      expect(branches.map((b) => [b.id, b.parentId])).toEqual([
        ['main', null],
        [grandchild, 'main'],
      ])
      await expect(session.deleteBranch('main')).rejects.toThrow(/main branch .* cannot be deleted/)
      await session.deleteBranch(grandchild)
      expect(await session.getCurrentBranchId()).toBe('main')
      expect(await session.getItems()).toEqual([])
    })

    it('records usage per turn; shared turns count once in the session total', async () => {
      const session = fresh()
      await session.addItems(turn(1))
      await session.storeRunUsage({ usage: { requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 } })
      await session.addItems(turn(2))
      await session.storeRunUsage({ usage: { requests: 2, inputTokens: 20, outputTokens: 10, totalTokens: 30 } })
      await session.storeRunUsage({ usage: { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 } })
      expect(await session.getTurnUsage(2)).toEqual({ requests: 3, inputTokens: 21, outputTokens: 11, totalTokens: 32 })
      expect(await session.getTurnUsage()).toEqual([
        { turn: 1, usage: { requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 } },
        { turn: 2, usage: { requests: 3, inputTokens: 21, outputTokens: 11, totalTokens: 32 } },
      ])
      const branch = await session.createBranchFromTurn(2)
      await session.addItems(turn('2b'))
      await session.storeRunUsage({ usage: { requests: 1, inputTokens: 100, outputTokens: 50, totalTokens: 150 } })
      expect(await session.getSessionUsage()).toEqual({ requests: 5, inputTokens: 131, outputTokens: 66, totalTokens: 197 })
      expect(await session.getSessionUsage({ branchId: branch })).toEqual({ requests: 2, inputTokens: 110, outputTokens: 55, totalTokens: 165 })
      expect(await session.getSessionUsage({ branchId: 'main' })).toEqual({ requests: 4, inputTokens: 31, outputTokens: 16, totalTokens: 47 })
      expect((await session.getTurns())[0]!.usage).toEqual({ requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 })
      await expect(session.storeRunUsage({ usage: { requests: -1 } } as never)).rejects.toBeInstanceOf(InvalidArgumentError)
      expect(await session.getSessionUsage()).toEqual({ requests: 5, inputTokens: 131, outputTokens: 66, totalTokens: 197 })
    })

    if (options.rewritable) {
      const rewritable = (session: HistorySession): HistorySession & RewritableSession<AgentItem> => {
        if (!isRewritableSession(session)) throw new Error(`${name} does not implement rewriteItems`)
        return session
      }

      it('rewrites every item of every branch in place, keeping branches, times and usage', async () => {
        const session = rewritable(await sixTurns())
        await session.storeRunUsage({ usage: { requests: 1, inputTokens: 2, outputTokens: 3, totalTokens: 5 } })
        const branch = await session.createBranchFromTurn(4)
        await session.addItems(turn('4b'))
        const turnsBefore = await session.getTurns()
        let calls = 0
        const shout = async (items: AgentItem[]) => {
          calls += 1
          return items.map((item) => ('role' in item && typeof item.content === 'string' ? { ...item, content: item.content.toUpperCase() } : item))
        }
        await session.rewriteItems(shout)
        expect(calls).toBe(1)
        expect(texts(await session.getItems()).slice(-2)).toEqual(['QUESTION 4B', 'answer 4b'])
        expect((await session.getTurns()).map(({ userText, ...rest }) => [userText, rest])).toEqual(
          turnsBefore.map(({ userText, ...rest }) => [userText.toUpperCase(), rest]),
        )
        await session.switchToBranch('main')
        expect(texts(await session.getItems())[0]).toBe('BE BRIEF.')
        expect(await session.getTurnUsage(6)).toEqual({ requests: 1, inputTokens: 2, outputTokens: 3, totalTokens: 5 })
        expect((await session.listBranches()).map((b) => b.id)).toEqual(['main', branch])

        await expect(session.rewriteItems(async (items) => items.slice(1))).rejects.toBeInstanceOf(InvalidArgumentError)
        await expect(session.rewriteItems(async (items) => items.map(() => ({ type: 'x', f: () => 1 }) as never))).rejects.toThrow(
          /not JSON/,
        )
        expect(texts(await session.getItems())[0]).toBe('BE BRIEF.')
      })

      it('runs a rewrite again when the session changes while it works, and numbers turns from the result', async () => {
        const session = rewritable(fresh())
        await session.addItems([user('one'), { type: 'note', text: 'becomes a user message' } as AgentItem])
        let calls = 0
        await session.rewriteItems(async (items) => {
          calls += 1
          if (calls === 1) await session.addItems([assistant('added meanwhile')])
          return items.map((item) => ('type' in item && item.type === 'note' ? user('two') : item))
        })
        expect(calls).toBe(2)
        expect(texts(await session.getItems())).toEqual(['one', 'two', 'added meanwhile'])
        expect((await session.getTurns()).map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
          [1, 'one', 1],
          [2, 'two', 2],
        ])
      })
    }

    it('finds turns by user or assistant text, case-insensitively, on the current branch only', async () => {
      const session = await sixTurns()
      expect((await session.findTurns('ANSWER 4')).map((m) => m.turn)).toEqual([4])
      expect((await session.findTurns('question')).map((m) => m.turn)).toEqual([1, 2, 3, 4, 5, 6])
      expect(await session.findTurns('tool 2')).toEqual([])
      const match = (await session.findTurns('Question 5'))[0]!
      expect(match.snippet).toContain('question 5')
      await session.createBranchFromTurn(2)
      await session.addItems(turn('purple'))
      expect((await session.findTurns('PURPLE')).map((m) => m.turn)).toEqual([2])
      expect(await session.findTurns('answer 5')).toEqual([])
      await session.switchToBranch('main')
      expect(await session.findTurns('purple')).toEqual([])
    })
  })
}
