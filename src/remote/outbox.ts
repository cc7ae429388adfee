// The outbox's side of a push: which ops go next, and what the server's answer does to them.
import type { DatabaseLocation } from '../idb/database.js'
import type { OutboxRecord } from '../idb/schema.js'
import { inSyncTransaction } from './local-store.js'
import type { PushResponse, SyncErrorDetail, SyncOp } from './protocol.js'
import { resolvePops } from './replica.js'

/** Ops taken from the outbox for one push, in the order they were written. */
export interface Batch {
  entries: OutboxRecord[]
  ops: SyncOp[]
}

/** Under the server's default 1 MiB body limit, with room for the envelope. */
const MAX_BATCH_BYTES = 900_000

/**
 * The next ops to push: the oldest first, up to `maxOps`, stopping before a pop that waits
 * for its append's server seq, and skipping sessions whose append waits to be sealed again
 * (`resealDue`). Each is marked sent (its content is fixed from now on).
 */
export function takeBatch(location: DatabaseLocation, maxOps: number): Promise<Batch> {
  return inSyncTransaction(location, 'reading the sync outbox', async (tx) => {
    const outbox = tx.objectStore('outbox')
    const all = await outbox.getAll()
    const batch: Batch = { entries: [], ops: [] }
    let bytes = 0
    // Sessions with an append waiting to be sealed again: their later ops wait behind it.
    const held = new Set<string>()
    for (const entry of all) {
      if (entry.rejected || entry.awaitsSession || entry.firstSeq !== undefined) continue
      if (entry.resealDue || held.has(entry.sessionId)) {
        held.add(entry.sessionId)
        continue
      }
      if (entry.popRef) {
        const ref = all.find((other) => other.opId === entry.popRef!.opId)
        if (!ref || ref.rejected) {
          entry.rejected = { code: 'conflict', message: 'The append of the item this pop removes was refused by the server, so the pop cannot be sent.' }
          await outbox.put(entry)
          continue
        }
        if (ref.firstSeq === undefined) break // sent with this batch or the next: its seq comes back first
        entry.op = { ...entry.op, seq: ref.firstSeq + entry.popRef.index }
        delete entry.popRef
      }
      const size = JSON.stringify(entry.op).length
      if (batch.ops.length > 0 && bytes + size > MAX_BATCH_BYTES) break
      bytes += size
      entry.sent = true
      await outbox.put(entry)
      batch.entries.push(entry)
      batch.ops.push(entry.op as unknown as SyncOp)
      if (batch.ops.length >= maxOps) break
    }
    return batch
  })
}

/**
 * Records the server's answer: applied appends wait (with their seqs) for their change to
 * be pulled back, other applied ops leave the outbox, a refused op is kept, marked refused.
 * A 404 (the session was deleted on another device) counts as done.
 */
export function settlePush(location: DatabaseLocation, status: number, body: PushResponse): Promise<void> {
  return inSyncTransaction(location, 'recording what the sync server applied', async (tx) => {
    const outbox = tx.objectStore('outbox')
    const byOpId = outbox.index('byOpId')
    for (const result of body.results) {
      const entry = await byOpId.get(result.opId)
      if (!entry) continue // pulled back already
      if (result.kind === 'append' || result.kind === 'replace') {
        entry.firstSeq = result.firstSeq
        entry.ackCursor = result.cursor
        await outbox.put(entry)
        await resolvePops(tx, entry.opId, result.firstSeq)
      } else {
        await outbox.delete(entry.id!)
      }
    }
    // A refusal of the op itself; anything else (a 500, a 401 mid-push) leaves it to be sent again.
    if (body.error?.opId === undefined || !isRefusal(status)) return
    const refused = await byOpId.get(body.error.opId)
    if (refused && status === 404 && refused.op.kind === 'usage') {
      // Usage recorded before the session's first append reached the server: send it after that append.
      const all = await outbox.getAll()
      if (all.some((entry) => entry.sessionId === refused.sessionId && entry.id! > refused.id! && entry.localSeq !== undefined && entry.firstSeq === undefined)) {
        await outbox.delete(refused.id!)
        const { id: _moved, ...rest } = refused
        await outbox.add(rest)
        return
      }
      refused.awaitsSession = true
      await outbox.put(refused)
      return
    }
    if (refused && status === 409 && body.error.reason === 'length_mismatch' && refused.op.expectedLength !== undefined) {
      // Sealed for its position, and other devices' items came first: nothing was stored
      // under its id; it waits to be sealed again for where it lands (see reseal.ts).
      refused.resealDue = true
      await outbox.put(refused)
      return
    }
    await refuse(outbox, refused, status, body.error)
  })
}

/** True when a push answer left an append waiting to be sealed again (pull, then reseal). */
export function awaitsReseal(status: number, body: PushResponse): boolean {
  return status === 409 && body.error?.reason === 'length_mismatch' && body.error.opId !== undefined
}

/** Marks one op refused by the whole request (a 400 or 413 on a push of that op alone). */
export function refuseOp(location: DatabaseLocation, opId: string, status: number, detail: SyncErrorDetail): Promise<void> {
  return inSyncTransaction(location, 'recording an op the sync server refused', async (tx) => {
    await refuse(tx.objectStore('outbox'), await tx.objectStore('outbox').index('byOpId').get(opId), status, detail)
  })
}

/** Statuses that refuse an op for what it is: sending it again would be refused again. */
export const isRefusal = (status: number): boolean => status === 400 || status === 404 || status === 409 || status === 413 || status === 415

async function refuse(
  outbox: { put(entry: OutboxRecord): Promise<unknown>; delete(id: number): Promise<unknown> },
  entry: OutboxRecord | undefined,
  status: number,
  detail: SyncErrorDetail,
): Promise<void> {
  if (!entry) return
  if (status === 404) {
    await outbox.delete(entry.id!)
    return
  }
  entry.rejected = { code: detail.code, message: detail.message }
  if (detail.reason !== undefined) entry.rejected.reason = detail.reason
  await outbox.put(entry)
}

/** The ops the server refused, kept in the outbox with the refusal. */
export function refusedOps(location: DatabaseLocation): Promise<OutboxRecord[]> {
  return inSyncTransaction(location, 'reading the sync outbox', async (tx) => (await tx.objectStore('outbox').getAll()).filter((entry) => entry.rejected))
}

/** How many ops wait to be sent or to come back. */
export function pendingCount(location: DatabaseLocation): Promise<number> {
  return inSyncTransaction(location, 'reading the sync outbox', async (tx) => (await tx.objectStore('outbox').getAll()).filter((entry) => !entry.rejected).length)
}
