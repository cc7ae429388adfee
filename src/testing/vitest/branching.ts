import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../errors.js'
import type { AgentItem } from '../../items/types.js'
import type { BranchingSession } from '../../session/capabilities.js'
import { addSixTurns, texts, turn, uniqueSessionId } from './fixtures.js'

/**
 * Opens a session for one test. Called again with the same id to stand for a reload (a
 * stored session must show the same branches, current branch included).
 */
export type BranchingSessionFactory = (sessionId: string) => BranchingSession<AgentItem> | Promise<BranchingSession<AgentItem>>

/**
 * Registers a vitest suite that checks a {@link BranchingSession}: turns, branches from any
 * turn that copy nothing and change no other branch, switching, deleting with children
 * kept whole and `main` protected, pops and clears past a fork, search. Run it against your
 * own implementation as idb-agents runs it against its own:
 *
 * ```ts
 * describeBranchingConformance('MyStore', (id) => new MyStoreSession(id))
 * ```
 */
export function describeBranchingConformance(name: string, open: BranchingSessionFactory): void {
  const fresh = () => open(uniqueSessionId('branching'))
  async function sixTurns(): Promise<BranchingSession<AgentItem>> {
    const session = await fresh()
    await addSixTurns(session)
    return session
  }

  describe(`${name}: branches, turns and search`, () => {
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

      const reopened = await open(session.sessionId)
      expect(await reopened.getCurrentBranchId()).toBe(branchId)
      expect(await reopened.getItems()).toEqual(edited)
      const branches = await reopened.listBranches()
      expect(branches.map((b) => [b.id, b.name, b.parentId, b.forkTurn, b.itemCount, b.turnCount, b.current])).toEqual([
        ['main', 'main', null, null, original.length, 6, false],
        [branchId, 'edit of question 3', 'main', 3, edited.length, 4, true],
      ])
    })

    it('takes names of Object.prototype as branch ids like any other unknown id', async () => {
      const session = await sixTurns()
      const items = await session.getItems()
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        await expect(session.switchToBranch(name)).rejects.toBeInstanceOf(InvalidArgumentError)
        await expect(session.deleteBranch(name)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      expect(await session.getCurrentBranchId()).toBe('main')
      await session.addItems(turn(7))
      expect(await session.getItems()).toEqual([...items, ...turn(7)])
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main'])
      expect(({} as { turns?: unknown }).turns).toBeUndefined()
    })

    it('is on main when empty: switching to main works, listing shows it current', async () => {
      const session = await fresh()
      await session.switchToBranch('main')
      expect(await session.getCurrentBranchId()).toBe('main')
      expect((await session.listBranches()).map((b) => [b.id, b.current])).toEqual([['main', true]])
      await expect(session.switchToBranch('other')).rejects.toBeInstanceOf(InvalidArgumentError)
    })

    it('refuses a turn that does not exist and changes nothing', async () => {
      const session = await sixTurns()
      for (const bad of [0, 7, 1.5, Number.NaN]) {
        await expect(session.createBranchFromTurn(bad)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
      await expect(session.switchToBranch('nope')).rejects.toThrow(/has no branch "nope"/)
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main'])
      await expect((await fresh()).createBranchFromTurn(1)).rejects.toThrow(/no turns yet/)
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
