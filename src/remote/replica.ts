// Applying a page of the server's change feed to the local copy, in one transaction with
// the cursor: a page is applied whole or not at all, and a change at or below the stored
// cursor is skipped, so two pullers (tabs, sessions) never apply one twice.
import { isUserMessage } from '../items/predicates.js'
import { copySealedLabel, isSealedLabel, type SealedLabel } from '../session/labels.js'
import type { SessionChangeKind } from '../idb/changes.js'
import type { DatabaseLocation } from '../idb/database.js'
import { findBranch, putBranch, renumberTurns, seqBound, sessionBound } from '../idb/records.js'
import { MAIN_BRANCH, newEtag, newSessionRecord, type BranchRecord, type ItemRecord, type OutboxRecord, type SessionRecord } from '../idb/schema.js'
import { deleteItems, readAllItems, readItems, writeItems } from '../idb/item-rows.js'
import { rangesLength } from '../idb/seq-ranges.js'
import { CURSOR_KEY, inSyncTransaction, PENDING_BASE, toSeqs, withoutSeqs, withSeqs, type SyncTransaction } from './local-store.js'
import type { ChangesPage, SyncChange } from './protocol.js'

/** What a page changed: the sessions touched, each with its last kind of change. */
export type Touched = Map<string, SessionChangeKind>

/** Applies `page`; returns the sessions it touched (for change events once it committed). */
export function applyPage(location: DatabaseLocation, page: ChangesPage): Promise<Touched> {
  return inSyncTransaction(location, 'applying changes pulled from the sync server', async (tx) => {
    const state = tx.objectStore('syncState')
    const cursor = (await state.get(CURSOR_KEY))?.value ?? 0
    const replica = new Replica(tx)
    for (const change of page.changes) if (change.cursor > cursor) await replica.apply(change)
    await replica.flush()
    if (page.cursor > cursor) await state.put({ key: CURSOR_KEY, value: page.cursor })
    if (!page.hasMore) await dropEchoed(tx, Math.max(cursor, page.cursor))
    return replica.touched
  })
}

/** Acknowledged appends whose change the feed has passed (it left the feed with a deleted session). */
async function dropEchoed(tx: SyncTransaction, cursor: number): Promise<void> {
  const outbox = tx.objectStore('outbox')
  for (const entry of await outbox.getAll()) {
    if (entry.firstSeq !== undefined && (entry.ackCursor ?? Infinity) <= cursor) await outbox.delete(entry.id!)
  }
}

const KIND: Record<SyncChange['kind'], SessionChangeKind> = {
  append: 'add',
  replace: 'replace',
  pop: 'pop',
  clear: 'clear',
  createBranch: 'branch',
  switchBranch: 'branch',
  deleteBranch: 'branch',
  setTitle: 'rename',
  usage: 'usage',
  deleteSession: 'delete',
}

class Replica {
  readonly touched: Touched = new Map()
  readonly #records = new Map<string, SessionRecord | null>()
  /** Sessions whose turn numbers must be counted again before the records are written. */
  readonly #recount = new Set<string>()

  constructor(private readonly tx: SyncTransaction) {}

  async #record(sessionId: string): Promise<SessionRecord | null> {
    if (!this.#records.has(sessionId)) this.#records.set(sessionId, (await this.tx.objectStore('sessions').get(sessionId)) ?? null)
    return this.#records.get(sessionId)!
  }

  async apply(change: SyncChange): Promise<void> {
    this.touched.set(change.sessionId, KIND[change.kind])
    const record = await this.#record(change.sessionId)
    if (change.kind === 'append' || change.kind === 'replace') return this.#append(change, record)
    if (change.kind === 'deleteSession') return this.#deleteSession(change.sessionId, change.cursor)
    if (!record) return // a change of a session deleted here since: its deletion is on its way
    record.updatedAt = Math.max(record.updatedAt, change.at)
    switch (change.kind) {
      case 'pop': {
        const branch = findBranch(record, change.branchId)
        if (branch) await this.#drop(record, branch, (seq) => seq === change.seq)
        return
      }
      case 'clear': {
        const branch = findBranch(record, change.branchId)
        // Items of this device not pushed yet were appended after the clear: they stay.
        if (branch) await this.#drop(record, branch, (seq) => seq < PENDING_BASE)
        if (change.branchId === MAIN_BRANCH) await this.tx.objectStore('usage').delete([record.id, -1])
        return
      }
      case 'createBranch': {
        const { branch } = change
        const known = findBranch(record, branch.id)
        if (known) known.createdAt = branch.createdAt
        else {
          const shown: BranchRecord = {
            id: branch.id,
            name: branch.name,
            parentId: branch.parentId,
            forkAt: branch.ranges.reduce((sum, [start, end]) => sum + end - start, 0),
            createdAt: branch.createdAt,
            ranges: await this.#present(record.id, branch.ranges),
            turns: 0,
          }
          if (branch.forkTurn !== null) shown.forkTurn = branch.forkTurn
          putBranch(record, shown)
          this.#recount.add(record.id)
        }
        record.currentBranchId = branch.id
        return
      }
      case 'switchBranch':
        if (findBranch(record, change.branchId)) record.currentBranchId = change.branchId
        return
      case 'deleteBranch': {
        const branch = findBranch(record, change.branchId)
        if (branch && branch.id !== MAIN_BRANCH) {
          await this.#drop(record, branch, () => true)
          delete record.branches[branch.id]
          for (const child of Object.values(record.branches)) if (child.parentId === branch.id) child.parentId = branch.parentId
        }
        record.currentBranchId = findBranch(record, change.currentBranchId) ? change.currentBranchId : MAIN_BRANCH
        return
      }
      case 'setTitle':
        delete record.sealedTitle
        delete record.title
        if (change.title !== null) {
          const sealed = sealedTitle(change.title)
          if (sealed) record.sealedTitle = sealed
          else record.title = change.title
        }
        return
      case 'usage':
        await this.tx.objectStore('usage').put({ sessionId: record.id, seq: change.seq ?? -1, ...change.total })
        return
    }
  }

  async #append(change: Extract<SyncChange, { kind: 'append' | 'replace' }>, found: SessionRecord | null): Promise<void> {
    const record = found ?? newSessionRecord(change.sessionId, change.at)
    this.#records.set(record.id, record)
    record.updatedAt = Math.max(record.updatedAt, change.at)
    let branch = findBranch(record, change.branchId)
    if (!branch) {
      branch = { id: change.branchId, name: change.branchId, parentId: MAIN_BRANCH, forkAt: 0, createdAt: change.at, ranges: [], turns: 0 }
      putBranch(record, branch)
    }
    if (change.kind === 'replace') await this.#drop(record, branch, (seq) => seq < PENDING_BASE)
    const own = change.opId === null ? undefined : await this.tx.objectStore('outbox').index('byOpId').get(change.opId)
    if (own?.localSeq !== undefined) return this.#numberOwn(record, own, change)
    const seqs = change.items.map((entry) => entry.seq)
    const atEnd = toSeqs(branch.ranges).every((seq) => seq < (seqs[0] ?? Infinity))
    const rows = change.items.map((entry) => {
      const row: ItemRecord = { sessionId: record.id, seq: entry.seq, createdAt: entry.createdAt, item: entry.item }
      if (atEnd && isUserMessage(entry.item)) row.turn = ++branch.turns
      return row
    })
    await writeItems(this.tx.objectStore('items'), record.id, rows)
    branch.ranges = withSeqs(branch.ranges, seqs)
    if (!atEnd) this.#recount.add(record.id)
  }

  /** This device's own append came back: its items take the server's seqs, in place. */
  async #numberOwn(record: SessionRecord, own: OutboxRecord, change: Extract<SyncChange, { kind: 'append' | 'replace' }>): Promise<void> {
    const { firstSeq, count } = change
    if (count === 0) {
      // An emptied replace (its items popped here before it was sent): nothing to renumber.
      await resolvePops(this.tx, own.opId, firstSeq)
      await this.tx.objectStore('outbox').delete(own.id!)
      return
    }
    // The server's times, so that every device shows the same.
    const times = new Map(change.items.map((entry) => [entry.seq, entry.createdAt]))
    const items = this.tx.objectStore('items')
    const usage = this.tx.objectStore('usage')
    const renamed = new Map<number, number>()
    const local: [number, number] = [own.localSeq!, own.localSeq! + count]
    // Rows popped here are absent: their pops are in the outbox behind this append.
    const [rows, used] = await Promise.all([readItems(items, record.id, [local]), usage.getAll(seqBound(record.id, local))])
    await Promise.all([deleteItems(items, record.id, [local]), usage.delete(seqBound(record.id, local))])
    const moved = (seq: number) => firstSeq + seq - own.localSeq!
    for (const row of rows) renamed.set(row.seq, moved(row.seq))
    await Promise.all([
      writeItems(items, record.id, rows.map((row) => ({ ...row, seq: moved(row.seq), createdAt: times.get(moved(row.seq)) ?? row.createdAt }))),
      ...used.map((row) => usage.put({ ...row, seq: moved(row.seq) })),
    ])
    for (const branch of Object.values(record.branches)) {
      const seqs = toSeqs(branch.ranges)
      if (!seqs.some((seq) => renamed.has(seq))) continue
      branch.ranges = withSeqs([], seqs.map((seq) => renamed.get(seq) ?? seq))
    }
    await resolvePops(this.tx, own.opId, firstSeq)
    await this.tx.objectStore('outbox').delete(own.id!)
  }

  /** Takes the seqs `drop` picks out of `branch`, deleting the items no other branch shows. */
  async #drop(record: SessionRecord, branch: BranchRecord, drop: (seq: number) => boolean): Promise<void> {
    const dropped = toSeqs(branch.ranges).filter(drop)
    if (dropped.length === 0) return
    branch.ranges = withoutSeqs(branch.ranges, drop)
    const shown = new Set(Object.values(record.branches).flatMap((other) => (other === branch ? [] : toSeqs(other.ranges))))
    const unshown = dropped.filter((seq) => !shown.has(seq))
    await Promise.all([
      deleteItems(this.tx.objectStore('items'), record.id, withSeqs([], unshown)),
      ...unshown.map((seq) => this.tx.objectStore('usage').delete([record.id, seq])),
    ])
    this.#recount.add(record.id)
  }

  /** The parts of server `ranges` whose items are stored here (later changes in the feed drop the rest). */
  async #present(sessionId: string, ranges: readonly [number, number][]): Promise<[number, number][]> {
    const stored = await readItems(this.tx.objectStore('items'), sessionId, ranges)
    return withSeqs([], stored.map((row) => row.seq))
  }

  /**
   * The session is gone on the server. Items of this device's appends the server has not
   * applied before the deletion stay (they recreate the session when pushed).
   */
  async #deleteSession(sessionId: string, cursor: number): Promise<void> {
    const outbox = await this.tx.objectStore('outbox').index('bySession').getAll(sessionId)
    const later = outbox.filter((entry) => entry.localSeq !== undefined && (entry.ackCursor === undefined || entry.ackCursor > cursor))
    const keep: number[] = []
    for (const entry of later) for (let i = 0; i < (entry.op.items as unknown[]).length; i++) keep.push(entry.localSeq! + i)
    for (const entry of outbox) if (entry.localSeq !== undefined && !later.includes(entry)) await this.tx.objectStore('outbox').delete(entry.id!)
    const items = this.tx.objectStore('items')
    const kept = await readItems(items, sessionId, withSeqs([], keep))
    await items.delete(sessionBound(sessionId))
    await this.tx.objectStore('usage').delete(sessionBound(sessionId))
    if (kept.length === 0) {
      this.#records.set(sessionId, null)
      return
    }
    const record = newSessionRecord(sessionId, Date.now())
    await writeItems(items, sessionId, kept)
    record.branches[MAIN_BRANCH]!.ranges = withSeqs([], kept.map((row) => row.seq))
    this.#records.set(sessionId, record)
    this.#recount.add(sessionId)
  }

  /** Writes every record touched, with turn numbers counted again where items moved. */
  async flush(): Promise<void> {
    const sessions = this.tx.objectStore('sessions')
    for (const [sessionId, record] of this.#records) {
      if (!this.touched.has(sessionId)) continue
      if (!record) {
        await sessions.delete(sessionId)
        continue
      }
      if (this.#recount.has(sessionId)) {
        const rows = await readAllItems(this.tx.objectStore('items'), sessionId)
        const before = new Map(rows.map((row) => [row.seq, row.turn]))
        const changed = renumberTurns(record, rows).filter((row) => before.get(row.seq) !== row.turn)
        await writeItems(this.tx.objectStore('items'), sessionId, changed)
      }
      for (const branch of Object.values(record.branches)) if (rangesLength(branch.ranges) === 0) branch.turns = 0
      record.etag = newEtag()
      await sessions.put(record)
    }
  }
}

/** A title that is the JSON text of a sealed label (an `EncryptedSession`'s) is one again here. */
function sealedTitle(title: string): SealedLabel | undefined {
  if (!title.startsWith('{')) return undefined
  try {
    const parsed: unknown = JSON.parse(title)
    return isSealedLabel(parsed) ? copySealedLabel(parsed) : undefined
  } catch {
    return undefined
  }
}

/** Pops of items of append `opId` were waiting for its server seqs: give them theirs. */
export async function resolvePops(tx: SyncTransaction, opId: string, firstSeq: number): Promise<void> {
  const outbox = tx.objectStore('outbox')
  for (const entry of await outbox.getAll()) {
    if (entry.popRef?.opId !== opId) continue
    entry.op = { ...entry.op, seq: firstSeq + entry.popRef.index }
    delete entry.popRef
    await outbox.put(entry)
  }
}
