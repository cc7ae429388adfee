import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, TurnNotFoundError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type { ContentBranchingSession, ToolUsageSession } from '../../session/capabilities.js'
import { assistant, texts, turn, uniqueSessionId, user } from './fixtures.js'

/** What the suite needs: tool usage and branching by content (the Python SDK's AdvancedSQLiteSession extras). */
export type AdvancedHistorySession = ToolUsageSession<AgentItem> & ContentBranchingSession<AgentItem>

/** Opens a session for one test (see `HistoryTransactionSessionFactory`). */
export type AdvancedSessionFactory = (sessionId: string) => AdvancedHistorySession | Promise<AdvancedHistorySession>

const call = (name: string, n: number): AgentItem => ({ type: 'function_call', call_id: `${name}-${n}`, name, arguments: '{}' })
const output = (name: string, n: number): AgentItem => ({ type: 'function_call_output', call_id: `${name}-${n}`, output: 'ok' })

/**
 * Registers a vitest suite for `getToolUsage()` (calls per tool name per turn) and
 * `createBranchFromContent(text)` (a branch from the first turn whose user message holds
 * the text; `TurnNotFoundError` and nothing created when none does).
 */
export function describeAdvancedSession(name: string, open: AdvancedSessionFactory): void {
  describe(`${name}: tool usage and branching by content`, () => {
    it('counts tool calls per tool name per turn, on the current branch only', async () => {
      const session = await open(uniqueSessionId('tools'))
      expect(await session.getToolUsage()).toEqual([])
      await session.addItems([call('early', 0)]) // before any user message: no turn, not counted
      await session.addItems(turn(1, [call('search', 1), output('search', 1), call('search', 2), output('search', 2), call('notes', 3), output('notes', 3)]))
      await session.addItems(turn(2))
      await session.addItems(turn(3, [{ type: 'web_search_call', id: 'ws_1', status: 'completed' } as AgentItem, call('notes', 4), output('notes', 4)]))
      expect(await session.getToolUsage()).toEqual([
        { toolName: 'search', calls: 2, turn: 1 },
        { toolName: 'notes', calls: 1, turn: 1 },
        { toolName: 'web_search_call', calls: 1, turn: 3 },
        { toolName: 'notes', calls: 1, turn: 3 },
      ])
      await session.createBranchFromTurn(2)
      await session.addItems(turn('2b', [call('other', 5), output('other', 5)]))
      expect(await session.getToolUsage()).toEqual([
        { toolName: 'search', calls: 2, turn: 1 },
        { toolName: 'notes', calls: 1, turn: 1 },
        { toolName: 'other', calls: 1, turn: 2 },
      ])
    })

    it('branches from the first turn whose user message contains the text, case-insensitively', async () => {
      const session = await open(uniqueSessionId('from-content'))
      await session.addItems([user('Plan a trip to Lisbon'), assistant('Sure: Porto first?'), user('What about PORTO?'), assistant('Nice.'), user('porto again'), assistant('Yes.')])
      // "Porto" is in the first answer, but only user messages count: turn 2 is the first.
      const branchId = await session.createBranchFromContent('porto')
      expect(await session.getCurrentBranchId()).toBe(branchId)
      expect(texts(await session.getItems())).toEqual(['Plan a trip to Lisbon', 'Sure: Porto first?'])
      const branch = (await session.listBranches()).find((info) => info.id === branchId)
      expect(branch).toMatchObject({ name: 'turn-2', forkTurn: 2, parentId: 'main' })
      await session.switchToBranch('main')
      const named = await session.createBranchFromContent('LISBON', 'from the start')
      expect((await session.listBranches()).find((info) => info.id === named)?.name).toBe('from the start')
      expect(await session.getItems()).toEqual([])
    })

    it('no matching user message is a TurnNotFoundError, a bad text an InvalidArgumentError; nothing is created', async () => {
      const session = await open(uniqueSessionId('from-content-none'))
      await session.addItems([...turn(1), user('second question'), assistant('mentions elephants')])
      const before = await session.listBranches()
      const error = await session.createBranchFromContent('elephants').then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(TurnNotFoundError)
      expect(error).toMatchObject({ code: 'not_found', text: 'elephants' })
      for (const bad of ['', 3, undefined]) {
        await expect(session.createBranchFromContent(bad as string)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      expect(await session.listBranches()).toEqual(before)
      expect(texts(await session.getItems())).toEqual(['question 1', 'answer 1', 'second question', 'mentions elephants'])
    })
  })
}
