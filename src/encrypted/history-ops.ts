// History transactions through an EncryptedSession. The plaintext suffix is checked after
// opening what is stored, the replacement sealed at the positions it will have, and the
// underlying store then replaces exactly the envelopes that were read (so another writer in
// between is caught in the write's own transaction), recording the operation id with a
// sealed digest of the transaction: a retry opens it and compares, nothing is in clear.
import { HistoryOperationConflictError, HistorySuffixMismatchError, PositionConflictError } from '../errors.js'
import { sameJson } from '../items/json.js'
import type { AgentItem } from '../items/types.js'
import { asStoredBatch, toStoredItems } from '../items/validate.js'
import type { CountingSession, SuffixReplaceableSession, SuffixReplacement } from '../session/capabilities.js'
import { isSealedLabel } from '../session/labels.js'
import type { SessionCore } from './capability-methods.js'
import { inspectItems, pickItems, sealItems } from './item-codec.js'
import { sealWithCurrentKey } from './labels.js'
import { openLabel } from '../crypto/label.js'
import { DecryptionError, WrongKeyError } from '../crypto/errors.js'
import { checkWindow } from './positions.js'

/** The underlying store history transactions of an `EncryptedSession` need. */
export type SuffixStore = SuffixReplaceableSession<AgentItem> & CountingSession<AgentItem>

// Attempts when other writers keep changing the branch between the read and the write.
const ATTEMPTS = 5

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

const binding = (sessionId: string, operationId: string) => ({ sessionId, branchId: `operation:${operationId}` })

/** The `SuffixReplaceableSession` methods of an `EncryptedSession`, on plaintext, over `inner`'s on envelopes. */
export function suffixMethods<TItem>(core: SessionCore, inner: SuffixStore): Pick<SuffixReplaceableSession<TItem>, 'replaceSuffix' | 'getHistoryOperation'> {
  const { sessionId } = core
  // An operation's sealed digest, opened; undefined when none is recorded.
  const recorded = async (operationId: string): Promise<string | undefined> => {
    const stored = await inner.getHistoryOperation(operationId)
    if (stored === undefined) return undefined
    let label: unknown
    try {
      label = JSON.parse(stored)
    } catch {
      label = undefined
    }
    const failed = (cause?: unknown) =>
      new DecryptionError({ sessionId, index: -1, windowSize: 0, reason: 'authentication', keyId: isSealedLabel(label) ? label.kid : undefined, label: { kind: 'operation', operationId }, cause })
    if (!isSealedLabel(label)) throw failed()
    const key = await core.options.keys.keyById(label.kid)
    if (key === undefined) {
      throw new WrongKeyError(
        `Session "${sessionId}" recorded history operation "${operationId}" under key ${label.kid}, which this keyring does not hold, so it cannot tell a retry from a conflict. ` +
          'Nothing was written; unlock the key store this session was written with.',
        { keyId: label.kid },
      )
    }
    try {
      return await openLabel(label, key, binding(sessionId, operationId))
    } catch (cause) {
      throw failed(cause)
    }
  }
  return {
    getHistoryOperation: (operationId) => core.afterWrites(() => recorded(operationId)),
    async replaceSuffix(change: SuffixReplacement<TItem>): Promise<boolean> {
      const expected = toStoredItems(change.expectedSuffix)
      const replacement = toStoredItems(change.replacement)
      const operation = change.operation
      const fingerprint = operation && (await digest(operation.fingerprint))
      const at = core.options.now()
      return core.run(async () => {
        await core.appender.check(false)
        const policy = { ...core.policy(), onUndecryptable: 'throw' as const, expiredBefore: -Infinity }
        let lastError: unknown
        for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
          if (operation) {
            const found = await recorded(operation.operationId)
            if (found !== undefined) {
              if (found === fingerprint) return false
              throw new HistoryOperationConflictError(sessionId, operation.operationId)
            }
          }
          const held = await inner.getItemCount()
          if (change.at !== undefined && change.at !== held) throw new PositionConflictError(sessionId, change.at, held)
          const start = held - expected.length
          if (start < 0) throw new HistorySuffixMismatchError(sessionId, expected.length, held)
          const raw = expected.length > 0 ? await inner.getItems(expected.length) : []
          const inspected = await inspectItems(raw, policy)
          const opened = pickItems<unknown>(inspected, policy, checkWindow(inspected, start).misplaced)
          if (raw.length !== expected.length || !opened.every((item, i) => sameJson(item, expected[i]))) {
            throw new HistorySuffixMismatchError(sessionId, expected.length, held)
          }
          const sealed = asStoredBatch(await sealItems(replacement, policy, at, start)) as unknown as AgentItem[]
          const sealedOperation = operation && {
            operationId: operation.operationId,
            fingerprint: JSON.stringify(await sealWithCurrentKey(fingerprint!, core.options.keys, binding(sessionId, operation.operationId))),
          }
          try {
            const applied = await inner.replaceSuffix({ at: held, expectedSuffix: asStoredBatch(raw as AgentItem[]), replacement: sealed, ...(sealedOperation ? { operation: sealedOperation } : {}) })
            core.appender.settle(start + replacement.length)
            return applied
          } catch (error) {
            core.appender.invalidate()
            const retry = error instanceof PositionConflictError || error instanceof HistorySuffixMismatchError || error instanceof HistoryOperationConflictError
            if (!retry) throw error
            lastError = error // another writer was first: read again
          }
        }
        throw lastError
      })
    },
  }
}
