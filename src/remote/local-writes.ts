// The local half of a SyncedSession write: the change and its outbox entries in one
// transaction, items at this device's local seqs (split into appends the server accepts),
// usage naming its turn as the server can find it.
import { appendItems, currentBranch, turnSeq } from '../idb/records.js'
import { newEtag, newSessionRecord, type OutboxRecord, type SessionRecord } from '../idb/schema.js'
import type { DatabaseLocation } from '../idb/database.js'
import { addUsage, NO_USAGE, pickUsage, type UsageTotals } from '../session/usage.js'
import { asSessionTx, entryHolding, inSyncTransaction, nextSeqKey, PENDING_BASE, type SyncTransaction } from './local-store.js'
import { newOpId } from './op-id.js'
import type { TurnRef } from './protocol.js'

/** An op of the outbox, before it has its id and session. */
export type NewOp = { kind: string; [field: string]: unknown }

/** Queues an op for the server in the same transaction; returns its op id. `queued`: those queued so far. */
export type Out = ((op: NewOp, extra?: Pick<OutboxRecord, 'localSeq' | 'popRef'>) => string) & { queued: OutboxRecord[] }

/** Changes the record (or returns `'deleted'`, or `undefined` for nothing to do) and queues its ops. */
export type Mutate = (tx: SyncTransaction, record: SessionRecord | undefined, now: number, out: Out) => Promise<SessionRecord | 'deleted' | undefined>

/**
 * One transaction over the session, its items, the outbox and the sync state: `mutate`
 * changes the record and queues its ops with `out`; the record is written back (or
 * deleted) and the ops added, all or nothing. Resolves `false` when there was nothing to do.
 */
export function writeSynced(location: DatabaseLocation, sessionId: string, action: string, mutate: Mutate): Promise<boolean> {
  return inSyncTransaction(location, action, async (tx) => {
    const sessions = tx.objectStore('sessions')
    const record = await sessions.get(sessionId)
    const queued: OutboxRecord[] = []
    const out: Out = Object.assign(
      (op: NewOp, extra: Pick<OutboxRecord, 'localSeq' | 'popRef'> = {}) => {
        const opId = newOpId()
        queued.push({ sessionId, opId, op: { opId, sessionId, ...op }, ...extra })
        return opId
      },
      { queued },
    )
    const result = await mutate(tx, record, Date.now(), out)
    if (result === undefined) return false
    if (result === 'deleted') await sessions.delete(sessionId)
    else {
      result.etag = newEtag()
      await sessions.put(result)
    }
    for (const entry of queued) await tx.objectStore('outbox').add(entry)
    return true
  })
}

/**
 * Appends at this device's next local seq (the server numbers the items when it applies
 * them). A large batch goes out as several appends of at most ~256 KB, each under the
 * server's body limit; together they keep the batch's order. With `expectedLength` (items
 * sealed for their positions) each append carries the branch length it expects.
 */
export async function appendPending(
  tx: SyncTransaction,
  sessionId: string,
  record: SessionRecord | undefined,
  stored: unknown[],
  now: number,
  out: Out,
  kind: 'append' | 'replace' = 'append',
  expectedLength?: number,
): Promise<{ record: SessionRecord; opId: string }> {
  const counters = tx.objectStore('syncState')
  const start = Math.max(PENDING_BASE, (await counters.get(nextSeqKey(sessionId)))?.value ?? 0)
  const held = record ?? newSessionRecord(sessionId, now)
  held.nextSeq = start
  const appended = appendItems(asSessionTx(tx), sessionId, held, stored, now)
  await Promise.all(appended.requests)
  await counters.put({ key: nextSeqKey(sessionId), value: start + stored.length })
  let opId = ''
  let first = 0
  // A replace is one op (all or nothing on the server too); appends may be split.
  for (const chunk of kind === 'replace' ? [stored] : chunks(stored)) {
    const op: NewOp = { kind, branchId: held.currentBranchId, items: chunk }
    // Sealed for their positions: the server must hold exactly this many items first.
    if (expectedLength !== undefined) op.expectedLength = expectedLength + first
    opId = out(op, { localSeq: start + first })
    first += chunk.length
  }
  // Usage recorded before the session reached the server goes out behind this append.
  const outbox = tx.objectStore('outbox')
  for (const waiting of await outbox.index('bySession').getAll(sessionId)) {
    if (!waiting.awaitsSession) continue
    await outbox.delete(waiting.id!)
    const { id: _old, awaitsSession: _waited, ...moved } = waiting
    out.queued.push(moved)
  }
  return { record: appended.record, opId }
}


/** Adds `usage` to the newest turn here, and queues the same for the server (naming the turn as it can). */
export async function addPendingUsage(tx: SyncTransaction, record: SessionRecord, usage: UsageTotals, out: Out): Promise<void> {
  const branch = currentBranch(record)
  const seq = branch.turns > 0 ? await turnSeq(asSessionTx(tx), record, branch, branch.turns) : -1
  const store = tx.objectStore('usage')
  const before = (await store.get([record.id, seq])) ?? NO_USAGE
  await store.put({ sessionId: record.id, seq, ...addUsage(pickUsage(before), usage) })
  let turn: TurnRef | null = null
  if (seq >= PENDING_BASE) {
    const entry = entryHolding([...(await tx.objectStore('outbox').index('bySession').getAll(record.id)), ...out.queued], seq)!
    turn = entry.firstSeq !== undefined ? { seq: entry.firstSeq + seq - entry.localSeq! } : { opId: entry.opId, index: seq - entry.localSeq! }
  } else if (seq >= 0) {
    turn = { seq }
  }
  out({ kind: 'usage', turn, usage: pickUsage(usage) })
}

/** Most JSON an append op carries: several fit a push under the server's default 1 MiB. */
const MAX_APPEND_BYTES = 256 * 1024

/** `items` in runs of at most {@link MAX_APPEND_BYTES} of JSON (at least one item each). */
function chunks(items: unknown[]): unknown[][] {
  const runs: unknown[][] = [[]]
  let bytes = 0
  for (const item of items) {
    const size = JSON.stringify(item).length
    if (runs[runs.length - 1]!.length > 0 && bytes + size > MAX_APPEND_BYTES) {
      runs.push([])
      bytes = 0
    }
    runs[runs.length - 1]!.push(item)
    bytes += size
  }
  return runs
}
