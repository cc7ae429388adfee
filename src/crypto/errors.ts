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
 * - `plaintext_rejected`: a plain item in a session opened with `plaintext: 'reject'`.
 */
export type DecryptionFailure = 'authentication' | 'malformed' | 'unsupported_version' | 'plaintext_rejected'

/**
 * A stored item failed to decrypt. Names the item: its index in the window that was read
 * (`getItems(limit)` reads the newest `limit`; without a limit it is the position in the
 * whole history), the session, the key id and the time it was written (both stored in
 * clear). Nothing was returned and nothing was changed; open the session with
 * `onUndecryptable: 'skip'` to read around such items.
 */
export class DecryptionError extends IdbAgentsError {
  override name = 'DecryptionError'

  /** Session the item belongs to. */
  readonly sessionId: string
  /** Index of the item in the window read (oldest first). */
  readonly index: number
  /** Number of items in that window. */
  readonly windowSize: number
  /** Key id written in the envelope, when it had one. */
  readonly keyId: string | undefined
  /** When the item was written (ms since epoch), when the envelope said. */
  readonly writtenAt: number | undefined
  /** Why it failed. */
  readonly reason: DecryptionFailure

  constructor(details: {
    sessionId: string
    index: number
    windowSize: number
    reason: DecryptionFailure
    keyId?: string | undefined
    writtenAt?: number | undefined
    cause?: unknown
  }) {
    const { sessionId, index, windowSize, reason, keyId, writtenAt } = details
    const when = writtenAt === undefined || !Number.isFinite(writtenAt) ? '' : `, written ${new Date(writtenAt).toISOString()}`
    const key = keyId === undefined ? '' : `, key ${keyId}`
    super(
      'decryption_failed',
      `Item ${index} of ${windowSize} read from session "${sessionId}"${when}${key} cannot be decrypted: ${explain(reason)} ` +
        "Nothing was returned or changed. Open the session with onUndecryptable: 'skip' to read the other items.",
      { cause: details.cause },
    )
    this.sessionId = sessionId
    this.index = index
    this.windowSize = windowSize
    this.keyId = keyId
    this.writtenAt = writtenAt
    this.reason = reason
  }
}

function explain(reason: DecryptionFailure): string {
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
