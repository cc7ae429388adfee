import { IdbAgentsError } from '../errors.js'

/**
 * The passphrase or key does not open this data: a wrong passphrase at unlock (the
 * AES-KW unwrap of the keyring key failed its integrity check), or a session whose items
 * were encrypted with a key the given keyring does not hold. Nothing was read or written.
 *
 * Never skipped, whatever `onUndecryptable` says: a wrong key must not look like an empty
 * conversation.
 */
export class WrongKeyError extends IdbAgentsError {
  override name = 'WrongKeyError'

  /** Id of the key the items were written with, when the error comes from a session. */
  readonly keyId: string | undefined

  constructor(message: string, options: { keyId?: string; cause?: unknown } = {}) {
    super('wrong_key', message, { cause: options.cause })
    this.keyId = options.keyId
  }
}

/**
 * Why an item could not be decrypted:
 * - `authentication`: AES-GCM rejected it: changed, truncated, or copied from another session
 *   (including a ciphertext export imported under another session id);
 * - `malformed`: it looks like an envelope but a field is missing or not valid base64;
 * - `unsupported_version`: written by a newer version of idb-agents;
 * - `plaintext_rejected`: a plain item in a session opened with `plaintext: 'reject'`;
 * - `out_of_place`: it opens, but was sealed for another position than the one it is
 *   stored at: items were swapped, one was duplicated (replayed) or one before it removed.
 *   Thrown whatever `onUndecryptable` says: skipping an item cannot put history back in order.
 */
export type DecryptionFailure = 'authentication' | 'malformed' | 'unsupported_version' | 'plaintext_rejected' | 'out_of_place'

/**
 * What a {@link DecryptionError} names when it is not an item: a session title, a branch
 * name, the sealed record of a history operation, or a run waiting for approval.
 */
export type SealedLabelKind = 'title' | 'branch-name' | 'operation' | 'pending-run'

/**
 * A stored item failed to decrypt. Names the item: its index in the window that was read
 * (`getItems(limit)` reads the newest `limit`; without a limit it is the position in the
 * whole history), the session, the key id and the time it was written (both stored in
 * clear). Nothing was returned and nothing was changed; open the session with
 * `onUndecryptable: 'skip'` to read around such items (not around `out_of_place` ones).
 *
 * A sealed title or branch name that fails to open is one too, with `label` set and
 * `index` -1.
 */
export class DecryptionError extends IdbAgentsError {
  override name = 'DecryptionError'

  /** Session the item belongs to. */
  readonly sessionId: string
  /** Index of the item in the window read (oldest first); -1 for a title or branch name. */
  readonly index: number
  /** Number of items in that window (0 for a title or branch name). */
  readonly windowSize: number
  /** Key id written in the envelope, when it had one. */
  readonly keyId: string | undefined
  /** When the item was written (ms since epoch), when the envelope said. */
  readonly writtenAt: number | undefined
  /** Why it failed. */
  readonly reason: DecryptionFailure
  /** For `out_of_place`: the position where the item is stored (what its envelope should say). */
  readonly expectedPosition: number | undefined
  /** For `out_of_place`: the position its envelope was sealed at. */
  readonly foundPosition: number | undefined
  /** Set when what failed is the session's title or a branch's name rather than an item. */
  readonly label: SealedLabelKind | undefined
  /** The branch whose name failed (`label: 'branch-name'`). */
  readonly branchId: string | undefined
  /** The history operation whose sealed record failed (`label: 'operation'`, see `applyHistoryTransaction`). */
  readonly operationId: string | undefined

  constructor(details: {
    sessionId: string
    index: number
    windowSize: number
    reason: DecryptionFailure
    keyId?: string | undefined
    writtenAt?: number | undefined
    position?: { expected: number; found: number } | undefined
    label?: { kind: SealedLabelKind; branchId?: string | undefined; operationId?: string | undefined } | undefined
    /** Set when `popItem()` met the item: it never skips one, so the advice differs. */
    popping?: boolean | undefined
    cause?: unknown
  }) {
    const { sessionId, index, windowSize, reason, keyId, writtenAt, position, label, popping } = details
    const when = writtenAt === undefined || !Number.isFinite(writtenAt) ? '' : `, written ${new Date(writtenAt).toISOString()}`
    const key = keyId === undefined ? '' : `, key ${keyId}`
    const subject =
      label === undefined
        ? `Item ${index} of ${windowSize} read from session "${sessionId}"${when}${key}`
        : label.kind === 'title'
          ? `The title of session "${sessionId}"${key}`
          : label.kind === 'operation'
            ? `The record of history operation "${label.operationId ?? '?'}" of session "${sessionId}"${key}`
          : label.kind === 'pending-run'
            ? `The run waiting for approval in session "${sessionId}"${key}`
            : `The name of branch "${label.branchId ?? '?'}" of session "${sessionId}"${key}`
    const next =
      label?.kind === 'operation'
        ? 'Nothing was changed; the operation cannot be confirmed as applied, so it is refused rather than applied twice.'
        : label !== undefined
        ? 'Nothing was changed; set it again to replace it.'
        : reason === 'out_of_place'
          ? 'Nothing was returned or changed. Restore the session from an export or another device, or delete it.'
          : popping
            ? "Nothing was removed: popItem() never skips an item. Remove it with the underlying session's popItem(), or clear the session."
          : "Nothing was returned or changed. Open the session with onUndecryptable: 'skip' to read the other items."
    super('decryption_failed', `${subject} cannot be decrypted: ${explain(reason, position)} ${next}`, { cause: details.cause })
    this.sessionId = sessionId
    this.index = index
    this.windowSize = windowSize
    this.keyId = keyId
    this.writtenAt = writtenAt
    this.reason = reason
    this.expectedPosition = position?.expected
    this.foundPosition = position?.found
    this.label = label?.kind
    this.branchId = label?.branchId
    this.operationId = label?.operationId
  }
}

function explain(reason: DecryptionFailure, position: { expected: number; found: number } | undefined): string {
  switch (reason) {
    case 'authentication':
      return (
        'it failed authentication: it was changed, truncated, or copied from another session. ' +
        'An export imported under another session id fails this way: re-encrypt it for the new id with encryptSessionExport(doc, { key, sessionId }) before importSession.'
      )
    case 'malformed':
      return 'it is an encrypted envelope with a missing or invalid field.'
    case 'unsupported_version':
      return 'it was written by a newer version of idb-agents; upgrade to read it.'
    case 'plaintext_rejected':
      return "it is stored unencrypted and the session was opened with plaintext: 'reject'."
    case 'out_of_place':
      return (
        `it is out of place: it was sealed at position ${position?.found ?? '?'} but is stored at position ${position?.expected ?? '?'}, ` +
        'so items of this session were swapped, duplicated or removed outside idb-agents.'
      )
  }
}

/**
 * What went wrong with the key store:
 * - `not_found`: no keyring was created in this database yet (call `create`);
 * - `already_exists`: `create` on a database that already holds a keyring;
 * - `corrupt`: the stored record is not one idb-agents wrote, or a wrapped key is damaged;
 * - `storage`: IndexedDB failed; `cause` holds the DOMException;
 * - `rotation_incomplete`: `rotateDataKey` kept finding new items under the old key; the
 *   rotation stays under way (nothing unreadable) and can be resumed.
 */
export type KeyStoreFailure = 'not_found' | 'already_exists' | 'corrupt' | 'storage' | 'rotation_incomplete'

/** The key store could not do what was asked; nothing stored was changed. */
export class KeyStoreError extends IdbAgentsError {
  override name = 'KeyStoreError'

  /** Why it failed. */
  readonly reason: KeyStoreFailure

  constructor(reason: KeyStoreFailure, message: string, cause?: unknown) {
    super('key_store', message, { cause })
    this.reason = reason
  }
}
