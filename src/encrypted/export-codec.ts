// Session exports (see session/export.ts) hold what the store holds: envelopes for an
// encrypted session. These turn such a document into plaintext with the key, and any
// document (plaintext or ciphertext) into envelopes bound to a chosen session id, so that
// it can be imported under that id. Pure functions: nothing is read or written.
import { InvalidExportError } from '../errors.js'
import type { SessionExport } from '../idb/export.js'
import { assertSessionId } from '../session/session.js'
import { parseEnvelope, sealItem } from '../crypto/envelope.js'
import { inspectItems } from './item-codec.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { toKeyProvider } from '../crypto/static-key.js'

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
}

/**
 * A copy of `doc` (made by `exportSession` from an encrypted session) with every item
 * decrypted: branches, times and usage unchanged. Plain items (written before encryption
 * was turned on) are copied as they are. Every item is read and decrypted; nothing is
 * skipped, since an export missing an item cannot be imported.
 *
 * The result holds the conversation in clear: keep it out of storage you would not trust
 * with the conversation itself.
 *
 * @throws {@link InvalidExportError} when `doc` is not shaped like an export;
 *   {@link WrongKeyError} when `key` does not hold a key the items were written with;
 *   {@link DecryptionError} naming the first item (its index in `doc.items`) that fails
 *   authentication, e.g. one changed, or a document whose `session.id` was edited.
 */
export async function decryptSessionExport(doc: SessionExport, options: DecryptExportOptions): Promise<SessionExport> {
  checkShape(doc)
  const keys = toKeyProvider(options?.key)
  return { ...structuredClone(doc), items: await openAll(doc, keys) }
}

/**
 * A copy of `doc` whose items are all envelopes bound to `options.sessionId` (by default
 * the document's own id), encrypted with the current key of `options.key`, and whose
 * `session.id` is that id. Use it to:
 * - import a ciphertext export under another session id (envelopes are bound to the id
 *   they were written for: imported as they are under another id, every read would fail
 *   with `DecryptionError`);
 * - encrypt a plaintext export (from `exportSession` of a plain session, or from
 *   {@link decryptSessionExport}) before importing it into an encrypted store.
 *
 * Envelopes already in `doc` are decrypted first (with `options.key`) and keep their
 * time; plain items get their stored `createdAt` as envelope time.
 *
 * ```ts
 * const doc = await exportSession('chat-1', { dbName })
 * await importSession(await encryptSessionExport(doc!, { key: keyring, sessionId: 'chat-1-copy' }), { dbName })
 * ```
 *
 * @throws {@link InvalidExportError}, {@link WrongKeyError}, {@link DecryptionError} as
 *   {@link decryptSessionExport}; {@link InvalidArgumentError} for an empty `sessionId`.
 */
export async function encryptSessionExport(doc: SessionExport, options: EncryptExportOptions): Promise<SessionExport> {
  checkShape(doc)
  const keys = toKeyProvider(options?.key)
  const target = options.sessionId ?? doc.session.id
  assertSessionId(target)
  const plain = await openAll(doc, keys)
  const { id, key } = await keys.currentKey()
  const items = await Promise.all(
    plain.map(async (row, index) => {
      const parsed = parseEnvelope(doc.items[index]!.item)
      const at = parsed.kind === 'envelope' ? parsed.envelope.at : row.createdAt
      return { ...row, item: await sealItem(row.item, key, id, target, at) }
    }),
  )
  const copy = structuredClone(doc)
  return { ...copy, session: { ...copy.session, id: target }, items }
}

async function openAll(doc: SessionExport, keys: DataKeyProvider): Promise<SessionExport['items']> {
  const policy = { sessionId: doc.session.id, keys, onUndecryptable: 'throw', plaintext: 'read', expiredBefore: -Infinity } as const
  const opened = await inspectItems(
    doc.items.map((row) => row.item),
    policy,
  )
  return opened.map((entry, index) => {
    if (entry.kind === 'failed') throw entry.error
    if (entry.kind === 'expired' || entry.kind === 'unopened') throw new Error('unreachable: every item is opened and none expires before -Infinity')
    const { seq, createdAt } = doc.items[index]!
    return { seq, createdAt, item: entry.item }
  })
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
