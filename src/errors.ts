/**
 * Machine-readable reason of an {@link IdbAgentsError}. Switch on it rather than on
 * the message, which is written for people and may change.
 */
export type IdbAgentsErrorCode =
  | 'invalid_item'
  | 'invalid_argument'
  | 'invalid_export'
  | 'session_exists'
  | 'position_conflict'
  | 'history_operation_conflict'
  | 'history_suffix_mismatch'
  | 'storage_quota'
  | 'storage_unavailable'
  | 'storage_data_lost'
  | 'upgrade_blocked'
  | 'storage_failed'
  | 'wrong_key'
  | 'decryption_failed'
  | 'key_store'
  | 'max_turns_exceeded'
  | 'model_http'
  | 'offline'
  | 'tool_failed'
  | 'output_parse'
  | 'run_failed'
  | 'compaction_failed'
  | 'conversation_failed'
  | 'conflict'
  | 'not_found'
  | 'invalid_run_state'
  | 'run_state_stale'
  | 'unauthorized'
  | 'sync_failed'

/** Options every {@link IdbAgentsError} accepts. */
export interface IdbAgentsErrorOptions {
  /** The error that caused this one (a DOMException, ZodError, APIError …). */
  cause?: unknown
}

/**
 * Base class of every error idb-agents throws on purpose. `name` is the subclass name
 * (`'StorageQuotaError'` …) and `code` a fixed {@link IdbAgentsErrorCode}; the
 * underlying DOMException, ZodError or APIError, when there is one, is kept as `cause`.
 */
export class IdbAgentsError extends Error {
  /** Machine-readable reason; stable across versions. */
  readonly code: IdbAgentsErrorCode

  constructor(code: IdbAgentsErrorCode, message: string, options: IdbAgentsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    // Every subclass of idb-agents also sets `name` as a string: a minifier (ours or the
    // app's) renames classes, and `err.name` must still read 'StorageQuotaError'.
    this.name = new.target.name
    this.code = code
  }
}

/**
 * An item given to a session is not storable: not an object, not plain JSON (a function,
 * symbol, BigInt, cycle, class instance, `undefined` in an array, a non-finite number),
 * or of the wrong shape. Nothing of the batch was written.
 */
export class InvalidItemError extends IdbAgentsError {
  override name = 'InvalidItemError'

  /** Index of the offending item in the batch passed to `addItems`. */
  readonly index: number
  /** Path inside that item, e.g. `content[0].text`; `''` for the item itself. */
  readonly path: string

  constructor(index: number, path: string, problem: string) {
    const where = path === '' ? `item ${index}` : `item ${index} at ${path}`
    super('invalid_item', `Cannot store ${where}: ${problem}. Nothing from this batch was written.`)
    this.index = index
    this.path = path
  }
}

/** An argument is out of range or of the wrong type (e.g. `getItems(NaN)`). */
export class InvalidArgumentError extends IdbAgentsError {
  override name = 'InvalidArgumentError'

  constructor(message: string) {
    super('invalid_argument', message)
  }
}

/**
 * The browser refused a write because the origin's storage quota is used up. The write
 * changed nothing (`freed` is 0); free space (delete old sessions) or ask for persistent
 * storage, then retry.
 *
 * One exception, said in the message and in `freed`: `clearSession` and `deleteBranch` at
 * a completely full quota first delete the items they free, then update the session; when
 * the browser still refuses that update, the items stay deleted (the space is free) and the
 * branch shows what it shares with other branches. Calling the method again once there is
 * room finishes it.
 */
export class StorageQuotaError extends IdbAgentsError {
  override name = 'StorageQuotaError'

  /** Items deleted to free space by a call that could not finish; 0 when nothing changed. */
  readonly freed: number

  /**
   * @param cause - the browser's `QuotaExceededError`
   * @param partial - what a call that frees space did before it was refused (see above)
   */
  constructor(cause?: unknown, partial?: { freed: number; detail: string }) {
    super(
      'storage_quota',
      partial
        ? `The browser storage quota for this site is full. ${partial.detail}`
        : 'The browser storage quota for this site is full, so nothing was written and stored history is unchanged. ' +
            'Delete old conversations or request persistent storage, then try again.',
      { cause },
    )
    this.freed = partial?.freed ?? 0
  }
}

/**
 * IndexedDB cannot be used here: missing, disabled, or refused (some private modes).
 * Fall back to `MemorySession` and tell the user history will not be kept.
 */
export class StorageUnavailableError extends IdbAgentsError {
  override name = 'StorageUnavailableError'

  constructor(detail: string, cause?: unknown) {
    super(
      'storage_unavailable',
      `IndexedDB is not available (${detail}). History cannot be saved on this device; ` +
        'use MemorySession as a fallback and tell the user their conversation will not be kept.',
      { cause },
    )
  }
}

/**
 * The browser discarded a database of idb-agents because it was damaged (Chromium does
 * after a crash killed it mid-write, reporting `dataLoss: 'total'`) and opened it again,
 * empty. What was kept only on this device is gone. Thrown once, by the operation that
 * opened the database; the next call works on the empty database. Tell the user, and
 * restore from another copy (an export, a synced server) if there is one.
 */
export class StorageDataLostError extends IdbAgentsError {
  override name = 'StorageDataLostError'

  /** The database that was discarded. */
  readonly dbName: string

  /**
   * @param dbName - the discarded database
   * @param browserMessage - what the browser said about it, when it said something
   */
  constructor(dbName: string, browserMessage?: string) {
    const said = browserMessage ? ` (the browser said: ${browserMessage.replace(/\.+$/, '')})` : ''
    super(
      'storage_data_lost',
      `The browser discarded this device's copy of database "${dbName}" because it was damaged${said}; ` +
        'the history, pending input or keys it held on this device are gone. Tell the user, and restore from an export or another device if there is one.',
    )
    this.dbName = dbName
  }
}

/**
 * Opening the database needs a schema upgrade, and another tab or window still holds an
 * older version open and does not close it.
 */
export class UpgradeBlockedError extends IdbAgentsError {
  override name = 'UpgradeBlockedError'

  constructor(dbName: string) {
    super(
      'upgrade_blocked',
      `Database "${dbName}" needs an upgrade, but another tab of this site still has an older version open. ` +
        'Close or reload the other tabs of this app, then try again.',
    )
  }
}

/** Any other IndexedDB failure; the operation changed nothing. `cause` holds the DOMException. */
export class StorageError extends IdbAgentsError {
  override name = 'StorageError'

  constructor(message: string, cause?: unknown) {
    super('storage_failed', message, { cause })
  }
}

/**
 * A session export given to `importSession` was refused: malformed, truncated, made by a
 * newer version of idb-agents, or inconsistent. Nothing was written.
 */
export class InvalidExportError extends IdbAgentsError {
  override name = 'InvalidExportError'

  /** Every problem found, each naming where in the document it is. */
  readonly issues: string[]

  constructor(issues: string[], cause?: unknown) {
    const shown = issues.slice(0, 5).join('; ')
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''
    super('invalid_export', `This file is not a session export idb-agents can import: ${shown}${more}. Nothing was imported.`, {
      cause,
    })
    this.issues = issues
  }
}

/** `importSession` found a session with the same id and was not told to replace it. Nothing was written. */
export class SessionExistsError extends IdbAgentsError {
  override name = 'SessionExistsError'

  constructor(sessionId: string) {
    super(
      'session_exists',
      `A session "${sessionId}" already exists. Import it under another id ({ sessionId }) or pass { replace: true } to overwrite it.`,
    )
  }
}

/**
 * `addItemsAt(position, …)` found the current branch holding another number of items than
 * `position`: another writer (another tab, another session object) added or removed items
 * since the caller counted. Nothing was written; count again (`getItemCount`) and retry.
 */
export class PositionConflictError extends IdbAgentsError {
  /** The position the items were meant for: how many items the caller expected. */
  readonly expected: number
  /** How many items the current branch held. */
  readonly actual: number

  constructor(sessionId: string, expected: number, actual: number) {
    super(
      'position_conflict',
      `Session "${sessionId}" holds ${actual} items on its current branch, not ${expected}: another writer changed it meanwhile. ` +
        'Nothing was written; count the items again and retry.',
    )
    this.expected = expected
    this.actual = actual
  }
}

/**
 * `applyHistoryTransaction` was given an operation id that this session already applied
 * with a different transaction (a retry must repeat exactly the same transaction). Nothing
 * was written; use a new operation id for a new change.
 */
export class HistoryOperationConflictError extends IdbAgentsError {
  override name = 'HistoryOperationConflictError'
  /** The operation id that was reused. */
  readonly operationId: string

  constructor(sessionId: string, operationId: string) {
    super(
      'history_operation_conflict',
      `Session "${sessionId}" already applied operation "${operationId}" with a different transaction. ` +
        'Nothing was written; retry an operation with exactly the same transaction, or give a new change a new operation id.',
    )
    this.operationId = operationId
  }
}

/**
 * A serialized run state (`RunState.fromString`, or a session's pending run) was refused:
 * not JSON, not a run state, made by a newer version of idb-agents, or made for another
 * agent. Nothing was run or written.
 */
export class InvalidRunStateError extends IdbAgentsError {
  override name = 'InvalidRunStateError'

  /** @param problem - what is wrong with it, e.g. `"it is not JSON"` */
  constructor(problem: string, cause?: unknown) {
    super(
      'invalid_run_state',
      `This run state cannot be resumed: ${problem}. Nothing was run or written; start a new run (or drop the stored state) instead.`,
      { cause },
    )
  }
}

/**
 * A `replace_suffix` history transaction (or a history rewrite) expected the newest items
 * of the current branch to be `expectedSuffix`, and they were not: another writer changed
 * the history since it was read. Nothing was written; read the history again.
 */
export class HistorySuffixMismatchError extends IdbAgentsError {
  override name = 'HistorySuffixMismatchError'
  /** How many newest items were expected to match. */
  readonly expectedLength: number
  /** How many items the current branch held. */
  readonly actualLength: number

  constructor(sessionId: string, expectedLength: number, actualLength: number) {
    super(
      'history_suffix_mismatch',
      `The newest ${expectedLength} items of session "${sessionId}" (which holds ${actualLength} on its current branch) are not the ones the change expected: ` +
        'the history changed since it was read. Nothing was written; read the history again before changing it.',
    )
    this.expectedLength = expectedLength
    this.actualLength = actualLength
  }
}

/**
 * `createBranchFromContent(text)` found no user message on the current branch containing
 * `text`. Nothing was created; look the turn up with `findTurns` or branch from a turn number.
 */
export class TurnNotFoundError extends IdbAgentsError {
  override name = 'TurnNotFoundError'
  /** The text that was looked for. */
  readonly text: string

  constructor(sessionId: string, text: string, turnCount: number) {
    super(
      'not_found',
      `No user message of the current branch of session "${sessionId}" (${turnCount} turns) contains ${JSON.stringify(text)}. ` +
        'Nothing was created; look for the turn with findTurns, or branch from a turn number with createBranchFromTurn.',
    )
    this.text = text
  }
}

/**
 * A session's pending run (a run paused for tool approvals, see `PendingRunsSession`) is
 * not the one the caller expected: another tab resumed or abandoned it, or a newer pause
 * replaced it. Nothing was written; read the pending run again (`RunState.fromSession`).
 */
export class PendingRunConflictError extends IdbAgentsError {
  override name = 'PendingRunConflictError'

  /** The pending run id the caller expected (`null`: none). */
  readonly expected: string | null
  /** The pending run id the session holds (`null`: none). */
  readonly actual: string | null

  constructor(sessionId: string, expected: string | null, actual: string | null) {
    super(
      'run_state_stale',
      `Session "${sessionId}" ${actual === null ? 'has no pending run' : `has pending run ${actual}`}, not ${expected === null ? 'none' : expected}: ` +
        'another tab resumed or abandoned it meanwhile. Nothing was written; read the session\'s pending run again.',
    )
    this.expected = expected
    this.actual = actual
  }
}

/**
 * The message of any thrown value, for building another message around it: without
 * trailing full stops, so that "…: {message}. What to do." never reads "..".
 */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
  return text.trim().replace(/[.\s]+$/, '')
}
