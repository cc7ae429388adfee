// Input the user typed while the model could not be reached. It is kept in its own small
// database, apart from the session history the model sees, until it is sent. A record is
// 'pending' until a sender claims it ('sending', with a claim saying who and where the
// history ended); it is deleted once its turn is in the session. See retry-pending.ts.
import type { DBSchema, IDBPDatabase } from 'idb'
import type { AgentItem } from '../items/types.js'
import { toStoredItems } from '../items/validate.js'
import { isIndexedDBBackedSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'
import { disconnect, resolveFactory, toLocation, withDatabase, type DatabaseLocation, type DatabaseSpec } from './database.js'

/** The database name {@link PendingInputStore} uses when none is given. */
export const DEFAULT_PENDING_DB_NAME = 'idb-agents-pending'

/** Who is sending a pending input, and where the session's history ended when they began. */
export interface PendingClaim {
  /** Identifies the realm (tab, worker) that claimed it. */
  owner: string
  /** When it was claimed (ms since epoch). */
  at: number
  /** How many items the session held right before the send; its input lands at this index. */
  historyLength: number
}

/** One input kept for later. */
export interface PendingInput {
  /** Unique in its store; later inputs have larger ids. */
  id: number
  /** The session's database name (`session.dbName`), `''` for sessions without one. */
  scope: string
  /** The session it is meant for. */
  sessionId: string
  /** The items to send, as `run()` would have sent them (a string input becomes one user message). */
  input: AgentItem[]
  /** When it was kept (ms since epoch). */
  createdAt: number
  /** `'pending'` until a sender claims it; `'sending'` while (or if a tab crashed while) sending. */
  state: 'pending' | 'sending'
  /** Set while `state` is `'sending'`. */
  claim?: PendingClaim
}

/** Which session's pending input: any session, or its `sessionId` and `dbName`. */
export interface PendingTarget {
  sessionId: string
  /** The session's database; sessions without one (MemorySession, EncryptedSession) share `''`. */
  dbName?: string | undefined
}

/** The schema of the pending-input database, for typed access with `idb`. */
export interface PendingInputDB extends DBSchema {
  pending: {
    key: number
    value: PendingInput
    indexes: { bySession: [string, string] }
  }
}

/** Options of {@link PendingInputStore}. */
export interface PendingInputStoreOptions {
  /** @default 'idb-agents-pending' */
  dbName?: string
  /** The IndexedDB factory, e.g. a Storage Bucket's `bucket.indexedDB`. @default globalThis.indexedDB */
  indexedDB?: IDBFactory
}

type PendingDatabase = IDBPDatabase<PendingInputDB>

const PENDING_DB: DatabaseSpec<PendingInputDB> = {
  version: 1,
  upgrade(database) {
    const store = database.createObjectStore('pending', { keyPath: 'id', autoIncrement: true })
    store.createIndex('bySession', ['scope', 'sessionId'])
  },
}

function scopeOf(target: PendingTarget): string {
  return target.dbName ?? ''
}

/**
 * Durable storage for input that could not be sent (offline). `run()` keeps the input here
 * when it fails with `OfflineError` before saving anything; {@link retryPending} sends it
 * later, exactly once. Apps use {@link PendingInputStore.list} to show unsent messages and
 * {@link PendingInputStore.remove} to let the user discard one.
 *
 * Input is stored in clear. `run()` keeps input by default only for sessions that name an
 * IndexedDB database (`IndexedDBSession`), never for an `EncryptedSession`, whose history
 * must not be written in clear; pass your own store as `pendingInput` to opt in knowingly.
 *
 * @throws {@link StorageQuotaError}, {@link StorageUnavailableError}, {@link UpgradeBlockedError}
 *   or {@link StorageError} from any method, as the session stores do.
 */
export class PendingInputStore {
  /** The database holding the pending input. */
  readonly dbName: string
  readonly #location: DatabaseLocation

  /** @param options - database name and IndexedDB factory */
  constructor(options: PendingInputStoreOptions = {}) {
    this.#location = toLocation(options, DEFAULT_PENDING_DB_NAME)
    this.dbName = this.#location.dbName
  }

  /** Keeps `input` for the target session; returns the stored record. */
  async add(target: PendingTarget, input: readonly AgentItem[]): Promise<PendingInput> {
    const items = toStoredItems([...input])
    return this.#use('keeping pending input', async (db) => {
      const record = { scope: scopeOf(target), sessionId: target.sessionId, input: items, createdAt: Date.now(), state: 'pending' }
      const id = await db.add('pending', record as PendingInput)
      return { ...record, id } as PendingInput
    })
  }

  /** Every pending input of the target session, oldest first. */
  list(target: PendingTarget): Promise<PendingInput[]> {
    return this.#use('reading pending input', (db) =>
      db.getAllFromIndex('pending', 'bySession', [scopeOf(target), target.sessionId]),
    )
  }

  /** One pending input by id, or `undefined` when it was sent or removed. */
  get(id: number): Promise<PendingInput | undefined> {
    return this.#use('reading pending input', (db) => db.get('pending', id))
  }

  /** Discards a pending input (the user deleted the unsent message, or it was sent). */
  remove(id: number): Promise<void> {
    return this.#use('removing pending input', (db) => db.delete('pending', id))
  }

  /**
   * Marks a pending input as being sent, only if it is still as `seen` (same state and
   * claim): of two tabs claiming it at once exactly one succeeds, because readwrite
   * transactions on one store run one after the other. Used by {@link retryPending}.
   *
   * @returns the claimed record, or `undefined` when it changed or is gone
   */
  claim(seen: PendingInput, claim: PendingClaim): Promise<PendingInput | undefined> {
    return this.#use('claiming pending input', async (db) => {
      const tx = db.transaction('pending', 'readwrite')
      tx.done.catch(() => {}) // awaited below; a failing request must not leave it unhandled
      const current = await tx.store.get(seen.id)
      if (!current || current.state !== seen.state || current.claim?.owner !== seen.claim?.owner || current.claim?.at !== seen.claim?.at) {
        await tx.done
        return undefined
      }
      const claimed: PendingInput = { ...current, state: 'sending', claim }
      await Promise.all([tx.store.put(claimed), tx.done])
      return claimed
    })
  }

  /** Returns a claimed input to `'pending'` (its send failed before anything was saved), if `owner` still holds it. */
  release(id: number, owner: string): Promise<void> {
    return this.#use('releasing pending input', async (db) => {
      const tx = db.transaction('pending', 'readwrite')
      tx.done.catch(() => {}) // awaited below; a failing request must not leave it unhandled
      const current = await tx.store.get(id)
      if (current?.claim?.owner === owner) {
        const { claim: _claim, ...rest } = current
        await Promise.all([tx.store.put({ ...rest, state: 'pending' }), tx.done])
      }
      await tx.done
    })
  }

  /** Closes this store's connection; the next call reopens it. */
  close(): Promise<void> {
    return disconnect(this.#location)
  }

  #use<T>(action: string, operation: (db: PendingDatabase) => Promise<T>): Promise<T> {
    return withDatabase(this.#location, PENDING_DB, `${action} in "${this.dbName}"`, operation)
  }
}

let defaultStore: PendingInputStore | undefined

/**
 * The store `run()` and {@link retryPending} use for `session` when none is given: a shared
 * {@link PendingInputStore} for sessions that keep their items in clear in IndexedDB (an
 * `IndexedDBSession` does) where the global `indexedDB` can be read, else `undefined`
 * (input is not kept).
 */
export function defaultPendingStoreFor(session: Session): PendingInputStore | undefined {
  if (!isIndexedDBBackedSession(session)) return undefined
  try {
    resolveFactory({ dbName: DEFAULT_PENDING_DB_NAME })
  } catch {
    return undefined // no global indexedDB, or reading it throws (a sandboxed iframe): input is not kept
  }
  return (defaultStore ??= new PendingInputStore())
}

/** The {@link PendingTarget} of a session: its id, and its database name when it has one. */
export function pendingTargetOf(session: Session): PendingTarget {
  return { sessionId: session.sessionId, dbName: isIndexedDBBackedSession(session) ? session.indexedDBLocation.dbName : undefined }
}
