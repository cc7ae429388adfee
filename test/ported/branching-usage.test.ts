// Branches, turns and usage as the Python SDK's AdvancedSQLiteSession tests pin them down,
// ported to every session kind here that branches and records usage.
import { describe, expect, it } from 'vitest'
import {
  Agent,
  exportSession,
  IdbAgentsError,
  InvalidArgumentError,
  isContentBranchingSession,
  isToolUsageSession,
  run,
  TurnNotFoundError,
  type AgentItem,
  type UsageTotals,
} from '../../src/index.js'
import { ScriptedModel } from '../../src/testing/index.js'
import { branchingKinds } from './support/kinds.js'
import { assistant, functionCall, functionOutput, storedTexts, texts, user } from './support/items.js'

const usage = (requests: number, inputTokens: number, outputTokens: number): UsageTotals => ({
  requests,
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens,
})
const NONE = usage(0, 0, 0)
const turn = (question: string, answer: string): AgentItem[] => [user(question), assistant(answer)]

for (const kind of branchingKinds) {
  describe(`${kind.name}: branches, turns and usage (ported)`, () => {
    /** How many item records the session's database holds, over all branches (IndexedDB kinds only). */
    const storedRecords = async (session: { sessionId: string }) =>
      (await exportSession(session.sessionId, { dbName: kind.dbNameOf!(session) }))?.items.length ?? 0

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_branching_functionality
    it('branches from a turn, keeps main whole, lists and deletes the branch', async () => {
      const session = kind.make()
      await session.addItems(turn('First question', 'First answer'))
      await session.addItems(turn('Second question', 'Second answer'))
      await session.addItems(turn('Third question', 'Third answer'))
      const branchId = await session.createBranchFromTurn(2, 'test_branch')
      expect(await session.getCurrentBranchId()).toBe(branchId)
      expect(await storedTexts(session)).toEqual(['First question', 'First answer'])
      await session.switchToBranch('main')
      expect(await session.getItems()).toHaveLength(6)
      const branches = await session.listBranches()
      expect(branches.map((b) => [b.id, b.name])).toEqual([
        ['main', 'main'],
        [branchId, 'test_branch'],
      ])
      await session.deleteBranch(branchId)
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main'])
      expect(await session.getItems()).toHaveLength(6)
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_create_branch_rejects_populated_branch_id
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_generated_branch_ids_do_not_merge_within_the_same_second
    it('never merges a new branch into an existing one, whatever its name', async () => {
      const session = kind.make()
      const items = [...turn('Turn one question', 'Turn one answer'), ...turn('Turn two question', 'Turn two answer'), ...turn('Turn three question', 'Turn three answer')]
      await session.addItems(items)
      const first = await session.createBranchFromTurn(3)
      await session.switchToBranch('main')
      const second = await session.createBranchFromTurn(3)
      await session.switchToBranch('main')
      const namedMain = await session.createBranchFromTurn(2, 'main')
      await session.switchToBranch('main')
      const namedLikeFirst = await session.createBranchFromTurn(2, first)
      expect(new Set([first, second, namedMain, namedLikeFirst, 'main']).size).toBe(5)
      for (const id of [first, second]) {
        await session.switchToBranch(id)
        expect(await storedTexts(session)).toEqual(texts(items.slice(0, 4)))
      }
      await session.switchToBranch('main')
      expect(await storedTexts(session)).toEqual(texts(items))
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_delete_branch_keeps_messages_still_referenced_by_another_branch
    it('deleting a branch keeps what a branch made from it still shows', async () => {
      const session = kind.make()
      await session.addItems([...turn('Main first question', 'Main first answer'), ...turn('Main second question', 'Main second answer')])
      const branchA = await session.createBranchFromTurn(2, 'branch_a')
      await session.addItems([...turn('Branch A shared question', 'Branch A shared answer'), ...turn('Branch A only question', 'Branch A only answer')])
      const branchB = await session.createBranchFromTurn(3, 'branch_b')
      await session.deleteBranch(branchA)
      expect(await session.getCurrentBranchId()).toBe(branchB)
      expect(await storedTexts(session)).toEqual(['Main first question', 'Main first answer', 'Branch A shared question', 'Branch A shared answer'])
      expect((await session.listBranches()).find((b) => b.id === branchB)?.parentId).toBe('main')
      if (kind.dbNameOf) expect(await storedRecords(session)).toBe(6)
      await session.switchToBranch('main')
      expect(await session.getItems()).toHaveLength(4)
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_delete_branch_removes_branch_only_messages
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_branch_deletion_with_force
    it('deleting the current branch makes its parent current and drops only its own items', async () => {
      const session = kind.make()
      const main = [...turn('First question', 'First answer'), ...turn('Second question', 'Second answer')]
      await session.addItems(main)
      const branch = await session.createBranchFromTurn(2, 'cleanup_branch')
      await session.addItems(turn('Branch-only question', 'Branch-only answer'))
      await session.deleteBranch(branch)
      expect(await session.getCurrentBranchId()).toBe('main')
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main'])
      expect(await storedTexts(session)).toEqual(texts(main))
      if (kind.dbNameOf) expect(await storedRecords(session)).toBe(4)
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_get_conversation_turns
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_conversation_structure_with_multiple_turns
    it('numbers turns at user messages and counts their items, tool calls included', async () => {
      const session = kind.make()
      await session.addItems(turn('Hello there', 'Hi!'))
      await session.addItems([user('How are you doing today?'), functionCall('c1', 'mood_check'), functionOutput('c1', "I'm good"), assistant("I'm doing well!")])
      await session.addItems(turn('Goodbye', 'See you later!'))
      const turns = await session.getTurns()
      expect(turns.map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
        [1, 'Hello there', 2],
        [2, 'How are you doing today?', 4],
        [3, 'Goodbye', 2],
      ])
      expect(turns.every((t) => typeof t.startedAt === 'number' && t.endedAt >= t.startedAt)).toBe(true)
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_get_conversation_turns_with_list_content
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_find_turns_by_content_with_list_content
    it('previews list content as text, cut short when long, and searches it', async () => {
      const session = kind.make()
      await session.addItems([{ role: 'user', content: [{ type: 'input_text', text: 'hello world' }] }])
      await session.addItems([{ role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(500) }, ...Array.from({ length: 100 }, (_, i) => ({ type: 'input_text', text: String(i) }))] }])
      const turns = await session.getTurns()
      expect(turns[0]!.userText).toBe('hello world')
      expect(typeof turns[1]!.userText).toBe('string')
      expect(turns[1]!.userText.length).toBeLessThanOrEqual(120)
      expect(turns[1]!.userText.endsWith('…')).toBe(true)
      const matches = await session.findTurns('hello')
      expect(matches.map((m) => [m.turn, typeof m.snippet])).toEqual([[1, 'string']])
      expect(matches[0]!.snippet).toContain('hello world')
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_find_turns_by_content
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_create_branch_from_content
    it('finds turns by user or assistant text, and a branch can start at the first match', async () => {
      const session = kind.make()
      await session.addItems(turn('Tell me about cats', 'Cats are great pets'))
      await session.addItems(turn('What about dogs?', 'Dogs are also great pets'))
      await session.addItems(turn('Tell me about CATS again', 'Cats are wonderful companions'))
      expect((await session.findTurns('cats')).map((m) => m.turn)).toEqual([1, 3])
      expect((await session.findTurns('dogs')).map((m) => m.turn)).toEqual([2])
      expect((await session.findTurns('companions')).map((m) => m.turn)).toEqual([3])
      expect(await session.findTurns('elephants')).toEqual([])
      const [first] = await session.findTurns('cats')
      await session.createBranchFromTurn(first!.turn, 'cats_branch')
      expect(await session.getItems()).toEqual([])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_create_branch_from_content
    it('branches at the first turn whose user message holds the text, and refuses text no turn holds', async () => {
      const session = kind.make()
      if (!isContentBranchingSession(session)) throw new Error(`${kind.name} cannot branch by content`)
      await session.addItems(turn('Tell me about dogs', 'Dogs are loyal'))
      await session.addItems(turn('Tell me about cats', 'Cats are great pets'))
      await session.addItems(turn('More about CATS', 'Cats purr'))
      const branchId = await session.createBranchFromContent('cats', 'cats_branch')
      expect(await session.getCurrentBranchId()).toBe(branchId)
      expect(await storedTexts(session)).toEqual(['Tell me about dogs', 'Dogs are loyal'])
      await expect(session.createBranchFromContent('elephants')).rejects.toBeInstanceOf(TurnNotFoundError)
      expect(await session.getCurrentBranchId()).toBe(branchId)
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main', branchId])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_tool_usage_tracking
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_tool_execution_integration
    it('counts tool calls per tool and turn, outputs not counted', async () => {
      const session = kind.make()
      if (!isToolUsageSession(session)) throw new Error(`${kind.name} has no getToolUsage`)
      await session.addItems([
        user('Search for cats'),
        { type: 'function_call', name: 'web_search', arguments: '{"query": "cats"}' },
        { type: 'function_call_output', output: 'Found cat information' },
        { type: 'function_call', name: 'calculator', arguments: '{"expression": "1+1"}' },
        { type: 'function_call_output', output: '2' },
        assistant('I found information about cats and calculated 1+1=2'),
        user('Again'),
        functionCall('c3', 'calculator'),
        functionOutput('c3', '4'),
        functionCall('c4', 'calculator'),
        functionOutput('c4', '6'),
      ])
      expect(await session.getToolUsage()).toEqual([
        { toolName: 'web_search', calls: 1, turn: 1 },
        { toolName: 'calculator', calls: 1, turn: 1 },
        { toolName: 'calculator', calls: 2, turn: 2 },
      ])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_tool_usage_tracking_preserves_namespaces_and_tool_search
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_tool_usage_tracking_uses_bare_name_for_deferred_top_level_calls
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_advanced_tool_name_extraction
    // (a hosted call without a name keeps its item type as its name here: `tool_search_call`, Python says `tool_search`)
    it('keeps tools of the same name apart by namespace or MCP server; a namespace equal to the name is the bare name', async () => {
      const session = kind.make()
      if (!isToolUsageSession(session)) throw new Error(`${kind.name} has no getToolUsage`)
      await session.addItems([
        user('Look up the same account in multiple systems'),
        { type: 'function_call', name: 'lookup_account', namespace: 'crm', arguments: '{}', call_id: 'crm-call' },
        { type: 'function_call', name: 'lookup_account', namespace: 'billing', arguments: '{}', call_id: 'billing-call' },
        { type: 'tool_search_call', id: 'tsc_memory', arguments: { paths: ['crm'], query: 'lookup_account' }, execution: 'server', status: 'completed' },
        { type: 'tool_search_output', id: 'tso_memory', execution: 'server', status: 'completed', tools: [] },
        { type: 'function_call', name: 'get_weather', arguments: '{}', call_id: 'weather-call' },
        { type: 'function_call', name: 'get_weather', namespace: 'get_weather', arguments: '{}', call_id: 'weather-call-2' },
        { type: 'mcp_call', server_label: 'filesystem', name: 'read_file', arguments: '{}' },
        { type: 'mcp_call', server_label: 'database', name: 'read_file', arguments: '{}' },
        { type: 'web_search_call', id: 'ws_1', status: 'completed' },
        { type: 'custom_tool_call', name: 'custom_tool', input: 'x', call_id: 'custom-call' },
      ])
      expect((await session.getToolUsage()).map((u) => [u.toolName, u.calls])).toEqual([
        ['crm.lookup_account', 1],
        ['billing.lookup_account', 1],
        ['tool_search_call', 1],
        ['get_weather', 2],
        ['filesystem.read_file', 1],
        ['database.read_file', 1],
        ['web_search_call', 1],
        ['custom_tool', 1],
      ])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_advanced_tool_name_extraction: an MCP
    // call is always `server_label.name`; only a function call's namespace equal to its name (a deferred
    // top-level call) is left out, so an MCP tool named like its server stays apart from a bare function tool.
    it('names an MCP call server_label.name even when the label equals the name', async () => {
      const session = kind.make()
      if (!isToolUsageSession(session)) throw new Error(`${kind.name} has no getToolUsage`)
      await session.addItems([
        user('Search twice'),
        { type: 'function_call', name: 'search', arguments: '{}', call_id: 'local-search' },
        { type: 'mcp_call', server_label: 'search', name: 'search', arguments: '{}' },
      ])
      expect((await session.getToolUsage()).map((u) => [u.toolName, u.calls])).toEqual([
        ['search', 1],
        ['search.search', 1],
      ])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_branch_specific_operations
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_branch_usage_tracking
    it('keeps usage per branch; the session total counts every branch once', async () => {
      const session = kind.make()
      await session.addItems(turn('Main branch question', 'Main branch answer'))
      await session.storeRunUsage({ usage: usage(1, 50, 30) })
      const branch = await session.createBranchFromTurn(1, 'usage_branch')
      await session.addItems(turn('Branch question', 'Branch answer'))
      await session.storeRunUsage({ usage: usage(2, 100, 60) })
      expect(await session.getSessionUsage({ branchId: 'main' })).toEqual(usage(1, 50, 30))
      expect(await session.getSessionUsage({ branchId: branch })).toEqual(usage(2, 100, 60))
      expect(await session.getSessionUsage()).toEqual(usage(3, 150, 90))
      expect(await session.getTurnUsage()).toEqual([{ turn: 1, usage: usage(2, 100, 60) }])
      await session.switchToBranch('main')
      expect((await session.getTurns()).map((t) => t.userText)).toEqual(['Main branch question'])
      expect(await session.getTurnUsage(1)).toEqual(usage(1, 50, 30))
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_branch_error_handling
    it('refuses unknown turns and branches, and deleting main, with typed errors that change nothing', async () => {
      const empty = kind.make()
      await expect(empty.createBranchFromTurn(5, 'error_branch')).rejects.toBeInstanceOf(InvalidArgumentError)
      const session = kind.make()
      await session.addItems(turn('only question', 'only answer'))
      const attempts = [
        session.createBranchFromTurn(5, 'error_branch'),
        session.createBranchFromTurn(0),
        session.switchToBranch('nonexistent'),
        session.deleteBranch('nonexistent'),
        session.deleteBranch('main'),
        session.deleteBranch(''),
        session.deleteBranch('   '),
      ]
      for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError)
      await expect(session.deleteBranch('main')).rejects.toThrow(/main branch .* cannot be deleted/)
      expect((await session.listBranches()).map((b) => b.id)).toEqual(['main'])
      expect(await session.getCurrentBranchId()).toBe('main')
      expect(await storedTexts(session)).toEqual(['only question', 'only answer'])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_usage_tracking_storage
    it('records usage per turn and sums it over the session', async () => {
      const session = kind.make()
      await session.addItems([user('First turn')])
      await session.storeRunUsage({ usage: usage(1, 50, 30) })
      await session.addItems([user('Second turn')])
      await session.storeRunUsage({ usage: usage(2, 75, 45) })
      expect(await session.getSessionUsage()).toEqual(usage(3, 125, 75))
      expect(await session.getTurnUsage(1)).toEqual(usage(1, 50, 30))
      expect(await session.getTurnUsage(2)).toEqual(usage(2, 75, 45))
      expect(await session.getTurnUsage()).toEqual([
        { turn: 1, usage: usage(1, 50, 30) },
        { turn: 2, usage: usage(2, 75, 45) },
      ])
      expect((await session.getTurns()).map((t) => t.usage)).toEqual([usage(1, 50, 30), usage(2, 75, 45)])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_runner_integration_with_usage_tracking
    it('gets each run’s usage from the runner, on the turn the run started', async () => {
      const model = new ScriptedModel([
        { text: 'San Francisco', usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12 } },
        { text: 'California', usage: { inputTokens: 20, outputTokens: 3, totalTokens: 23 } },
      ])
      const session = kind.make()
      const agent = new Agent({ name: 'test', model })
      await run(agent, 'What city is the Golden Gate Bridge in?', { session })
      await run(agent, 'What state is it in?', { session })
      expect(await session.getTurnUsage()).toEqual([
        { turn: 1, usage: usage(1, 10, 2) },
        { turn: 2, usage: usage(1, 20, 3) },
      ])
      expect(await session.getSessionUsage()).toEqual(usage(2, 30, 5))
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_empty_session_operations
    it('answers every read of an empty session with nothing', async () => {
      const session = kind.make()
      expect(await session.getItems()).toEqual([])
      expect(await session.getTurns()).toEqual([])
      expect(await session.findTurns('anything')).toEqual([])
      expect(await session.getTurnUsage()).toEqual([])
      expect(await session.getSessionUsage()).toEqual(NONE)
      expect(await session.getCurrentBranchId()).toBe('main')
      expect((await session.listBranches()).map((b) => [b.id, b.current])).toEqual([['main', true]])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_clear_session_removes_structure_and_usage_metadata
    it('clearing drops the turns and their usage; the next message is turn 1 again', async () => {
      const session = kind.make()
      await session.addItems(turn('First question', 'First answer'))
      await session.storeRunUsage({ usage: usage(1, 50, 30) })
      await session.clearSession()
      expect(await session.getItems()).toEqual([])
      expect(await session.getTurnUsage()).toEqual([])
      expect(await session.getSessionUsage()).toEqual(NONE)
      await session.addItems([user('Fresh start')])
      expect((await session.getTurns()).map((t) => [t.turn, t.userText, t.usage])).toEqual([[1, 'Fresh start', undefined]])
      expect(await session.getTurnUsage(1)).toBeUndefined()
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_pop_item_removes_turn_usage_only_when_turn_emptied
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_stale_store_run_usage_not_recorded_against_reused_turn_number (sequential)
    it("keeps a turn's usage while any of it is left, and never hands it to a new turn", async () => {
      const session = kind.make()
      await session.addItems(turn('Question', 'Answer'))
      await session.storeRunUsage({ usage: usage(1, 50, 30) })
      expect(texts([(await session.popItem())!])).toEqual(['Answer'])
      expect(await session.getTurnUsage(1)).toEqual(usage(1, 50, 30))
      expect(texts([(await session.popItem())!])).toEqual(['Question'])
      expect(await session.getTurnUsage()).toEqual([])
      await session.addItems([user('fresh turn')])
      expect(await session.getTurnUsage(1)).toBeUndefined()
      expect(await session.getTurnUsage()).toEqual([])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_pop_item_respects_current_branch_and_keeps_shared_messages
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_pop_item_deletes_shared_copied_message_only_when_unreferenced
    it('pops from the current branch only; items main still shows stay until main pops them', async () => {
      const session = kind.make()
      const main = [...turn('u1', 'a1'), ...turn('u2', 'a2')]
      await session.addItems(main)
      await session.createBranchFromTurn(2, 'branch_a')
      await session.addItems([user('branch-only')])
      if (kind.dbNameOf) expect(await storedRecords(session)).toBe(5)
      expect(texts([(await session.popItem())!])).toEqual(['branch-only'])
      if (kind.dbNameOf) expect(await storedRecords(session)).toBe(4)
      expect(texts([(await session.popItem())!])).toEqual(['a1'])
      expect(texts([(await session.popItem())!])).toEqual(['u1'])
      expect(await session.getItems()).toEqual([])
      if (kind.dbNameOf) expect(await storedRecords(session)).toBe(4)
      await session.switchToBranch('main')
      expect(await storedTexts(session)).toEqual(texts(main))
      for (let i = 0; i < main.length; i++) await session.popItem()
      expect(await session.getItems()).toEqual([])
      if (kind.dbNameOf) expect(await storedRecords(session)).toBe(0)
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_store_run_usage_survives_unrelated_branch_deletion (sequential)
    it('records usage on the current turn after another branch was deleted', async () => {
      const session = kind.make()
      await session.addItems([...turn('u1', 'a1'), ...turn('u2', 'a2')])
      const side = await session.createBranchFromTurn(2, 'side_branch')
      await session.switchToBranch('main')
      await session.deleteBranch(side)
      await session.storeRunUsage({ usage: usage(1, 50, 30) })
      expect(await session.getTurnUsage()).toEqual([{ turn: 2, usage: usage(1, 50, 30) }])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_json_serialization_edge_cases (usage of None)
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_error_handling_in_usage_tracking
    it('refuses a run result without usage with a typed error, recording nothing', async () => {
      const session = kind.make()
      await session.addItems([user('First test')])
      await session.storeRunUsage({ usage: usage(1, 10, 5) })
      for (const bad of [{}, { usage: null }, { usage: { requests: 1, inputTokens: -1, outputTokens: 0, totalTokens: 0 } }, { usage: { requests: 1, inputTokens: Number.NaN, outputTokens: 0, totalTokens: 0 } }]) {
        const error = await session.storeRunUsage(bad as never).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(IdbAgentsError)
        expect(error).toMatchObject({ code: 'invalid_argument' })
      }
      expect(await session.getSessionUsage()).toEqual(usage(1, 10, 5))
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_session_isolation (turns)
    it('keeps turns of two sessions apart', async () => {
      const one = kind.make()
      const two = kind.make()
      await one.addItems([user('Session 1 message')])
      await two.addItems([user('Session 2 message')])
      expect((await one.getTurns()).map((t) => t.userText)).toEqual(['Session 1 message'])
      expect((await two.getTurns()).map((t) => t.userText)).toEqual(['Session 2 message'])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_get_items_with_parameters
    it('applies a limit to the current branch, inherited items included', async () => {
      const session = kind.make()
      await session.addItems([...turn('First question', 'First answer'), ...turn('Second question', 'Second answer')])
      expect(texts(await session.getItems(2))).toEqual(['Second question', 'Second answer'])
      await session.createBranchFromTurn(2, 'test_branch')
      await session.addItems(turn('Branch question', 'Branch answer'))
      expect(await session.getItems()).toHaveLength(4)
      expect(texts(await session.getItems(3))).toEqual(['First answer', 'Branch question', 'Branch answer'])
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_pop_item_uses_branch_snapshot_when_branch_switches_concurrently
    it('a pop called before a switch pops the branch it was called on', async () => {
      const session = kind.make()
      const main = [...turn('u1', 'a1'), ...turn('u2', 'a2')]
      await session.addItems(main)
      await session.createBranchFromTurn(2, 'branch_a')
      await session.addItems([user('branch-only')])
      const popping = session.popItem()
      const switching = session.switchToBranch('main')
      const [popped] = await Promise.all([popping, switching])
      expect(texts([popped!])).toEqual(['branch-only'])
      expect(await session.getCurrentBranchId()).toBe('main')
      expect(await storedTexts(session)).toEqual(texts(main))
    })

    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_stale_create_branch_after_clear_does_not_repoint
    // python tests/extensions/memory/test_advanced_sqlite_session.py::test_stale_switch_after_clear_does_not_repoint_to_deleted_branch
    // (here clearSession empties the current branch only: BranchingSession)
    it('a branch created and a clear called right after it land in call order: the new branch is current and empty, main whole', async () => {
      const session = kind.make()
      const main = [...turn('u1', 'a1'), ...turn('u2', 'a2')]
      await session.addItems(main)
      const creating = session.createBranchFromTurn(2, 'branch_b')
      const clearing = session.clearSession()
      const [branchId] = await Promise.all([creating, clearing])
      expect(await session.getCurrentBranchId()).toBe(branchId)
      expect(await session.getItems()).toEqual([])
      expect((await session.listBranches()).map((b) => [b.id, b.current])).toEqual([
        ['main', false],
        [branchId, true],
      ])
      await session.switchToBranch('main')
      expect(await storedTexts(session)).toEqual(texts(main))
    })

    if (kind.reopen) {
      // python tests/extensions/memory/test_advanced_sqlite_session.py::test_external_clear_resets_stale_branch_before_next_write
      // (the counterpart here: another tab deletes the branch this object is on)
      it('after another object deleted the current branch, the next write lands on its parent, never on the deleted branch', async () => {
        const stale = kind.make()
        await stale.addItems([...turn('u1', 'a1'), user('u2')])
        const branchId = await stale.createBranchFromTurn(2, 'stale')
        await kind.reopen!(stale).deleteBranch(branchId)
        await stale.addItems([user('after delete')])
        expect(await stale.getCurrentBranchId()).toBe('main')
        expect(await storedTexts(stale)).toEqual(['u1', 'a1', 'u2', 'after delete'])
        expect((await stale.listBranches()).map((b) => b.id)).toEqual(['main'])
      })

      // python tests/extensions/memory/test_advanced_sqlite_session.py::test_external_clear_resets_stale_branch_before_pop
      it('after another object deleted the current branch, a pop takes the newest item of the parent', async () => {
        const stale = kind.make()
        await stale.addItems([...turn('u1', 'a1'), user('u2')])
        const branchId = await stale.createBranchFromTurn(2, 'stale')
        await stale.addItems([user('branch-only')])
        const other = kind.reopen!(stale)
        await other.deleteBranch(branchId)
        await other.addItems([user('after delete')])
        expect(texts([(await stale.popItem())!])).toEqual(['after delete'])
        expect(await storedTexts(other)).toEqual(['u1', 'a1', 'u2'])
      })

      // python tests/extensions/memory/test_advanced_sqlite_session.py::test_external_clear_resets_stale_branch_before_default_reads
      it('after another object deleted the current branch and wrote on main, every read of this object shows main', async () => {
        const stale = kind.make()
        await stale.addItems([...turn('old question', 'old answer'), user('old follow-up')])
        const branchId = await stale.createBranchFromTurn(2, 'stale')
        const other = kind.reopen!(stale)
        await other.deleteBranch(branchId)
        await other.clearSession()
        await other.addItems([user('new main question'), functionCall('lookup-new-main', 'lookup'), assistant('new main answer')])
        await other.storeRunUsage({ usage: usage(1, 50, 30) })
        expect(await storedTexts(stale)).toEqual(['new main question', '', 'new main answer'])
        expect((await stale.getTurns()).map((t) => t.userText)).toEqual(['new main question'])
        expect((await stale.findTurns('new')).map((t) => t.turn)).toEqual([1])
        expect(await stale.getTurnUsage(1)).toEqual(usage(1, 50, 30))
        expect((await stale.listBranches()).map((b) => [b.id, b.current])).toEqual([['main', true]])
        expect(await stale.getCurrentBranchId()).toBe('main')
      })

      // (our counterpart of python's external clear: a clear from another tab empties the branch both are on)
      it('a clear from another object empties the branch both are on and leaves main whole', async () => {
        const first = kind.make()
        await first.addItems([...turn('u1', 'a1'), ...turn('u2', 'a2')])
        await first.createBranchFromTurn(2, 'shared')
        await first.addItems([user('on the branch')])
        await kind.reopen!(first).clearSession()
        expect(await first.getItems()).toEqual([])
        await first.addItems([user('after clear')])
        expect(await storedTexts(first)).toEqual(['after clear'])
        await first.switchToBranch('main')
        expect(await storedTexts(first)).toEqual(['u1', 'a1', 'u2', 'a2'])
      })
    }
  })
}
