import { InvalidArgumentError, StorageError } from '../errors.js'
import { MAIN_BRANCH, newSessionRecord, type AgentsTransaction, type BranchRecord, type ItemRecord, type SeqRange, type SessionRecord } from './schema.js'
import { appendRange, dropLast, firstPositions, lastSeq, rangesLength, subtractRanges } from './seq-ranges.js'
import type { BranchInfo } from '../session/capabilities.js'
import { isUserMessage } from '../items/predicates.js'
import { copySealedLabel, isSealedLabel, type SealedLabel } from '../session/labels.js'
import { addItemRows, deleteItems, readItem, readItems } from './item-rows.js'

// The mutations of one session inside one readwrite transaction. Each takes the session
// record as read in that transaction, issues its requests and changes the record; the
// caller writes the record back and awaits the transaction, so a failure anywhere
// commits nothing. They await IndexedDB requests only, which keeps the transaction alive.

type WriteTransaction = AgentsTransaction<'readwrite'>
type AnyTransaction = AgentsTransaction<'readonly'> | WriteTransaction

/** What a mutation did: the record to write back and requests to wait for. */
export interface Change {
  record: SessionRecord
  requests: Promise<unknown>[]
}

/** Public summary of a stored session. */
export interface SessionInfo {
  /**
   * Set when the stored record is damaged (written by a buggy version, or edited outside
   * idb-agents): what is wrong. The session is still listed so the app can show it, export
   * what can be read, or delete it; its other fields are what could be read.
   */
  problem?: string
  sessionId: string
  /**
   * A title set with `renameSession` / `setTitle`. A sealed title (`EncryptedSession`) is
   * here only when the listing was given the key to open it (`listSessions({ titles })`).
   */
  title?: string
  /**
   * `true` when the title is stored sealed (encrypted): without the key `title` is
   * `undefined`; show the session as untitled or locked, never as its ciphertext.
   */
  titleSealed?: boolean
  /** When the session was first written (ms since epoch). */
  createdAt: number
  /** When the session last changed (ms since epoch). */
  updatedAt: number
  /** Items on the current branch. */
  itemCount: number
  /** The current branch's id. */
  currentBranchId: string
  /** How many branches the session has (1 when never branched). */
  branchCount: number
}

/** The summary of a stored record; a damaged record gives what can be read and a `problem`, never an exception. */
export function toSessionInfo(record: SessionRecord): SessionInfo {
  const branches = typeof record.branches === 'object' && record.branches !== null ? record.branches : {}
  const current = findBranch({ ...record, branches }, record.currentBranchId)
  const info: SessionInfo = {
    sessionId: String(record.id),
    createdAt: Number(record.createdAt) || 0,
    updatedAt: Number(record.updatedAt) || 0,
    itemCount: current && Array.isArray(current.ranges) ? rangesLength(current.ranges) : 0,
    currentBranchId: String(record.currentBranchId),
    branchCount: Object.keys(branches).length,
  }
  if (typeof record.title === 'string') info.title = record.title
  else if (isSealedLabel(record.sealedTitle)) info.titleSealed = true
  if (!current) info.problem = `its current branch "${String(record.currentBranchId)}" does not exist; switchToBranch('main') repairs it`
  return info
}

export function toBranchInfo(record: SessionRecord, branch: BranchRecord): BranchInfo {
  const info: BranchInfo = {
    id: branch.id,
    name: branch.name,
    parentId: branch.parentId,
    forkTurn: branch.forkTurn ?? null,
    itemCount: rangesLength(branch.ranges),
    turnCount: branch.turns,
    current: branch.id === record.currentBranchId,
    createdAt: branch.createdAt,
  }
  if (isSealedLabel(branch.sealedName)) info.sealedName = copySealedLabel(branch.sealedName)
  return info
}

export function currentBranch(record: SessionRecord): BranchRecord {
  return branchOf(record, record.currentBranchId)
}

/**
 * The branch with id `branchId`, or `undefined`. Branch ids are data (an imported file's,
 * a caller's argument): looked up as own properties only, so `'constructor'` or
 * `'__proto__'` never find something the prototype holds.
 */
export function findBranch(record: SessionRecord, branchId: string): BranchRecord | undefined {
  return typeof branchId === 'string' && Object.hasOwn(record.branches, branchId) ? record.branches[branchId] : undefined
}

/** Stores `branch` under its id as an own property (even for an id like `__proto__`). */
export function putBranch(record: SessionRecord, branch: BranchRecord): void {
  Object.defineProperty(record.branches, branch.id, { value: branch, enumerable: true, writable: true, configurable: true })
}

export function branchOf(record: SessionRecord, branchId: string): BranchRecord {
  const branch = findBranch(record, branchId)
  if (branch) return branch
  if (branchId === record.currentBranchId) {
    throw new StorageError(
      `Session "${record.id}" points at a missing branch "${branchId}", so its record is damaged; switchToBranch('main') repairs it. Nothing was changed.`,
    )
  }
  throw new InvalidArgumentError(
    `Session "${record.id}" has no branch "${branchId}"; its branches are ${Object.keys(record.branches).join(', ')}.`,
  )
}

function otherRanges(record: SessionRecord, except: BranchRecord): SeqRange[] {
  return Object.values(record.branches)
    .filter((branch) => branch !== except)
    .flatMap((branch) => branch.ranges)
}

export function seqBound(sessionId: string, [start, end]: SeqRange): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, start], [sessionId, end - 1])
}

export function sessionBound(sessionId: string): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity])
}

/** Every key of the `operations` store of one session (operation ids are strings; `[]` sorts after them). */
export function operationsBound(sessionId: string): IDBKeyRange {
  return IDBKeyRange.bound([sessionId], [sessionId, []])
}

/** Deletes the operation ids recorded on one branch (it is being emptied or deleted). */
export function forgetOperations(tx: WriteTransaction, sessionId: string, branchId: string): Promise<unknown> {
  const store = tx.objectStore('operations')
  return store
    .index('byBranch')
    .getAllKeys(IDBKeyRange.only([sessionId, branchId]))
    .then((keys) => Promise.all(keys.map((key) => store.delete(key))))
}

/** Sequence numbers past every branch's end are unused: hand them out again. */
function settleNextSeq(record: SessionRecord): void {
  let max = 0
  for (const branch of Object.values(record.branches)) {
    const last = branch.ranges[branch.ranges.length - 1]
    if (last && last[1] > max) max = last[1]
  }
  record.nextSeq = max
}

/**
 * Deletes items (and their usage) in `ranges` that no branch but `branch` shows. Resolves
 * once the item rows are rewritten (later writes of the transaction may reuse their seqs);
 * returns the usage deletes still running.
 */
async function deleteUnshared(tx: WriteTransaction, record: SessionRecord, branch: BranchRecord, ranges: SeqRange[]): Promise<Promise<unknown>[]> {
  const unshared = subtractRanges(ranges, otherRanges(record, branch))
  const usage = unshared.map((range) => tx.objectStore('usage').delete(seqBound(record.id, range)))
  await deleteItems(tx.objectStore('items'), record.id, unshared)
  return usage
}

/** Appends `items` to the current branch, creating the session record if needed. */
export function appendItems(
  tx: WriteTransaction,
  sessionId: string,
  existing: SessionRecord | undefined,
  items: readonly unknown[],
  now: number,
): Change {
  const record = existing ?? newSessionRecord(sessionId, now)
  const branch = currentBranch(record)
  const start = record.nextSeq
  const requests = addItemRows(tx.objectStore('items'), sessionId, start, items, now, (item) => (isUserMessage(item) ? ++branch.turns : undefined))
  branch.ranges = appendRange(branch.ranges, start, items.length)
  record.nextSeq = start + items.length
  record.updatedAt = now
  return { record, requests }
}

/** Removes every item of the current branch; items another branch still shows stay. */
export async function clearBranch(tx: WriteTransaction, record: SessionRecord, now: number): Promise<Change> {
  const branch = currentBranch(record)
  const requests = await deleteUnshared(tx, record, branch, branch.ranges)
  // The usage rule of every session: clearing main also clears the usage recorded outside turns.
  if (branch.id === MAIN_BRANCH) requests.push(tx.objectStore('usage').delete([record.id, OUTSIDE_TURNS_SEQ]))
  branch.ranges = []
  branch.turns = 0
  settleNextSeq(record)
  record.updatedAt = now
  return { record, requests }
}

/** Removes the newest item of the current branch and returns it; `undefined` when empty. */
export async function dropNewest(
  tx: WriteTransaction,
  record: SessionRecord,
  now: number,
): Promise<{ change: Change; removed: ItemRecord } | undefined> {
  const branch = currentBranch(record)
  const seq = lastSeq(branch.ranges)
  if (seq === undefined) return undefined
  const removed = await readItem(tx.objectStore('items'), record.id, seq)
  if (!removed) throw new StorageError(`Item ${seq} of session "${record.id}" is missing; the database was changed outside idb-agents.`)
  const requests = await deleteUnshared(tx, record, branch, [[seq, seq + 1]])
  if (removed.turn !== undefined) branch.turns = removed.turn - 1
  branch.ranges = dropLast(branch.ranges)
  settleNextSeq(record)
  record.updatedAt = now
  return { change: { record, requests }, removed }
}

/** The `seq` of the usage row holding usage recorded while the current branch had no turn. */
export const OUTSIDE_TURNS_SEQ = -1

/** The sequence number of the user message starting `turn` on `branch`. */
export async function turnSeq(tx: AnyTransaction, record: SessionRecord, branch: BranchRecord, turn: number): Promise<number> {
  const candidates = await tx.objectStore('items').index('byTurn').getAllKeys(IDBKeyRange.only([record.id, turn]))
  const seq = candidates
    .map(([, candidate]) => candidate)
    .find((candidate) => branch.ranges.some(([start, end]) => candidate >= start && candidate < end))
  if (seq === undefined) {
    throw new StorageError(`Turn ${turn} of branch "${branch.id}" in session "${record.id}" has no user message; the index is damaged.`)
  }
  return seq
}

function positionOf(ranges: readonly SeqRange[], seq: number): number {
  let position = 0
  for (const [start, end] of ranges) {
    if (seq >= start && seq < end) return position + seq - start
    position += end - start
  }
  return -1
}

function newBranchId(record: SessionRecord): string {
  for (;;) {
    const id = `branch-${Math.random().toString(36).slice(2, 8)}`
    if (!findBranch(record, id)) return id
  }
}

/**
 * Creates a branch holding the current branch's history before `turn`, and makes it current.
 * @param name - the name, or a sealed one (stored beside an empty `name`)
 * @param id - the branch id, already checked to be unused; a new random one by default
 */
export async function forkBranch(
  tx: WriteTransaction,
  record: SessionRecord,
  turn: number,
  name: string | SealedLabel,
  now: number,
  id: string = newBranchId(record),
): Promise<{ change: Change; branchId: string }> {
  const parent = currentBranch(record)
  const position = positionOf(parent.ranges, await turnSeq(tx, record, parent, turn))
  const branch: BranchRecord = {
    id,
    name: typeof name === 'string' ? name : '',
    parentId: parent.id,
    forkAt: position,
    forkTurn: turn,
    createdAt: now,
    ranges: firstPositions(parent.ranges, position),
    turns: turn - 1,
  }
  if (typeof name !== 'string') branch.sealedName = copySealedLabel(name)
  putBranch(record, branch)
  record.currentBranchId = id
  record.updatedAt = now
  return { change: { record, requests: [] }, branchId: id }
}

/** Deletes a branch, keeping every item another branch shows; its children move to its parent. */
export async function removeBranch(tx: WriteTransaction, record: SessionRecord, branchId: string, now: number): Promise<Change> {
  if (branchId === MAIN_BRANCH) {
    throw new InvalidArgumentError(`The main branch of session "${record.id}" cannot be deleted; use clearSession to empty it.`)
  }
  const branch = branchOf(record, branchId)
  const requests = await deleteUnshared(tx, record, branch, branch.ranges)
  requests.push(forgetOperations(tx, record.id, branchId))
  delete record.branches[branchId]
  for (const child of Object.values(record.branches)) {
    if (child.parentId === branchId) child.parentId = branch.parentId
  }
  if (record.currentBranchId === branchId) {
    record.currentBranchId = branch.parentId !== null && findBranch(record, branch.parentId) ? branch.parentId : MAIN_BRANCH
  }
  settleNextSeq(record)
  record.updatedAt = now
  return { record, requests }
}

/** The item records at `ranges`, in order; a gap means the database was edited behind our back. */
export async function readRows(tx: AnyTransaction, record: SessionRecord, ranges: readonly SeqRange[]): Promise<ItemRecord[]> {
  const rows = await readItems(tx.objectStore('items'), record.id, ranges)
  const expected = ranges.reduce((sum, [start, end]) => sum + end - start, 0)
  const found = rows.length
  if (found !== expected) {
    throw new StorageError(
      `Session "${record.id}" should hold ${expected} items here but ${found} were found; the database was changed outside idb-agents.`,
    )
  }
  // An item that is not an object (written outside idb-agents) must not reach the model as one.
  for (const row of rows) {
    const item: unknown = row.item
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new StorageError(
        `Item ${row.seq} of session "${record.id}" is ${item === undefined ? 'missing' : item === null ? 'null' : Array.isArray(item) ? 'an array' : `a ${typeof item}`}, not an item; the database was changed outside idb-agents. Nothing was changed: exportSession shows it; when it is the newest, the IndexedDBSession's popItem() removes it.`,
      )
    }
  }
  return rows
}

/**
 * Gives `rows` (all items of the session) the turn numbers their items call for, and every
 * branch its turn count, after items were rewritten in place.
 */
export function renumberTurns(record: SessionRecord, rows: ItemRecord[]): ItemRecord[] {
  const bySeq = new Map(rows.map((row) => [row.seq, row]))
  for (const row of rows) delete row.turn
  for (const branch of Object.values(record.branches)) {
    let turns = 0
    for (const [start, end] of branch.ranges) {
      for (let seq = start; seq < end; seq++) {
        const row = bySeq.get(seq)
        if (row && isUserMessage(row.item)) row.turn = ++turns
      }
    }
    branch.turns = turns
  }
  return rows
}
