// The Python Agents SDK's live session tests (integration_tests/openai/test_sessions.py), run
// against the local API server instead of the real API: a real `openai` client speaking the
// Responses, Conversations and compact wire formats, with scripted model answers. What they
// check is what the model is SENT: history from a reopened store, a replayed input list, a
// Conversations session's items, and a compacted history in both compaction modes.
import { describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import {
  Agent,
  createOpenAIClient,
  IndexedDBSession,
  OpenAIConversationsSession,
  OpenAIResponsesCompactionSession,
  Runner,
  tool,
  type AgentItem,
  type JsonObject,
  type RunOptions,
  type Session,
} from '../../src/index.js'
import { createServerScript, type RecordedRequest, type ScriptedTurn } from '../../src/testing/index.js'
import { allKinds, dbName } from './support/kinds.js'
import { textOf } from './support/items.js'

const serverUrl = inject('apiServerUrl')
type Mode = 'run' | 'stream'

async function setup(turns: ScriptedTurn[]) {
  const script = await createServerScript(serverUrl, turns)
  const client = createOpenAIClient({ baseURL: script.baseURL, maxRetries: 0 })
  const runner = new Runner({ client, model: 'gpt-test' })
  /**
   * The finished RunResult in either mode. (Python's streamed result has `to_input_list()` and
   * `last_response_id` itself; here a StreamedRunResult hands over the finished RunResult
   * through `completed`, as its TSDoc says, and that is where they are.)
   */
  async function runIn(mode: Mode, agent: Agent, input: string | AgentItem[], options: RunOptions = {}) {
    if (mode === 'run') return runner.run(agent, input, options)
    const stream = await runner.run(agent, input, { ...options, stream: true })
    for await (const _event of stream) {
      // drain
    }
    return stream.completed
  }
  /** Bodies of the model requests (`/v1/responses`), in order. */
  const modelBodies = async () => (await script.requests()).filter((r: RecordedRequest) => r.path === '/v1/responses').map((r) => r.body as JsonObject)
  return { script, client, runIn, modelBodies }
}

/** Short lines for items, whatever shape the store or the wire gives them in. */
const lines = (items: readonly AgentItem[]) =>
  items.map((item) =>
    item.type === 'function_call_output'
      ? `output ${item.call_id}: ${String(item.output)}`
      : item.type === 'function_call'
        ? `call ${item.call_id} ${item.name}`
        : item.type === 'compaction'
          ? 'compaction'
          : `${item.role}: ${textOf(item)}`,
  )
const inputOf = (body: JsonObject | undefined) => lines((body?.input ?? []) as AgentItem[])

for (const kind of allKinds.filter((k) => k.reopen)) {
  describe(`${kind.name}: live session cases on the local API server (ported)`, () => {
    // python integration_tests/openai/test_sessions.py::test_sqlite_session_persists_tool_history_across_reopened_instances
    it('a reopened session sends the tool call and output of the earlier run, and the tool is not called again', async () => {
      const { runIn, modelBodies } = await setup([
        { toolCalls: [{ name: 'lookup_codeword', arguments: { label: 'release' }, callId: 'call_codeword' }] },
        'STORED',
        'MARIGOLD',
      ])
      const calls: string[] = []
      const lookup = tool({ name: 'lookup_codeword', description: 'Look up the secret codeword.', parameters: z.object({ label: z.string() }), execute: ({ label }) => (calls.push(label), 'MARIGOLD') })
      const agent = new Agent({ name: 'Packaged session agent', instructions: 'Use lookup_codeword when requested.', tools: [lookup] })
      const session = kind.make()
      const first = await runIn('run', agent, "Use lookup_codeword with label='release' and reply only STORED.", { session })
      expect(first.finalOutput).toBe('STORED')
      const reopened = kind.reopen!(session)
      const second = await runIn('run', agent, 'What exact codeword did the tool return? Answer with that word only.', { session: reopened })
      expect(second.finalOutput).toBe('MARIGOLD')
      expect(calls).toEqual(['release'])
      expect(inputOf((await modelBodies())[2])).toEqual([
        "user: Use lookup_codeword with label='release' and reply only STORED.",
        'call call_codeword lookup_codeword',
        'output call_codeword: MARIGOLD',
        'assistant: STORED',
        'user: What exact codeword did the tool return? Answer with that word only.',
      ])
      expect(lines(await reopened.getItems())).toContain('output call_codeword: MARIGOLD')
    })
  })
}

describe.each(['run', 'stream'] as const)('live cases without a session store (ported, %s)', (mode) => {
  // python integration_tests/openai/test_sessions.py::test_explicit_input_replay_preserves_a_real_response_history
  it('toInputList() of a run, sent back with a new message, carries the whole exchange', async () => {
    const { runIn, modelBodies } = await setup(['STORED', '907'])
    const agent = new Agent({ name: 'Packaged explicit replay agent' })
    const first = await runIn(mode, agent, 'Remember that the verification number is 907. Reply only STORED.')
    const replay = first.toInputList()
    expect(lines(replay)).toEqual(['user: Remember that the verification number is 907. Reply only STORED.', 'assistant: STORED'])
    const second = await runIn(mode, agent, [...replay, { role: 'user', content: 'What verification number did I provide? Reply with only the number.' }])
    expect(second.finalOutput).toBe('907')
    expect(inputOf((await modelBodies())[1])).toEqual([...lines(replay), 'user: What verification number did I provide? Reply with only the number.'])
  })

  // python integration_tests/openai/test_sessions.py::test_openai_conversations_session_preserves_server_managed_history
  it('an OpenAIConversationsSession with a limit of 20 carries the first exchange into the second run', async () => {
    const { client, runIn, modelBodies } = await setup(['STORED', 'COBALT'])
    const session = new OpenAIConversationsSession({ client, settings: { limit: 20 } })
    const agent = new Agent({ name: 'Packaged OpenAI Conversations session agent', instructions: 'Remember user-provided release words.' })
    const first = await runIn('run', agent, 'Remember the release word COBALT and reply only STORED.', { session })
    const second = await runIn(mode, agent, 'What release word did I give you? Reply with that word only.', { session })
    const items = await session.getItems()
    expect(first.finalOutput).toBe('STORED')
    expect(second.finalOutput).toBe('COBALT')
    expect(lines(items)).toEqual([
      'user: Remember the release word COBALT and reply only STORED.',
      'assistant: STORED',
      'user: What release word did I give you? Reply with that word only.',
      'assistant: COBALT',
    ])
    expect(inputOf((await modelBodies())[1])).toEqual(lines(items).slice(0, 3))
    await session.clearSession()
    expect(await session.getItems()).toEqual([])
  })
})

// python integration_tests/openai/test_sessions.py::test_responses_compaction_preserves_history_across_owner_modes
// (Python finds the compaction item in the underlying session; here the underlying session is
// the never-compacted transcript and the compaction item is in the compacted view, the
// session's getItems(), as CompactingSession's TSDoc says.)
describe.each([
  ['auto', false],
  ['previous_response_id', true],
] as const)('OpenAIResponsesCompactionSession in %s mode with store %s (ported)', (compactionMode, store) => {
  it.each(['run', 'stream'] as const)('compacts after each run and the next run is sent the compacted history (%s)', async (mode) => {
    const { client, script, runIn, modelBodies } = await setup(['STORED', 'JASPER'])
    const underlying: Session = new IndexedDBSession(`live-compaction-${compactionMode}-${mode}-${crypto.randomUUID()}`, { dbName })
    const session = new OpenAIResponsesCompactionSession({ underlyingSession: underlying, client, compactionMode, shouldTriggerCompaction: (context) => context.candidateCount > 0 })
    const agent = new Agent({ name: 'Packaged Responses compaction agent', modelSettings: { store } })
    const first = await runIn('run', agent, 'Remember the release word JASPER and reply only STORED.', { session })
    const firstView = lines(await session.getItems())
    const second = await runIn(mode, agent, 'What release word did I give you? Reply with that word only.', { session })
    expect(first.finalOutput).toBe('STORED')
    expect(second.finalOutput).toBe('JASPER')
    expect(firstView).toEqual(['user: Remember the release word JASPER and reply only STORED.', 'compaction'])
    expect(lines(await session.getItems())).toEqual([
      'user: Remember the release word JASPER and reply only STORED.',
      'user: What release word did I give you? Reply with that word only.',
      'compaction',
    ])
    expect(inputOf((await modelBodies())[1])).toEqual([...firstView, 'user: What release word did I give you? Reply with that word only.'])
    expect(lines(await underlying.getItems())).toEqual([
      'user: Remember the release word JASPER and reply only STORED.',
      'assistant: STORED',
      'user: What release word did I give you? Reply with that word only.',
      'assistant: JASPER',
    ])
    const compacts = (await script.requests()).filter((r) => r.path === '/v1/responses/compact').map((r) => r.body as JsonObject)
    expect(compacts).toHaveLength(2)
    const responseIds = [first.lastResponseId, second.lastResponseId]
    compacts.forEach((body, i) => {
      if (store) expect(body.previous_response_id).toBe(responseIds[i])
      else expect(body).not.toHaveProperty('previous_response_id')
    })
  })
})
