// Appending envelopes sealed at the position they will have. The next position is kept
// in memory between writes, so a write reads nothing first; the store checks it in the
// write's own transaction (`addItemsAt`), and when another writer (another tab) was first,
// the position is counted again and the items sealed again.
import { parseEnvelope, type EnvelopeHeader } from '../crypto/envelope.js'
import { WrongKeyError } from '../crypto/errors.js'
import { PositionConflictError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import { asStoredBatch } from '../items/validate.js'
import { isCountingSession, isPositionalSession, isRewritableSession, isUsageTrackingSession } from '../session/capabilities.js'
import type { Session } from '../session/session.js'
import type { UsageTotals } from '../session/usage.js'
import { sealItems, type OpenPolicy } from './item-codec.js'
import { rewriteHistory } from './rewrite-history.js'
import { resealItems } from './rewrites.js'

// Attempts of one write when other writers keep being first. A conflict says how many items
// the branch holds, so a retry costs one sealing and one write, no count; from the third
// attempt on a short random pause lets a writer with a burst of its own let others in.
const MAX_ATTEMPTS = 10
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * attempt))

/**
 * Appends sealed items for one `EncryptedSession`. Every method runs inside the session's
 * serial queue, so its state changes one call at a time.
 */
export class Appender {
  readonly #inner: Session<AgentItem>
  readonly #policy: () => OpenPolicy
  /** How many items the current branch holds, as far as this session knows. */
  #next: number | undefined
  /** Bumped on every change of `#next`, so that a read finishing late does not set a stale one. */
  #generation = 0
  /** Set once the stored items' key was found in the keyring. */
  #keyChecked = false
  /** Set once the newest item was found in the current format (or upgraded). */
  #formatChecked = false

  constructor(inner: Session<AgentItem>, policy: () => OpenPolicy) {
    this.#inner = inner
    this.#policy = policy
  }

  /** A token for {@link Appender.noteNewest}: reads take it before they read. */
  get generation(): number {
    return this.#generation
  }

  /** Forgets the next position (after a pop, a clear, a branch change, a failure). */
  invalidate(): void {
    this.#next = undefined
    this.#generation++
  }

  /** Sets the next position after a write that left the branch holding `count` items. */
  settle(count: number): void {
    this.#next = count
    this.#generation++
  }

  /**
   * What a read of the newest items tells: the key when a live envelope opened, and the
   * next position when the newest item (`newest`, as parsed by the read) is an envelope in
   * the current format.
   */
  noteNewest(newest: EnvelopeHeader | undefined, generation: number, keyProven: boolean): void {
    if (keyProven) this.#keyChecked = true
    if (newest?.pos === undefined) return
    this.#formatChecked = true
    if (this.#next === undefined && generation === this.#generation) this.#next = newest.pos + 1
  }

  /**
   * Seals `plain` at the next position and appends it (with `usage`, in the same write),
   * re-counting and sealing again when another writer was first.
   * @throws `PositionConflictError` when other writers were first ten times
   */
  async append(plain: unknown[], at: number, usage: UsageTotals | undefined): Promise<void> {
    const inner = this.#inner
    if (plain.length === 0) {
      if (usage !== undefined && isUsageTrackingSession(inner)) await inner.addItemsWithUsage([], usage)
      return
    }
    await this.appendVia(plain, at, async (sealed, position) => {
      if (position !== undefined && isPositionalSession(inner)) await inner.addItemsAt(position, sealed, usage)
      else if (usage !== undefined && isUsageTrackingSession(inner)) await inner.addItemsWithUsage(sealed, usage)
      else await inner.addItems(sealed)
    })
  }

  /**
   * As {@link Appender.append}, through `write` (a pending run's update, see
   * `PendingRunsSession`): `write` gets the items sealed at `position` and must store them
   * only if the branch holds exactly `position` items (`undefined` when the store cannot
   * check). `plain` may be empty: `write` then runs once, with no position.
   */
  async appendVia(plain: unknown[], at: number, write: (sealed: AgentItem[], position: number | undefined) => Promise<void>): Promise<void> {
    const inner = this.#inner
    if (plain.length === 0) return write([], undefined)
    const policy = this.#policy()
    for (let attempt = 1; ; attempt++) {
      try {
        const position = await this.#position()
        const sealed = asStoredBatch(await sealItems(plain, policy, at, position)) as AgentItem[]
        await write(sealed, isPositionalSession(inner) ? position : undefined)
        this.settle(position + plain.length)
        return
      } catch (error) {
        this.invalidate()
        if (!(error instanceof PositionConflictError) || attempt === MAX_ATTEMPTS) throw error
        if (isPositionalSession(inner)) this.settle(error.actual)
        if (attempt >= 2) await pause(attempt)
      }
    }
  }

  /**
   * Before the first write: checks that the newest item's key is in the keyring and, with
   * `upgrade`, upgrades a history whose newest envelope has no position (version 1/2) to
   * the current format, on every branch, in place and in one step (stores with
   * `rewriteItems`; others keep such items, which still open, until `reencryptItems`).
   * @throws {@link WrongKeyError}; `DecryptionError` when an item to upgrade fails to open
   */
  async check(upgrade: boolean): Promise<void> {
    if (this.#keyChecked && (this.#formatChecked || !upgrade)) return
    const [newest] = await this.#inner.getItems(1)
    const parsed = parseEnvelope(newest)
    const envelope = parsed.kind === 'envelope' ? parsed.envelope : undefined
    if (envelope && !this.#keyChecked) await this.#checkKey(envelope)
    this.#keyChecked = true
    if (envelope?.pos !== undefined && this.#next === undefined) this.settle(envelope.pos + 1)
    if (!upgrade) {
      this.#formatChecked ||= envelope === undefined || envelope.pos !== undefined
      return
    }
    if (envelope && envelope.pos === undefined && isRewritableSession(this.#inner)) {
      const policy = this.#policy()
      await rewriteHistory(this.#inner, 'addItems', (raw, positions) => resealItems(raw, positions, policy, (sealed) => sealed.pos === undefined), true)
      this.invalidate()
    }
    this.#formatChecked = true
  }

  async #checkKey(envelope: EnvelopeHeader): Promise<void> {
    const { keys, sessionId } = this.#policy()
    if ((await keys.keyById(envelope.kid)) !== undefined) return
    throw new WrongKeyError(
      `Session "${sessionId}" was encrypted with key ${envelope.kid}, which this keyring does not hold. ` +
        'Nothing was written; unlock the key store this session was written with.',
      { keyId: envelope.kid },
    )
  }

  /** The position the next item will have on the current branch. */
  async #position(): Promise<number> {
    await this.check(true)
    const inner = this.#inner
    if (isPositionalSession(inner)) {
      this.#next ??= await inner.getItemCount()
      return this.#next
    }
    // Without addItemsAt nothing checks the position when the items land: another writer
    // between this count and the write leaves two items at one position (reads then throw
    // out_of_place). Counting afresh before every write keeps that window small.
    if (isCountingSession(inner)) return inner.getItemCount()
    const [newest] = await inner.getItems(1)
    if (newest === undefined) return 0
    const parsed = parseEnvelope(newest)
    if (parsed.kind === 'envelope' && parsed.envelope.pos !== undefined) return parsed.envelope.pos + 1
    return (await inner.getItems(Infinity)).length
  }
}
