// Titles and branch names sealed by an encrypting decorator. A store keeps a sealed label
// as opaque data beside (never inside) the clear text field, so that a listing without the
// key shows "sealed", never ciphertext as if it were a name.
import { InvalidArgumentError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import type { BranchingSession } from './capabilities.js'
import type { Session } from './session.js'

/**
 * A session title or branch name sealed by `EncryptedSession` (AES-GCM, bound to the
 * session id, the branch id for names, and the key id). Stores keep it as given; only the
 * key holder can read it.
 */
export interface SealedLabel {
  /** Format version of the sealing. */
  v: number
  /** Id of the data key it was sealed with (in clear, like an envelope's). */
  kid: string
  /** 12-byte IV, base64. */
  iv: string
  /** AES-GCM ciphertext and tag, base64. */
  ct: string
}

/** True when `value` is shaped like a {@link SealedLabel} (whether it opens is another matter). */
export function isSealedLabel(value: unknown): value is SealedLabel {
  if (typeof value !== 'object' || value === null) return false
  const { v, kid, iv, ct } = value as Record<string, unknown>
  return typeof v === 'number' && typeof kid === 'string' && typeof iv === 'string' && typeof ct === 'string'
}

/** A copy of a sealed label holding its four fields only. */
export function copySealedLabel({ v, kid, iv, ct }: SealedLabel): SealedLabel {
  return { v, kid, iv, ct }
}

/**
 * A session with a title shown in session lists, clear or sealed. `IndexedDBSession` has
 * one; `EncryptedSession` seals titles through it.
 */
export interface TitledSession<TItem = AgentItem> extends Session<TItem> {
  /**
   * Sets the title, in clear (any sealed title is dropped). Does nothing visible until the
   * session has items: an empty session has no record yet.
   */
  setTitle(title: string): Promise<void>
  /** Sets a sealed title in place of any title (clear or sealed), as `setTitle` does. */
  setSealedTitle(title: SealedLabel): Promise<void>
  /** The title as stored: clear text, sealed, or `undefined` when none was set. */
  getStoredTitle(): Promise<string | SealedLabel | undefined>
}

/** True when `session` implements {@link TitledSession}. */
export function isTitledSession<TItem>(session: Session<TItem>): session is TitledSession<TItem> {
  return typeof (session as Partial<TitledSession<TItem>>).setSealedTitle === 'function'
}

/**
 * A branching session that can keep branch names sealed: `EncryptedSession` creates its
 * branches through it, so that names never reach the store in clear.
 */
export interface SealedBranchNamesSession<TItem = AgentItem> extends BranchingSession<TItem> {
  /**
   * Creates a branch as `createBranchFromTurn(turn)` does, but with the id `branchId` chosen
   * by the caller (a sealed name is bound to the id of its branch) and the sealed `name`,
   * listed as `name: ''` with `sealedName`.
   * @returns `branchId`
   * @throws {@link InvalidArgumentError} for a turn that does not exist, or a `branchId`
   *   that is taken or not 1–64 letters, digits, `-` or `_`. Nothing is changed then.
   */
  createSealedBranch(turn: number, branchId: string, name: SealedLabel): Promise<string>
}

/** True when `session` implements {@link SealedBranchNamesSession}. */
export function isSealedBranchNamesSession<TItem>(session: Session<TItem>): session is SealedBranchNamesSession<TItem> {
  return typeof (session as Partial<SealedBranchNamesSession<TItem>>).createSealedBranch === 'function'
}

/** Checks a caller-chosen branch id (see {@link SealedBranchNamesSession.createSealedBranch}). */
export function assertNewBranchId(branchId: unknown, exists: (id: string) => boolean): asserts branchId is string {
  if (typeof branchId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(branchId)) {
    throw new InvalidArgumentError(`branchId must be 1–64 letters, digits, '-' or '_', got ${JSON.stringify(branchId) ?? String(branchId)}`)
  }
  if (exists(branchId)) throw new InvalidArgumentError(`branch "${branchId}" already exists; choose another id`)
}
