// Session titles and branch names, sealed like items: AES-GCM-256 under the session's data
// key, a fresh IV, bound to what they name so that one cannot be moved to another session
// or branch. A chat title is often the first message, so it deserves the same care.
import type { SealedLabel } from '../session/labels.js'
import { base64ToBytes, bytesToBase64, randomBytes } from './base64.js'

/** Format version of {@link sealLabel}. */
export const LABEL_VERSION = 1

/** What a label names: the session's title, or the name of one branch. */
export interface LabelBinding {
  sessionId: string
  /** The branch a name belongs to; absent for the session title. */
  branchId?: string | undefined
  /** The paused run a sealed run state belongs to (`PendingRunsSession`); absent otherwise. */
  pendingRunId?: string | undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

// AAD: ["idb-agents/label", v, "title" | "branch-name" | "pending-run", sessionId, branchId | runId | null, kid].
function additionalData(v: number, { sessionId, branchId, pendingRunId }: LabelBinding, kid: string): Uint8Array<ArrayBuffer> {
  if (pendingRunId !== undefined) return encoder.encode(JSON.stringify(['idb-agents/label', v, 'pending-run', sessionId, pendingRunId, kid]))
  const kind = branchId === undefined ? 'title' : 'branch-name'
  return encoder.encode(JSON.stringify(['idb-agents/label', v, kind, sessionId, branchId ?? null, kid]))
}

/** Seals `text` with data key `key` (id `kid`), bound to `binding` and the key id. */
export async function sealLabel(text: string, key: CryptoKey, kid: string, binding: LabelBinding): Promise<SealedLabel> {
  const iv = randomBytes(12)
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(LABEL_VERSION, binding, kid) }, key, encoder.encode(text))
  return { v: LABEL_VERSION, kid, iv: bytesToBase64(iv), ct: bytesToBase64(new Uint8Array(ct)) }
}

/**
 * Opens a sealed label with `key` (the key of `label.kid`). Rejects (an OperationError, or
 * a TypeError for a malformed or newer label) when it fails authentication: changed, or
 * moved from another session or branch.
 */
export async function openLabel(label: SealedLabel, key: CryptoKey, binding: LabelBinding): Promise<string> {
  const iv = base64ToBytes(label.iv)
  const ct = base64ToBytes(label.ct)
  if (label.v !== LABEL_VERSION || iv?.length !== 12 || ct === undefined || ct.length < 16) {
    throw new TypeError(`not a sealed label this version of idb-agents can open (version ${String(label.v)})`)
  }
  const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: additionalData(label.v, binding, label.kid) }, key, ct)
  return decoder.decode(plaintext)
}
