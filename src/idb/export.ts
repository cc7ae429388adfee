import * as z from 'zod/mini'
import { InvalidExportError, messageOf, SessionExistsError } from '../errors.js'
import { toStoredItems } from '../items/validate.js'
import { toLocation, withDatabase, type DatabaseOptions } from './database.js'
import { settleRecord } from './settle.js'
import { packRecords, readAllItems } from './item-rows.js'
import { operationsBound, putBranch, sessionBound, toSessionInfo, type SessionInfo } from './records.js'
import { MAIN_BRANCH, newEtag, SESSION_STORES, SESSIONS_DB, type BranchRecord, type ItemRecord, type SessionRecord } from './schema.js'
import { assertSessionId } from '../session/session.js'
import { isUserMessage } from '../items/predicates.js'
import { copySealedLabel, type SealedLabel } from '../session/labels.js'
import { publishChange } from './changes.js'

/** The `format` tag of a session export. */
export const EXPORT_FORMAT = 'idb-agents/session'
/**
 * The newest export version: it imports this version and older ones. Version 2 adds sealed
 * titles and branch names; an export without them is still written as version 1, so that
 * older versions of idb-agents keep importing it (and refuse, rather than drop, sealed ones).
 */
export const EXPORT_VERSION = 2

/**
 * A whole session as a JSON document: every branch, every item with its time, and usage.
 * Items of an encrypted session are exported as their ciphertext envelopes.
 */
export interface SessionExport {
  format: typeof EXPORT_FORMAT
  version: number
  /** When the export was made (ms since epoch). */
  exportedAt: number
  session: {
    id: string
    title?: string
    /** The title sealed by `EncryptedSession` (version 2); `decryptSessionExport` opens it. */
    sealedTitle?: SealedLabel
    createdAt: number
    updatedAt: number
    currentBranchId: string
    branches: Array<{
      id: string
      name: string
      parentId: string | null
      forkAt: number
      forkTurn?: number
      createdAt: number
      /** `[start, end)` runs of item `seq` numbers the branch shows, in order. */
      ranges: Array<[number, number]>
      /** The name sealed by `EncryptedSession` (version 2); `name` is then `''`. */
      sealedName?: SealedLabel
    }>
  }
  items: Array<{ seq: number; createdAt: number; item: unknown }>
  usage: Array<{ seq: number; requests: number; inputTokens: number; outputTokens: number; totalTokens: number }>
}

/** Options of {@link importSession}. */
export interface ImportSessionOptions extends DatabaseOptions {
  /** Store under this id instead of the exported one. */
  sessionId?: string
  /** Overwrite a session with the same id. @default false */
  replace?: boolean
}

const count = z.number().check(z.int(), z.gte(0))
const time = z.number().check(z.gte(0))
const sealedLabel = z.object({ v: z.number(), kid: z.string(), iv: z.string(), ct: z.string() })
const documentSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().check(z.int(), z.gte(1)),
  exportedAt: time,
  session: z.object({
    id: z.string().check(z.minLength(1)),
    title: z.optional(z.string()),
    sealedTitle: z.optional(sealedLabel),
    createdAt: time,
    updatedAt: time,
    currentBranchId: z.string(),
    branches: z.array(
      z.object({
        id: z.string().check(z.minLength(1)),
        name: z.string(),
        parentId: z.nullable(z.string()),
        forkAt: count,
        forkTurn: z.optional(count),
        createdAt: time,
        ranges: z.array(z.tuple([count, count])),
        sealedName: z.optional(sealedLabel),
      }),
    ),
  }),
  items: z.array(z.object({ seq: count, createdAt: time, item: z.unknown() })),
  usage: z.array(z.object({ seq: z.number().check(z.int(), z.gte(-1)), requests: count, inputTokens: count, outputTokens: count, totalTokens: count })),
})

/**
 * Exports a stored session, every branch included, as a JSON-ready document. Save it as
 * a file with `new Blob([JSON.stringify(doc)], { type: 'application/json' })` and a
 * download link; bring it back with {@link importSession}. The operation ids of applied
 * history transactions (`applyHistoryTransaction`) are not exported: see {@link importSession}.
 *
 * @returns `undefined` when the session has never been written
 */
export async function exportSession(sessionId: string, options: DatabaseOptions = {}): Promise<SessionExport | undefined> {
  assertSessionId(sessionId)
  return withDatabase(toLocation(options), SESSIONS_DB, `exporting session "${sessionId}"`, async (db) => {
    const tx = db.transaction(SESSION_STORES, 'readonly')
    tx.done.catch(() => {})
    const [stored, items, usage] = await Promise.all([
      tx.objectStore('sessions').get(sessionId),
      readAllItems(tx.objectStore('items'), sessionId),
      tx.objectStore('usage').getAll(sessionBound(sessionId)),
    ])
    if (!stored) return undefined
    const record = await settleRecord(tx, stored) // branches as readers see them (settle.ts)
    const branches = Object.values(record.branches).map(({ turns: _turns, sealedName, ...branch }) =>
      sealedName ? { ...branch, sealedName: copySealedLabel(sealedName) } : branch,
    )
    const sealed = record.sealedTitle !== undefined || branches.some((branch) => 'sealedName' in branch)
    const doc: SessionExport = {
      format: EXPORT_FORMAT,
      version: sealed ? 2 : 1,
      exportedAt: Date.now(),
      session: {
        id: record.id,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
        currentBranchId: record.currentBranchId,
        branches,
      },
      items: items.map(({ seq, createdAt, item }) => ({ seq, createdAt, item })),
      usage: usage.map(({ sessionId: _id, ...row }) => row),
    }
    if (record.title !== undefined) doc.session.title = record.title
    else if (record.sealedTitle !== undefined) doc.session.sealedTitle = copySealedLabel(record.sealedTitle)
    return doc
  })
}

/** Validates an export and builds the records to store; throws InvalidExportError listing every problem. */
function toRecords(
  input: unknown,
  sessionId: string | undefined,
): { record: SessionRecord; items: ItemRecord[]; usage: SessionExport['usage'] } {
  const version = (input as { version?: unknown } | null)?.version
  if (typeof version === 'number' && version > EXPORT_VERSION) {
    throw new InvalidExportError([
      `it was made by a newer version of idb-agents (export version ${version}; this one reads up to ${EXPORT_VERSION}); update the app to import it`,
    ])
  }
  const parsed = documentSchema.safeParse(input)
  if (!parsed.success) {
    throw new InvalidExportError(
      parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'document'}: ${issue.message}`),
      parsed.error,
    )
  }
  const doc = parsed.data
  const id = sessionId ?? doc.session.id
  assertSessionId(id)
  const problems: string[] = []
  // The items as addItems would store them: the same checks, the same copies.
  let copies: unknown[] = []
  try {
    copies = toStoredItems(doc.items.map((row) => row.item))
  } catch (error) {
    problems.push(messageOf(error))
  }
  const bySeq = new Map<number, { seq: number; createdAt: number; item: unknown }>()
  doc.items.forEach((row, i) => {
    if (bySeq.has(row.seq)) problems.push(`items: seq ${row.seq} appears twice`)
    bySeq.set(row.seq, { ...row, item: copies[i] ?? row.item })
  })
  // Branch ids come from the file: a Map, never an object the prototype answers for.
  const branches = new Map<string, BranchRecord>()
  const turnOf = new Map<number, number>()
  const shown = new Set<number>()
  let nextSeq = 0
  for (const branch of doc.session.branches) {
    if (branches.has(branch.id)) problems.push(`session.branches: branch "${branch.id}" appears twice`)
    let turns = 0
    let previousEnd = -1
    for (const [start, end] of branch.ranges) {
      if (start >= end || start < previousEnd) problems.push(`branch "${branch.id}": range [${start}, ${end}) is empty or out of order`)
      previousEnd = end
      nextSeq = Math.max(nextSeq, end)
      for (let seq = start; seq < end && problems.length < 20; seq++) {
        shown.add(seq)
        const row = bySeq.get(seq)
        if (!row) {
          problems.push(`branch "${branch.id}" shows item ${seq}, which the file does not contain (truncated?)`)
          continue
        }
        if (!isUserMessage(row.item)) continue
        turns += 1
        if ((turnOf.get(seq) ?? turns) !== turns) problems.push(`item ${seq} starts turn ${turns} in "${branch.id}" but another turn elsewhere`)
        turnOf.set(seq, turns)
      }
    }
    const { forkTurn, sealedName, ...rest } = branch
    const stored: BranchRecord = { ...rest, ...(forkTurn === undefined ? {} : { forkTurn }), ranges: branch.ranges, turns }
    if (sealedName) stored.sealedName = copySealedLabel(sealedName)
    branches.set(branch.id, stored)
  }
  problems.push(...referenceProblems(branches, doc.session.currentBranchId))
  if (problems.length > 0) throw new InvalidExportError(problems)

  const record: SessionRecord = {
    id,
    createdAt: doc.session.createdAt,
    updatedAt: doc.session.updatedAt,
    nextSeq,
    currentBranchId: doc.session.currentBranchId,
    branches: {},
  }
  for (const branch of branches.values()) putBranch(record, branch)
  if (doc.session.title !== undefined) record.title = doc.session.title
  else if (doc.session.sealedTitle !== undefined) record.sealedTitle = copySealedLabel(doc.session.sealedTitle)
  // Items no branch shows are left out, as the store itself would have deleted them.
  const items = [...bySeq.values()]
    .filter((row) => shown.has(row.seq))
    .sort((a, b) => a.seq - b.seq)
    .map((row) => {
      const stored: ItemRecord = { sessionId: id, seq: row.seq, createdAt: row.createdAt, item: row.item }
      const turn = turnOf.get(row.seq)
      if (turn !== undefined) stored.turn = turn
      return stored
    })
  const usage = doc.usage.filter((row) => row.seq === -1 || shown.has(row.seq))
  return { record, items, usage }
}

/** What is wrong with how the branches refer to each other: main, parents, the current branch. */
function referenceProblems(branches: ReadonlyMap<string, BranchRecord>, currentBranchId: string): string[] {
  const problems: string[] = []
  const main = branches.get(MAIN_BRANCH)
  if (!main) problems.push('session.branches: the "main" branch is missing')
  else if (main.parentId !== null) problems.push('session.branches: the "main" branch must have no parent')
  if (!branches.has(currentBranchId)) problems.push(`session.currentBranchId: no branch "${currentBranchId}"`)
  for (const branch of branches.values()) {
    if (branch.id === MAIN_BRANCH) continue
    if (branch.parentId === null) {
      problems.push(`branch "${branch.id}" has no parent; only "main" may have none`)
      continue
    }
    // Up the parents: each must exist, and the walk must reach main without a loop.
    const seen = new Set<string>([branch.id])
    for (let parentId: string | null = branch.parentId; parentId !== null && parentId !== MAIN_BRANCH; ) {
      const parent = branches.get(parentId)
      if (!parent) {
        problems.push(`branch "${branch.id}" descends from "${parentId}", which the file does not contain`)
        break
      }
      if (seen.has(parentId)) {
        problems.push(`branch "${branch.id}": its parents form a loop through "${parentId}"`)
        break
      }
      seen.add(parentId)
      parentId = parent.parentId
    }
  }
  return problems
}

/**
 * Imports a document made by {@link exportSession} (parsed from JSON) in one
 * transaction: all of it or, on any problem, nothing.
 *
 * Exports carry history, branches and usage, not the operation ids of applied history
 * transactions (`applyHistoryTransaction`): they are a runner's bookkeeping of its pending
 * writes, not conversation. An imported session (and one replaced by an import) starts with
 * none, so resume a `RunState` on the session it was created with, not on an imported copy.
 *
 * @throws {@link InvalidExportError} for a malformed, truncated, inconsistent or
 *   newer-version document; {@link SessionExistsError} when the id is taken and `replace`
 *   is not set.
 */
export async function importSession(doc: unknown, options: ImportSessionOptions = {}): Promise<SessionInfo> {
  const { record, items, usage } = toRecords(doc, options.sessionId)
  const id = record.id
  // Each branch's newest item gets a row of its own, as after an append (see addItemRows).
  const tails = new Set(Object.values(record.branches).flatMap((branch) => branch.ranges.slice(-1).map(([, end]) => end - 1)))
  await withDatabase(toLocation(options), SESSIONS_DB, `importing session "${id}"`, async (db) => {
    const tx = db.transaction(SESSION_STORES, 'readwrite')
    const pending: Promise<unknown>[] = [tx.done]
    try {
      const existing = await tx.objectStore('sessions').get(id)
      if (existing && !options.replace) throw new SessionExistsError(id)
      record.etag = newEtag()
      pending.push(
        tx.objectStore('items').delete(sessionBound(id)),
        tx.objectStore('usage').delete(sessionBound(id)),
        // A replaced session's applied operation ids belong to the history being replaced.
        tx.objectStore('operations').delete(operationsBound(id)),
        // So does a run paused on it: resuming it on the imported history would append its turn there.
        tx.objectStore('pendingRuns').delete(id),
        tx.objectStore('sessions').put(record),
        ...packRecords(items, (row) => (tails.has(row.seq) ? row.seq : undefined)).map((row) => tx.objectStore('items').add(row)),
        ...usage.map((row) => tx.objectStore('usage').add({ sessionId: id, ...row })),
      )
      await Promise.all(pending)
    } catch (error) {
      try {
        tx.abort()
      } catch {
        // already finished
      }
      await Promise.allSettled(pending)
      throw error
    }
  })
  publishChange({ dbName: toLocation(options).dbName, sessionId: id, kind: 'import' })
  return toSessionInfo(record)
}
