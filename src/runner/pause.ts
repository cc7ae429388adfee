// The session side of approvals: where a paused run is kept, the checks before one is
// resumed, and what a new message does to one still waiting.
//
// Design: the stored history only ever holds whole turns. A paused turn (the model's
// function_call items, the outputs of calls that needed no approval, and input not saved
// yet) is NOT added to the history while it waits: it lives in the run state, which a
// PendingRunsSession keeps beside the history. When the run resumes, the turn with every
// output is appended and the pending run dropped in ONE atomic step (updatePendingRun); a
// new message instead answers the waiting calls with a cancellation and does the same.
import type * as z4 from 'zod/v4/core'
import { sameJson } from '../items/json.js'
import { isFunctionCall } from '../items/predicates.js'
import type { AgentItem } from '../items/types.js'
import { RunError, StaleRunStateError } from '../model/errors.js'
import { isCountingSession, isPendingRunsSession, isUsageTrackingSession, type PendingRunsSession } from '../session/capabilities.js'
import { addUsage, NO_USAGE, type UsageTotals } from '../session/usage.js'
import type { Session } from '../session/session.js'
import type { Agent } from './agent.js'
import { notRunOutput, TOOL_APPROVAL_ABANDONED_MESSAGE } from './approvals.js'
import { parseRunState, type HistoryMark, type RunState } from './run-state.js'

/** What the session holds now, to recognise it on resume. */
export async function markOf(session: Session): Promise<HistoryMark> {
  const [last] = await session.getItems(1)
  const count = isCountingSession(session) ? await session.getItemCount() : null
  return { count, last: last ?? null }
}

/**
 * Refuses to resume `state` on `session` when it is no longer the session's pending run or
 * the history changed since the pause. Runs before any approved tool does.
 * @throws {@link StaleRunStateError}
 */
export async function checkResumable(session: Session, state: RunState): Promise<void> {
  const { runId, history } = state.data
  if (isPendingRunsSession(session)) {
    const pending = await session.getPendingRun()
    if (pending?.runId !== runId) {
      throw new StaleRunStateError(
        pending
          ? `session "${session.sessionId}" now waits on another paused run (${pending.runId})`
          : `it is no longer pending in session "${session.sessionId}" (another tab resumed it, or a new message was sent)`,
      )
    }
  }
  const now = await markOf(session)
  const sameCount = history?.count == null || now.count == null || history.count === now.count
  if (!history || !sameCount || !sameJson(history.last, now.last)) {
    throw new StaleRunStateError(`the history of session "${session.sessionId}" changed since the run paused`)
  }
}

/**
 * A new run that is not a resume on a session with a waiting run abandons it: the paused
 * turn is saved with every waiting call answered by {@link TOOL_APPROVAL_ABANDONED_MESSAGE}
 * (decisions already taken are dropped too: nothing ran), and the pending run dropped, in
 * one step. The history stays valid model input and the user's message is not lost.
 * @returns the items saved, `[]` when nothing waited
 */
export async function abandonPendingRun<TContext, TOutput extends z4.$ZodType | undefined>(
  session: PendingRunsSession,
  agent: Agent<TContext, TOutput>,
): Promise<AgentItem[]> {
  const pending = await session.getPendingRun()
  if (!pending) return []
  let state: RunState
  try {
    state = parseRunState(agent, pending.state, false)
  } catch (error) {
    throw new RunError(
      'invalid_run_state',
      `Session "${session.sessionId}" holds a paused run (${pending.runId}) that cannot be read, so the new message was not sent. ` +
        `Drop it with session.updatePendingRun({ expected: '${pending.runId}', items: [], next: null }), then send again.`,
      { cause: error },
    )
  }
  const calls = state.data.turnItems.filter(isFunctionCall)
  const cancelled = state.data.pendingCallIds.map((callId) => notRunOutput(calls.find((call) => call.call_id === callId)!, TOOL_APPROVAL_ABANDONED_MESSAGE))
  const items = [...state.data.unsaved, ...state.data.turnItems, ...cancelled]
  await session.updatePendingRun({ expected: pending.runId, items, next: null })
  // The paused run's model calls count in the session's usage, on the turn just saved.
  const requests = state.data.perRequest
  if (requests.length > 0 && isUsageTrackingSession(session)) {
    let usage: UsageTotals = NO_USAGE
    for (const request of requests) usage = addUsage(usage, { requests: 1, ...request })
    await session.storeRunUsage({ usage })
  }
  return items
}
