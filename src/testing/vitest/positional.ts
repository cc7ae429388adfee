import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, InvalidItemError, PositionConflictError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type { BranchingSession, PositionalSession, UsageTrackingSession } from '../../session/capabilities.js'
import { addSixTurns, assistant, texts, turn, uniqueSessionId, user } from './fixtures.js'

/** What the positional suite needs: appending at a checked position, branches and usage. */
export type PositionalHistorySession = PositionalSession<AgentItem> & BranchingSession<AgentItem> & UsageTrackingSession<AgentItem>

/**
 * Opens a session for one test. Called again with the same id, it must return a session
 * on the same stored history (another object over the same database, or the same object).
 */
export type PositionalSessionFactory = (sessionId: string) => PositionalHistorySession | Promise<PositionalHistorySession>

/**
 * Registers a vitest suite that checks a {@link PositionalSession} (what position-bound
 * encryption needs): `addItemsAt` appends only at the number of items the current branch
 * holds, with its usage in the same write; any other position is a `PositionConflictError`
 * with nothing written; of two writers at one position exactly one lands.
 */
export function describePositionalConformance(name: string, open: PositionalSessionFactory): void {
  const some = (n: number) => ({ requests: 1, inputTokens: n, outputTokens: n, totalTokens: 2 * n })

  describe(`${name}: appending at a checked position`, () => {
    it('appends only when the current branch holds exactly `position` items; otherwise PositionConflictError and nothing written', async () => {
      const session = await open(uniqueSessionId('at'))
      await session.addItemsAt(0, turn(1))
      expect(await session.getItemCount()).toBe(2)
      for (const wrong of [0, 1, 3]) {
        const error = await session.addItemsAt(wrong, [user('late')]).then(() => undefined, (e: unknown) => e)
        expect(error, `position ${wrong}`).toBeInstanceOf(PositionConflictError)
        expect(error).toMatchObject({ code: 'position_conflict', expected: wrong, actual: 2 })
      }
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1'])
      await session.addItemsAt(2, turn(2))
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2'])
      await session.addItemsAt(4, []) // nothing to add: a no-op at the right position
      expect(await session.getItemCount()).toBe(4)
    })

    it('counts the current branch: a branch appends at its own count, its parent at its own', async () => {
      const session = await open(uniqueSessionId('at-branch'))
      await addSixTurns(session)
      const mainCount = await session.getItemCount()
      await session.createBranchFromTurn(3)
      const branchCount = await session.getItemCount()
      expect(branchCount).toBeLessThan(mainCount)
      await expect(session.addItemsAt(mainCount, turn('3b'))).rejects.toBeInstanceOf(PositionConflictError)
      await session.addItemsAt(branchCount, turn('3b'))
      expect(texts(await session.getItems(2))).toEqual(['question 3b', 'answer 3b'])
      await session.switchToBranch('main')
      await session.addItemsAt(mainCount, [assistant('main goes on')])
      expect(await session.getItemCount()).toBe(mainCount + 1)
    })

    it('adds usage to the newest turn in the same write, and none when the position is wrong', async () => {
      const session = await open(uniqueSessionId('at-usage'))
      await session.addItemsAt(0, turn(1), some(3))
      expect(await session.getTurnUsage(1)).toEqual(some(3))
      await expect(session.addItemsAt(0, turn(2), some(5))).rejects.toBeInstanceOf(PositionConflictError)
      expect(await session.getSessionUsage()).toEqual(some(3))
      await session.addItemsAt(2, [assistant('more of turn 1')], some(1))
      expect(await session.getTurnUsage(1)).toEqual({ requests: 2, inputTokens: 4, outputTokens: 4, totalTokens: 8 })
    })

    it('refuses a bad position or item with a typed error, writing nothing', async () => {
      const session = await open(uniqueSessionId('at-bad'))
      await session.addItems(turn(1))
      for (const bad of [-1, 1.5, Number.NaN, Infinity, '2' as unknown as number]) {
        await expect(session.addItemsAt(bad, [user('x')]), String(bad)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      const notJson = { type: 'note', when: new Date() } as unknown as AgentItem
      await expect(session.addItemsAt(2, [user('fine'), notJson])).rejects.toBeInstanceOf(InvalidItemError)
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1'])
    })

    it('of two writers appending at one position, exactly one lands', async () => {
      const id = uniqueSessionId('at-race')
      const [first, second] = [await open(id), await open(id)]
      await first.addItems(turn(1))
      const results = await Promise.allSettled([first.addItemsAt(2, [user('from first')]), second.addItemsAt(2, [user('from second')])])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      const [rejected] = results.filter((r) => r.status === 'rejected')
      expect(rejected?.reason).toBeInstanceOf(PositionConflictError)
      expect(await first.getItemCount()).toBe(3)
      expect(texts(await second.getItems(1))[0]).toMatch(/^from (first|second)$/)
    })
  })
}
