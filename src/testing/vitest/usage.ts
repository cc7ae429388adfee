import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type { BranchingSession, UsageTrackingSession } from '../../session/capabilities.js'
import { turn, uniqueSessionId } from './fixtures.js'

/** Opens a session that records usage and branches, for one test. */
export type UsageSessionFactory = (
  sessionId: string,
) => (UsageTrackingSession<AgentItem> & BranchingSession<AgentItem>) | Promise<UsageTrackingSession<AgentItem> & BranchingSession<AgentItem>>

/**
 * Registers a vitest suite that checks a {@link UsageTrackingSession} that also branches:
 * usage per turn, several runs of a turn adding up, turns shared by branches counting once
 * in the session total, per-branch totals, bad usage refused with nothing changed.
 */
export function describeUsageConformance(name: string, open: UsageSessionFactory): void {
  describe(`${name}: usage per turn`, () => {
    const some = (n: number) => ({ requests: 1, inputTokens: n, outputTokens: n, totalTokens: 2 * n })

    it('never drops usage: before any turn it counts in the session total, outside every turn and branch', async () => {
      const session = await open(uniqueSessionId('usage-outside'))
      await session.storeRunUsage({ usage: some(1) }) // nothing stored yet
      await session.addItems([{ role: 'system', content: 'Be brief.' }])
      await session.storeRunUsage({ usage: some(2) }) // no user message yet
      expect(await session.getSessionUsage()).toEqual({ requests: 2, inputTokens: 3, outputTokens: 3, totalTokens: 6 })
      expect(await session.getSessionUsage({ branchId: 'main' })).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 })
      expect(await session.getTurnUsage()).toEqual([])
      await session.addItems(turn(1))
      await session.storeRunUsage({ usage: some(4) })
      expect(await session.getTurnUsage(1)).toEqual(some(4))
      expect((await session.getSessionUsage()).requests).toBe(3)
    })

    it('clearing main clears the usage outside turns too; clearing another branch does not', async () => {
      const session = await open(uniqueSessionId('usage-clear'))
      await session.storeRunUsage({ usage: some(1) })
      await session.addItems(turn(1))
      await session.addItems(turn(2))
      await session.createBranchFromTurn(1)
      await session.clearSession()
      expect((await session.getSessionUsage()).requests).toBe(1)
      await session.switchToBranch('main')
      await session.clearSession()
      expect(await session.getSessionUsage()).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 })
    })

    it('adds items and their usage in one call (addItemsWithUsage), to the turn those items start or continue', async () => {
      const session = await open(uniqueSessionId('usage-with-items'))
      await session.addItemsWithUsage(turn(1), some(3))
      await session.addItemsWithUsage([], some(1))
      expect(await session.getTurnUsage(1)).toEqual({ requests: 2, inputTokens: 4, outputTokens: 4, totalTokens: 8 })
      await expect(session.addItemsWithUsage(turn(2), { requests: -1 } as never)).rejects.toBeInstanceOf(InvalidArgumentError)
      expect(await session.getItems()).toHaveLength(2)
    })

    it('records usage per turn; shared turns count once in the session total', async () => {
      const session = await open(uniqueSessionId('usage'))
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

  })
}
