// The capability guards `@openai/agents`' runner uses to pick its durable paths, as the
// JavaScript Agents SDK tests them (a bare session, one with the method, no session at all),
// then on every session kind here, each answering as the README's capability table says.
import { describe, expect, it } from 'vitest'
import {
  isOpenAIResponsesCompactionAwareSession,
  isSessionHistoryRewriteAwareSession,
  isSessionHistoryTransactionAwareSession,
  type AgentItem,
  type Session,
} from '../../src/index.js'
import { allKinds, compactionIndexedDBKind, compactionMemoryKind, historyKinds, summarizingKind } from './support/kinds.js'

/** A session with nothing but the five methods of the contract, plus `extra`. */
function bareSession(extra: Record<string, unknown> = {}): Session {
  return {
    sessionId: 'session',
    getSessionId: async () => 'session',
    getItems: async (): Promise<AgentItem[]> => [],
    addItems: async () => {},
    popItem: async () => undefined,
    clearSession: async () => {},
    ...extra,
  }
}

/** What an app has when a session is optional: no session at all. */
const noSession = undefined as Session | undefined

describe('session capability guards (ported)', () => {
  // js packages/agents-core/test/session.test.ts: 'detects OpenAI Responses compaction-aware sessions'
  it('detects compaction-aware sessions: not a missing or bare session, yes with runCompaction', () => {
    expect(isOpenAIResponsesCompactionAwareSession(noSession)).toBe(false)
    expect(isOpenAIResponsesCompactionAwareSession(bareSession())).toBe(false)
    expect(isOpenAIResponsesCompactionAwareSession(bareSession({ runCompaction: async () => null }))).toBe(true)
  })

  // js packages/agents-core/test/session.test.ts: 'detects history rewrite-aware sessions'
  it('detects history rewrite-aware sessions: not a missing or bare session, yes with applyHistoryMutations', () => {
    expect(isSessionHistoryRewriteAwareSession(noSession)).toBe(false)
    expect(isSessionHistoryRewriteAwareSession(bareSession())).toBe(false)
    expect(isSessionHistoryRewriteAwareSession(bareSession({ applyHistoryMutations: async () => {} }))).toBe(true)
  })

  // js packages/agents-core/test/session.test.ts: 'detects history transaction-aware sessions'
  it('detects history transaction-aware sessions: not a missing or bare session, yes with applyHistoryTransaction', () => {
    expect(isSessionHistoryTransactionAwareSession(noSession)).toBe(false)
    expect(isSessionHistoryTransactionAwareSession(bareSession())).toBe(false)
    expect(isSessionHistoryTransactionAwareSession(bareSession({ applyHistoryTransaction: async () => {} }))).toBe(true)
  })

  // The same guards on the kinds here: the history kinds offer transactions and mutations
  // (README "With @openai/agents"), the compaction kinds runCompaction, no kind both.
  const compactionKinds = [compactionMemoryKind, compactionIndexedDBKind, summarizingKind]
  for (const kind of allKinds) {
    it(`${kind.name}: answers each guard as the README's capability table says`, () => {
      const session = kind.make()
      const history = historyKinds.includes(kind)
      expect(isSessionHistoryTransactionAwareSession(session)).toBe(history)
      expect(isSessionHistoryRewriteAwareSession(session)).toBe(history)
      expect(isOpenAIResponsesCompactionAwareSession(session)).toBe(compactionKinds.includes(kind))
    })
  }
})
