import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type { BranchingSession, RewritableSession, UsageTrackingSession } from '../../session/capabilities.js'
import { addSixTurns, assistant, texts, turn, uniqueSessionId, user } from './fixtures.js'

/** What the rewrite suite needs: rewriting in place, branches and usage (which a rewrite must keep). */
export type RewritableHistorySession = RewritableSession<AgentItem> & BranchingSession<AgentItem> & UsageTrackingSession<AgentItem>

/** Opens a session that rewrites in place and branches, for one test. */
export type RewritableSessionFactory = (sessionId: string) => RewritableHistorySession | Promise<RewritableHistorySession>

/**
 * Registers a vitest suite that checks a {@link RewritableSession} (what key rotation and
 * migrations need): every item of every branch rewritten in place, each once, handed
 * with its position, keeping branches, times and usage; a rewrite that returns too few items or non-JSON refused with
 * nothing changed; a rewrite run again when another writer changed the session meanwhile.
 */
export function describeRewriteConformance(name: string, open: RewritableSessionFactory): void {
  const fresh = () => open(uniqueSessionId('rewrite'))
  async function sixTurns(): Promise<RewritableHistorySession> {
    const session = await fresh()
    await addSixTurns(session)
    return session
  }

  describe(`${name}: rewriting items in place`, () => {
    it('rewrites every item of every branch in place, keeping branches, times and usage', async () => {
      const session = await sixTurns()
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

    it('hands each item with its position in the branches that show it', async () => {
      const session = await sixTurns()
      const branch = await session.createBranchFromTurn(4)
      await session.addItems(turn('4b'))
      const shown = { [branch]: await session.getItems() } as Record<string, AgentItem[]>
      await session.switchToBranch('main')
      shown.main = await session.getItems()
      let handed: Array<[AgentItem, number]> = []
      await session.rewriteItems(async (items, positions) => {
        handed = items.map((item, i) => [item, positions[i]!])
        return items
      })
      expect(handed).toHaveLength(shown.main.length + 2) // the branch's own turn, and everything main shows
      for (const [item, position] of handed) {
        const at = [shown.main[position], shown[branch]![position]]
        expect(at, JSON.stringify(item)).toContainEqual(item)
      }
      expect(handed.filter(([, position]) => position === 9).map(([item]) => texts([item])[0]).sort()).toEqual(['question 4', 'question 4b'])
    })

    it('runs a rewrite again when the session changes while it works, and numbers turns from the result', async () => {
      const session = await fresh()
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
  })
}
