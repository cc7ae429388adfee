import { IdbAgentsError, InvalidArgumentError, messageOf } from '../errors.js'
import { copySealedLabel, type SealedLabel } from '../session/labels.js'
import { toLocation, withDatabase, type DatabaseOptions } from './database.js'
import { currentBranch, readRows, operationsBound, sessionBound, toSessionInfo, type SessionInfo } from './records.js'
import { findInTurns, type TurnMatch } from '../session/turns.js'
import { newEtag, SESSION_STORES, SESSIONS_DB, type SessionRecord } from './schema.js'
import { settleRecord } from './settle.js'
import { deleteOnly } from './free-space.js'
import { publishChange } from './changes.js'

/**
 * Opens the sealed titles of a session list (see {@link ListSessionsOptions.titles}).
 * `sealedTitles(keyring)` builds one from a key; the store itself never holds a key.
 */
export interface TitleOpener {
  /**
   * The title in clear, or `undefined` when this opener does not hold the key it was
   * sealed with (the session stays listed as sealed). Rejects when it fails authentication.
   */
  open(title: SealedLabel, sessionId: string): Promise<string | undefined>
}

/** Options of {@link listSessions}. */
export interface ListSessionsOptions extends DatabaseOptions {
  /** Page size. @default 50 */
  limit?: number
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string
  /**
   * Opens sealed titles (those of `EncryptedSession`s): `sealedTitles(keyring)`. Without it,
   * or for a title under a key it does not hold, a sealed title is listed as
   * `titleSealed: true` with no `title`; one that fails to open gets a `problem` instead.
   * @default undefined (sealed titles stay sealed)
   */
  titles?: TitleOpener
}

/** One page of {@link listSessions}. */
export interface SessionPage {
  /** Sessions, most recently updated first. */
  sessions: SessionInfo[]
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const parsed: unknown = JSON.parse(cursor)
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return [parsed[0], parsed[1]]
    }
  } catch {
    // reported below
  }
  throw new InvalidArgumentError(`cursor ${JSON.stringify(cursor)} is not a nextCursor returned by listSessions.`)
}

/**
 * Lists the sessions stored in a database, most recently updated first, one page at a
 * time (a conversation sidebar). Costs O(page), whatever the number of sessions. Titles of
 * encrypted sessions are sealed: pass `titles: sealedTitles(keyring)` to show them.
 */
export async function listSessions(options: ListSessionsOptions = {}): Promise<SessionPage> {
  const limit = options.limit ?? 50
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new InvalidArgumentError(`limit must be a positive integer, got ${String(limit)}.`)
  }
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
  const sealed = new Map<SessionInfo, SealedLabel>()
  const page = await withDatabase(toLocation(options), SESSIONS_DB, 'listing sessions', async (db) => {
    const tx = db.transaction(SESSION_STORES)
    tx.done.catch(() => {}) // the results are read by then; a late abort changes nothing
    const index = tx.objectStore('sessions').index('byUpdatedAt')
    const range = after ? IDBKeyRange.upperBound(after, true) : undefined
    const records: SessionRecord[] = []
    let more = false
    for (let cursor = await index.openCursor(range, 'prev'); cursor; cursor = await cursor.continue()) {
      if (records.length === limit) {
        more = true
        break
      }
      records.push(cursor.value)
    }
    // Counts as readers see them: a branch whose newest items were freed at full quota ends before them.
    const settled = await Promise.all(records.map((record) => settleRecord(tx, record).catch(() => record)))
    const sessions = settled.map((record) => {
      const info = toSessionInfo(record)
      if (info.titleSealed && record.sealedTitle) sealed.set(info, record.sealedTitle)
      return info
    })
    const result: SessionPage = { sessions }
    const last = records[records.length - 1]
    if (more && last) result.nextCursor = JSON.stringify([last.updatedAt, last.id])
    return result
  })
  if (options.titles) await openTitles(sealed, options.titles)
  return page
}

/** Opens sealed titles after the transaction (WebCrypto must never run inside one); one failure marks only its own session. */
async function openTitles(sealed: Map<SessionInfo, SealedLabel>, opener: TitleOpener): Promise<void> {
  await Promise.all(
    [...sealed].map(async ([info, title]) => {
      try {
        const opened = await opener.open(title, info.sessionId)
        if (typeof opened === 'string') info.title = opened
      } catch (error) {
        info.problem ??= `its sealed title cannot be opened (${messageOf(error)})`
      }
    }),
  )
}

/** Deletes a session and all its items (every branch) in one transaction; other sessions are untouched. */
export async function deleteSession(sessionId: string, options: DatabaseOptions = {}): Promise<void> {
  await withDatabase(toLocation(options), SESSIONS_DB, `deleting session "${sessionId}"`, async (db) => {
    // Only deletes, so it frees space even at a completely full quota (free-space.ts).
    await deleteOnly(async () => {
      const tx = db.transaction(SESSION_STORES, 'readwrite')
      await Promise.all([
        tx.objectStore('sessions').delete(sessionId),
        tx.objectStore('items').delete(sessionBound(sessionId)),
        tx.objectStore('usage').delete(sessionBound(sessionId)),
        tx.objectStore('operations').delete(operationsBound(sessionId)),
        tx.objectStore('pendingRuns').delete(sessionId),
        tx.done,
      ])
    })
  })
  publishChange({ dbName: toLocation(options).dbName, sessionId, kind: 'delete' })
}

/**
 * Sets a session's title. Does nothing visible until the session has items: an empty
 * session has no record yet.
 */
export async function renameSession(sessionId: string, title: string, options: DatabaseOptions = {}): Promise<void> {
  if (typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof title}.`)
  await storeTitle(sessionId, title, options)
}

/** Stores a clear or sealed title in place of any other (see `TitledSession`). */
export async function storeTitle(sessionId: string, title: string | SealedLabel, options: DatabaseOptions): Promise<void> {
  await withDatabase(toLocation(options), SESSIONS_DB, `renaming session "${sessionId}"`, async (db) => {
    const tx = db.transaction('sessions', 'readwrite')
    tx.done.catch(() => {}) // awaited below; a failing put must not leave it unhandled
    const record = await tx.store.get(sessionId)
    if (record) {
      delete record.title
      delete record.sealedTitle
      if (typeof title === 'string') record.title = title
      else record.sealedTitle = copySealedLabel(title)
      record.updatedAt = Date.now()
      record.etag = newEtag()
      await Promise.all([tx.store.put(record), tx.done])
    }
    await tx.done
  })
  publishChange({ dbName: toLocation(options).dbName, sessionId, kind: 'rename' })
}

/** A session with turns matching a {@link searchSessions} query. */
export interface SessionSearchResult {
  /** The session; with `problem` set (and no matches) when its record or items are damaged. */
  session: SessionInfo
  /** Matching turns of the session's current branch. */
  matches: TurnMatch[]
}

/**
 * Finds sessions whose current branch has user or assistant text containing `text`
 * (case-insensitive), most recently updated first: a search box over the session list.
 * It reads every item of the database, so it costs O(database). Titles are not searched.
 * Items of encrypted sessions are ciphertext here and never match: search those with their
 * `EncryptedSession.findTurns`, which decrypts.
 */
export async function searchSessions(text: string, options: DatabaseOptions = {}): Promise<SessionSearchResult[]> {
  if (typeof text !== 'string') throw new InvalidArgumentError(`searchSessions expects a string, got ${typeof text}.`)
  return withDatabase(toLocation(options), SESSIONS_DB, 'searching sessions', async (db) => {
    const tx = db.transaction(SESSION_STORES, 'readonly')
    tx.done.catch(() => {})
    const records = (await tx.objectStore('sessions').index('byUpdatedAt').getAll()).reverse()
    const results: SessionSearchResult[] = []
    for (const stored of records) {
      const record = await settleRecord(tx, stored).catch(() => stored)
      const info = toSessionInfo(record)
      let rows
      try {
        rows = await readRows(tx, record, currentBranch(record).ranges)
      } catch (error) {
        // One damaged session must not hide the others: it is listed with what is wrong.
        if (!(error instanceof IdbAgentsError)) throw error
        results.push({ session: { ...info, problem: info.problem ?? error.message }, matches: [] })
        continue
      }
      const matches = findInTurns(rows, text)
      if (matches.length > 0) results.push({ session: info, matches })
    }
    return results
  })
}
