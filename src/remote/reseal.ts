// Sealing moved appends again. An append made with `addItemsAt` carries the branch length
// it expects (`expectedLength`) and items sealed for the positions that follow. After a
// pull put other devices' items before it (the rebase), or the server refused it with
// `length_mismatch`, its items sit at other positions: the session's reseal handler
// (EncryptedSession's) seals them for the new ones, and the outbox entry and the local rows
// are rewritten together, in one transaction, only if nothing changed them meanwhile.
import { InvalidArgumentError } from '../errors.js'
import type { DatabaseLocation } from '../idb/database.js'
import { publishChange } from '../idb/changes.js'
import { newEtag, type OutboxRecord, type SessionRecord } from '../idb/schema.js'
import { readItem, writeItems } from '../idb/item-rows.js'
import { sameJson } from '../items/json.js'
import type { ResealHandler } from '../session/capabilities.js'
import { inSyncTransaction, PENDING_BASE, toSeqs, type SyncTransaction } from './local-store.js'

/** An append to seal again: its outbox entry as read, and the branch length it will meet. */
interface Move {
  entry: OutboxRecord
  to: number
}

/**
 * Seals again, for their new positions, the waiting appends of the sessions `handlerFor`
 * has a handler for. Resolves `true` when it rewrote any (push them). A handler's rejection
 * rejects, with everything kept as it was (retried at the next sync).
 */
export async function resealMoved(location: DatabaseLocation, handlerFor: (sessionId: string) => ResealHandler | undefined): Promise<boolean> {
  const moves = await inSyncTransaction(location, 'finding appends that moved', async (tx) => {
    const entries = await tx.objectStore('outbox').getAll()
    const sessionIds = [...new Set(entries.filter((entry) => entry.op.expectedLength !== undefined && handlerFor(entry.sessionId)).map((entry) => entry.sessionId))]
    const found: Move[] = []
    for (const sessionId of sessionIds) {
      const record = await tx.objectStore('sessions').get(sessionId)
      if (!record) continue
      for (const move of movesOf(record, entries.filter((entry) => entry.sessionId === sessionId))) {
        if (!(await copiesStored(tx, record, move.entry))) {
          found.push(move)
          continue
        }
        move.entry.rejected = {
          code: 'conflict',
          message: 'This append holds copies of envelopes the server already stores at the positions it claims: it was not sealed again nor sent (a replay, written into this device\'s database by other hands).',
        }
        delete move.entry.resealDue
        await tx.objectStore('outbox').put(move.entry)
      }
    }
    return found
  })
  let changed = false
  for (const move of moves) {
    const handler = handlerFor(move.entry.sessionId)
    if (!handler) continue
    const items = move.entry.op.items as unknown[]
    const from = move.entry.op.expectedLength as number
    const resealed = from === move.to ? items : await handler({ items: structuredClone(items), from, to: move.to })
    if (!Array.isArray(resealed) || resealed.length !== items.length) {
      const got = Array.isArray(resealed) ? `${resealed.length} items` : typeof resealed
      throw new InvalidArgumentError(`The reseal handler of session "${move.entry.sessionId}" returned ${got} for ${items.length} items. Nothing was changed; it must return one item per item it was given, in order.`)
    }
    if (await rewrite(location, move, resealed)) changed = true
  }
  return changed
}

/**
 * The appends of one session (its outbox entries, oldest first) that wait with an
 * `expectedLength` the server will not meet: the server's length of each branch (the
 * replica's server seqs, after a complete pull) played forward through the ops ahead.
 * A branch whose length cannot be told (made or deleted by an op still waiting, or an op in
 * flight with an unknown answer ahead) is left alone until it can.
 */
function movesOf(record: SessionRecord, entries: readonly OutboxRecord[]): Move[] {
  const lengths = new Map<string, number | undefined>()
  const lengthOf = (branchId: string): number | undefined => {
    if (!lengths.has(branchId)) {
      const branch = record.branches[branchId]
      lengths.set(branchId, branch ? toSeqs(branch.ranges).filter((seq) => seq < PENDING_BASE).length : undefined)
    }
    return lengths.get(branchId)
  }
  const moves: Move[] = []
  for (const entry of entries) {
    if (entry.rejected || entry.awaitsSession) continue
    const op = entry.op
    const branchId = typeof op.branchId === 'string' ? op.branchId : record.currentBranchId
    const length = lengthOf(branchId)
    switch (op.kind) {
      case 'append':
      case 'replace': {
        const count = (op.items as unknown[]).length
        // Applied, waiting for its change: the replica does not count it yet. In flight: its fate is unknown.
        if (entry.firstSeq !== undefined || (entry.sent && !entry.resealDue)) {
          lengths.set(branchId, undefined)
          continue
        }
        if (op.kind === 'replace') {
          lengths.set(branchId, count)
          continue
        }
        if (length === undefined) continue
        if (op.expectedLength !== undefined && (op.expectedLength !== length || entry.resealDue)) moves.push({ entry, to: length })
        lengths.set(branchId, length + count)
        continue
      }
      case 'pop':
        if (length !== undefined) lengths.set(branchId, Math.max(0, length - 1))
        continue
      case 'clear':
        lengths.set(branchId, 0)
        continue
      case 'createBranch':
      case 'deleteBranch':
        lengths.set(branchId, undefined)
        continue
    }
  }
  return moves
}

/**
 * True when an item of `entry` is the very envelope the server's copy holds at the position
 * the entry claims for it. A genuine waiting append cannot be (had the server applied it, the
 * complete pull before this step would have taken it out of the outbox): it is a copy of
 * stored envelopes queued by someone without the key, which sealing again would make fit.
 */
async function copiesStored(tx: SyncTransaction, record: SessionRecord, entry: OutboxRecord): Promise<boolean> {
  const branch = record.branches[typeof entry.op.branchId === 'string' ? entry.op.branchId : record.currentBranchId]
  if (!branch) return false
  const from = entry.op.expectedLength as number
  const items = entry.op.items as unknown[]
  const server = toSeqs(branch.ranges).filter((seq) => seq < PENDING_BASE).slice(from, from + items.length)
  const rows = await Promise.all(server.map((seq) => readItem(tx.objectStore('items'), record.id, seq)))
  return rows.some((row, i) => row !== undefined && sameJson(row.item, items[i]))
}

/** Writes the resealed items into the entry and the rows still holding the old ones; `false` when the entry changed meanwhile. */
function rewrite(location: DatabaseLocation, move: Move, resealed: unknown[]): Promise<boolean> {
  const { entry } = move
  return inSyncTransaction(location, `sealing moved items of session "${entry.sessionId}" again`, async (tx) => {
    const outbox = tx.objectStore('outbox')
    const now = await outbox.get(entry.id!)
    if (!now || now.opId !== entry.opId || (now.sent && !now.resealDue) || now.firstSeq !== undefined || !sameJson(now.op, entry.op)) return false
    const old = entry.op.items as unknown[]
    const items = tx.objectStore('items')
    const rows = await Promise.all(old.map((_, i) => readItem(items, entry.sessionId, entry.localSeq! + i)))
    // Only rows that still hold what was written: a row changed by other hands stays as it is
    // (and out of place, for the reader to see).
    await writeItems(items, entry.sessionId, rows.flatMap((row, i) => (row && sameJson(row.item, old[i]) ? [{ ...row, item: resealed[i] }] : [])))
    // Same op id: the server stored nothing under it (never sent, or refused).
    now.op = { ...now.op, items: resealed, expectedLength: move.to }
    delete now.resealDue
    now.sent = false
    await outbox.put(now)
    const record = await tx.objectStore('sessions').get(entry.sessionId)
    if (record) {
      record.etag = newEtag()
      await tx.objectStore('sessions').put(record)
    }
    return true
  }).then((done) => {
    if (done) publishChange({ dbName: location.dbName, sessionId: entry.sessionId, kind: 'add' })
    return done
  })
}
