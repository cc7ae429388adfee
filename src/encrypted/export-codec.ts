// Session exports (see idb/export.ts) hold what the store holds: envelopes and sealed
// labels for an encrypted session. These turn such a document into plaintext with the key,
// and any document (plaintext or ciphertext) into envelopes and sealed labels bound to a
// chosen session id, so that it can be imported under that id. Pure functions: nothing is
// read or written.
import { InvalidArgumentError, InvalidExportError } from '../errors.js'
import type { SessionExport } from '../idb/export.js'
import { MAIN_BRANCH } from '../idb/schema.js'
import { positionsBySeq } from '../idb/seq-ranges.js'
import { assertSessionId } from '../session/session.js'
import { parseEnvelope, sealItem } from '../crypto/envelope.js'
import { sealLabel } from '../crypto/label.js'
import { inspectItems } from './item-codec.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { toKeyProvider } from '../crypto/static-key.js'
import { openSealed } from './labels.js'
import { checkPositions, outOfPlace } from './positions.js'

/** Options of {@link decryptSessionExport}. */
export interface DecryptExportOptions {
  /** The keyring (or `CryptoKey`) the session was encrypted with. */
  key: DataKeyProvider | CryptoKey
}

/** Options of {@link encryptSessionExport}. */
export interface EncryptExportOptions {
  /**
   * Encrypts with its current key; must also hold the key of any envelope already in the
   * document.
   */
  key: DataKeyProvider | CryptoKey
  /**
   * The session id the envelopes are bound to, and the document's `session.id`: the id
   * it will be imported under.
   * @default the document's `session.id`
   */
  sessionId?: string
  /**
   * The title and branch names (but `main`'s): `'sealed'` like the items, as
   * `EncryptedSession` keeps them by default, or left in `'clear'`.
   * @default 'sealed'
   */
  titles?: 'sealed' | 'clear'
}

/**
 * A copy of `doc` (made by `exportSession` from an encrypted session) with every item,
 * the title and every branch name decrypted: branches, times and usage unchanged. Plain
 * items (written before encryption was turned on) are copied as they are. Every item is
 * read and decrypted; nothing is skipped, since an export missing an item cannot be imported.
 *
 * The result holds the conversation in clear: keep it out of storage you would not trust
 * with the conversation itself.
 *
 * @throws {@link InvalidExportError} when `doc` is not shaped like an export;
 *   {@link WrongKeyError} when `key` does not hold a key the items were written with;
 *   {@link DecryptionError} naming the first item (its index in `doc.items`) that fails
 *   authentication, e.g. one changed, or a document whose `session.id` was edited, or that
 *   is out of place (its branches were edited); or naming the title or branch name that fails.
 */
export async function decryptSessionExport(doc: SessionExport, options: DecryptExportOptions): Promise<SessionExport> {
  checkShape(doc)
  const keys = toKeyProvider(options?.key)
  const items = await openAll(doc, keys)
  const session = await openLabels(doc, keys)
  return { ...structuredClone(doc), version: 1, session, items }
}

/**
 * A copy of `doc` whose items are all envelopes bound to `options.sessionId` (by default
 * the document's own id) and to their positions, encrypted with the current key of
 * `options.key`, and whose `session.id` is that id; its title and branch names are sealed
 * for that id too (unless `titles: 'clear'`). Use it to:
 * - import a ciphertext export under another session id (envelopes are bound to the id
 *   they were written for: imported as they are under another id, every read would fail
 *   with `DecryptionError`);
 * - encrypt a plaintext export (from `exportSession` of a plain session, or from
 *   {@link decryptSessionExport}) before importing it into an encrypted store.
 *
 * Envelopes already in `doc` are decrypted first (with `options.key`) and keep their
 * time; plain items get their stored `createdAt` as envelope time. Items no branch shows
 * (which `importSession` would drop) are left out.
 *
 * ```ts
 * const doc = await exportSession('chat-1', { dbName })
 * await importSession(await encryptSessionExport(doc!, { key: keyring, sessionId: 'chat-1-copy' }), { dbName })
 * ```
 *
 * @throws {@link InvalidExportError}, {@link WrongKeyError}, {@link DecryptionError} as
 *   {@link decryptSessionExport}; {@link InvalidArgumentError} for an empty `sessionId` or
 *   an unknown `titles`.
 */
export async function encryptSessionExport(doc: SessionExport, options: EncryptExportOptions): Promise<SessionExport> {
  checkShape(doc)
  const keys = toKeyProvider(options?.key)
  const target = options.sessionId ?? doc.session.id
  assertSessionId(target)
  const titles = options.titles ?? 'sealed'
  if (titles !== 'sealed' && titles !== 'clear') throw new InvalidArgumentError(`titles must be 'sealed' or 'clear', got ${String(titles)}`)
  const plain = await openAll(doc, keys)
  const clear = await openLabels(doc, keys)
  const positions = positionsBySeq(doc.session.branches)
  const { id, key } = await keys.currentKey()
  const shown = plain.flatMap((row, index) => (positions.has(row.seq) ? [{ row, index }] : []))
  const items = await Promise.all(
    shown.map(async ({ row, index }) => {
      const parsed = parseEnvelope(doc.items[index]!.item)
      const at = parsed.kind === 'envelope' ? parsed.envelope.at : row.createdAt
      return { ...row, item: await sealItem(row.item, key, id, target, at, positions.get(row.seq)!) }
    }),
  )
  const session = { ...clear, id: target }
  if (titles === 'sealed') {
    if (session.title !== undefined) session.sealedTitle = await sealLabel(session.title, key, id, { sessionId: target })
    delete session.title
    session.branches = await Promise.all(
      session.branches.map(async (branch) =>
        branch.id === MAIN_BRANCH ? branch : { ...branch, name: '', sealedName: await sealLabel(branch.name, key, id, { sessionId: target, branchId: branch.id }) },
      ),
    )
  }
  const sealed = session.sealedTitle !== undefined || session.branches.some((branch) => branch.sealedName !== undefined)
  return { ...structuredClone(doc), version: sealed ? 2 : 1, session, items }
}

/** Every item of `doc` opened, its position checked against the document's branches. */
async function openAll(doc: SessionExport, keys: DataKeyProvider): Promise<SessionExport['items']> {
  const policy = { sessionId: doc.session.id, keys, onUndecryptable: 'throw', plaintext: 'read', expiredBefore: -Infinity } as const
  const opened = await inspectItems(
    doc.items.map((row) => row.item),
    policy,
  )
  const positions = positionsBySeq(doc.session.branches)
  const misplaced = checkPositions(
    opened,
    doc.items.map((row) => positions.get(row.seq) ?? -1),
  )
  if (misplaced) throw outOfPlace(doc.session.id, opened, opened.length, misplaced)
  return opened.map((entry, index) => {
    if (entry.kind === 'failed') throw entry.error
    if (entry.kind === 'expired' || entry.kind === 'unopened') throw new Error('unreachable: every item is opened and none expires before -Infinity')
    const { seq, createdAt } = doc.items[index]!
    return { seq, createdAt, item: entry.item }
  })
}

/** A copy of `doc.session` with its sealed title and branch names opened. */
async function openLabels(doc: SessionExport, keys: DataKeyProvider): Promise<SessionExport['session']> {
  const { sealedTitle, ...session } = structuredClone(doc.session)
  const sessionId = doc.session.id
  if (sealedTitle !== undefined) session.title = (await openSealed(sealedTitle, keys, { sessionId }, false))!
  session.branches = await Promise.all(
    session.branches.map(async ({ sealedName, ...branch }) =>
      sealedName === undefined ? branch : { ...branch, name: (await openSealed(sealedName, keys, { sessionId, branchId: branch.id }, false))! },
    ),
  )
  return session
}

function checkShape(doc: SessionExport): void {
  const candidate = doc as Partial<SessionExport> | null | undefined
  const problems: string[] = []
  if (typeof candidate !== 'object' || candidate === null) problems.push(`document: expected an object, got ${candidate === null ? 'null' : typeof candidate}`)
  else {
    if (typeof candidate.session?.id !== 'string' || candidate.session.id === '') problems.push('session.id: expected a non-empty string')
    if (!Array.isArray(candidate.items)) problems.push('items: expected an array')
    else if (candidate.items.some((row) => typeof row !== 'object' || row === null || !('item' in row))) problems.push('items: every row needs an item')
  }
  if (problems.length > 0) throw new InvalidExportError(problems)
}
