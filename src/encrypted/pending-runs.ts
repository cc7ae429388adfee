// A paused run kept by an EncryptedSession: its state (the waiting calls' arguments, the
// turn's input and output) is sealed like a title, bound to the session and the run id, and
// the turn that lands with it is sealed at its positions like any append.
import { InvalidRunStateError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import { checkedPendingRun, type PendingRun, type PendingRunsSession, type PendingRunUpdate } from '../session/capabilities.js'
import type { SealedLabel } from '../session/labels.js'
import type { Session } from '../session/session.js'
import type { SessionCore } from './capability-methods.js'
import { openSealed, sealWithCurrentKey } from './labels.js'

/** The pending-run methods of an `EncryptedSession`, over `inner`'s. */
export function pendingRunMethods<TItem>(core: SessionCore, inner: PendingRunsSession<AgentItem>): Omit<PendingRunsSession<TItem>, keyof Session<TItem>> {
  return {
    getPendingRun: () =>
      core.afterWrites(async (): Promise<PendingRun | undefined> => {
        const stored = await inner.getPendingRun()
        if (!stored) return undefined
        const binding = { sessionId: core.sessionId, pendingRunId: stored.runId }
        const state = await openSealed(sealedOf(stored), core.options.keys, binding, false)
        return { runId: stored.runId, state: state!, createdAt: stored.createdAt }
      }),
    updatePendingRun: async (update: PendingRunUpdate<TItem>) => {
      const next = checkedPendingRun(update.next)
      const plain = toStoredItems(update.items as unknown[])
      const at = core.options.now()
      return core.run(async () => {
        const sealedNext = next && {
          ...next,
          state: JSON.stringify(await sealWithCurrentKey(next.state, core.options.keys, { sessionId: core.sessionId, pendingRunId: next.runId })),
        }
        await core.appender.appendVia(plain, at, (items, position) =>
          inner.updatePendingRun({ expected: update.expected, items, next: sealedNext, ...(position !== undefined && { position }) }),
        )
      })
    },
  }
}

/** The sealed label a stored pending run holds. */
function sealedOf(stored: PendingRun): SealedLabel {
  let label: unknown
  try {
    label = JSON.parse(stored.state)
  } catch (error) {
    throw new InvalidRunStateError(`the run waiting in this encrypted session is not sealed (it is not JSON)`, error)
  }
  const { v, kid, iv, ct } = (label ?? {}) as Partial<SealedLabel>
  if (typeof v !== 'number' || typeof kid !== 'string' || typeof iv !== 'string' || typeof ct !== 'string') {
    throw new InvalidRunStateError('the run waiting in this encrypted session is not sealed')
  }
  return { v, kid, iv, ct }
}
