// Titles and branch names of encrypted sessions (issue 12, item 5): sealed by default, never
// in clear in IndexedDB or in a ciphertext export, listed as "sealed" without the key, opened
// with it; a wrong key or a moved label is a typed error, never gibberish. Node and browsers.
import { describe, expect, it } from 'vitest'
import {
  DecryptionError,
  decryptSessionExport,
  EncryptedSession,
  encryptSessionExport,
  exportSession,
  importSession,
  IndexedDBSession,
  InvalidArgumentError,
  listSessions,
  renameSession,
  sealedTitles,
  searchSessions,
  WrongKeyError,
  type DataKeyProvider,
  type EncryptedSessionOptions,
  type SessionInfo,
} from '../../../src/index.js'
import { flipBit, rejectionOf, unique, user } from '../../crypto/support.js'
import { everything, readRaw, tamper } from './raw-idb.js'

export interface TitlesSuiteContext {
  dbName: string
  key: DataKeyProvider | CryptoKey
  /** A key the sessions were not written with. */
  otherKey: DataKeyProvider | CryptoKey
}

const TITLE = 'Custody hearing: what to tell the lawyer'
const BRANCH = 'Plan B for the hearing'
const SECRETS = /custody|lawyer|hearing|plan b/i

/** Registers the sealed-title tests on `context.dbName`. */
export function describeSealedTitles(name: string, context: TitlesSuiteContext): void {
  const { dbName, key, otherKey } = context
  const open = (id: string, options: Partial<EncryptedSessionOptions> = {}) => EncryptedSession.wrap(new IndexedDBSession(id, { dbName }), { key, ...options })
  const listed = async (id: string, titles?: ReturnType<typeof sealedTitles>): Promise<SessionInfo> => {
    const { sessions } = await listSessions({ dbName, limit: 1000, ...(titles ? { titles } : {}) })
    return sessions.find((info) => info.sessionId === id)!
  }

  async function titled() {
    const id = unique('titled')
    const session = open(id)
    await session.addItems([user('what do I say first?')])
    await session.setTitle(TITLE)
    const branch = await session.createBranchFromTurn(1, BRANCH)
    await session.addItems([user('and if they ask about money?')])
    return { id, session, branch }
  }

  describe(`${name}: sealed titles and branch names`, () => {
    it('never reach IndexedDB or a ciphertext export in clear; the session list shows them only with the key', async () => {
      const { id, session, branch } = await titled()
      expect(await everything(dbName)).not.toMatch(SECRETS)
      const { record } = await readRaw(dbName, id)
      expect(record.title).toBeUndefined()
      expect(record.sealedTitle).toMatchObject({ v: 1, kid: expect.any(String), iv: expect.any(String), ct: expect.any(String) })
      expect(record.branches[branch]).toMatchObject({ name: '', sealedName: { v: 1 } })

      const without = await listed(id)
      expect(without.title).toBeUndefined()
      expect(without.titleSealed).toBe(true)
      expect(without.problem).toBeUndefined()
      expect(await listed(id, sealedTitles(key))).toMatchObject({ title: TITLE, titleSealed: true })
      const wrong = await listed(id, sealedTitles(otherKey)) // another user's keyring: still sealed, no problem
      expect([wrong.title, wrong.titleSealed, wrong.problem]).toEqual([undefined, true, undefined])
      expect((await searchSessions('custody', { dbName })).map((hit) => hit.session.sessionId)).not.toContain(id)

      expect(await session.getTitle()).toBe(TITLE)
      expect((await session.listBranches()).map((b) => [b.id, b.name, b.sealedName])).toEqual([
        ['main', 'main', undefined],
        [branch, BRANCH, undefined],
      ])
      const store = (await new IndexedDBSession(id, { dbName }).listBranches()).find((b) => b.id === branch)!
      expect([store.name, store.sealedName?.v]).toEqual(['', 1])

      const doc = (await exportSession(id, { dbName }))!
      expect(JSON.stringify(doc)).not.toMatch(SECRETS)
      expect(doc.version).toBe(2) // older versions refuse it rather than drop the sealed labels
      const plain = await decryptSessionExport(doc, { key })
      expect(plain.session.title).toBe(TITLE)
      expect(plain.session.branches.find((b) => b.id === branch)?.name).toBe(BRANCH)
      expect(JSON.stringify(plain)).not.toMatch(/sealed/)
      expect((await session.exportPlaintext())!.session).toMatchObject({ title: TITLE })
    })

    it('a wrong key cannot open them: WrongKeyError, never gibberish', async () => {
      const { id } = await titled()
      const wrong = open(id, { key: otherKey, onUndecryptable: 'skip' })
      expect(await rejectionOf(wrong.getTitle())).toBeInstanceOf(WrongKeyError)
      expect(await rejectionOf(wrong.listBranches())).toBeInstanceOf(WrongKeyError)
      expect(await rejectionOf(decryptSessionExport((await exportSession(id, { dbName }))!, { key: otherKey }))).toBeInstanceOf(WrongKeyError)
    })

    it('changed or moved to another session or branch: DecryptionError naming it; the list marks only that session', async () => {
      const { id, branch } = await titled()
      const other = await titled()
      await tamper(dbName, id, ({ record }) => {
        record.sealedTitle = { ...record.sealedTitle!, ct: flipBit(record.sealedTitle!.ct) }
      })
      const changed = await rejectionOf(open(id).getTitle())
      expect(changed).toBeInstanceOf(DecryptionError)
      expect(changed).toMatchObject({ label: 'title', index: -1, reason: 'authentication' })
      expect((changed as Error).message).toMatch(/^The title of session ".*", key [0-9a-f]{16} cannot be decrypted: it failed authentication.*set it again/)
      expect(await open(id, { onUndecryptable: 'skip' }).getTitle()).toBeUndefined()
      expect((await listed(id, sealedTitles(key))).problem).toMatch(/sealed title cannot be opened/)
      expect(await listed(other.id, sealedTitles(key))).toMatchObject({ title: TITLE })

      const moved = (await readRaw(dbName, other.id)).record
      await tamper(dbName, id, ({ record }) => {
        record.sealedTitle = moved.sealedTitle! // another session's title
        record.branches.main!.sealedName = moved.branches[other.branch]!.sealedName! // another branch's name
        record.branches.main!.name = ''
      })
      expect(await rejectionOf(open(id).getTitle())).toMatchObject({ name: 'DecryptionError', label: 'title' })
      expect(await rejectionOf(open(id).listBranches())).toMatchObject({ name: 'DecryptionError', label: 'branch-name', branchId: 'main' })
      const skipped = await open(id, { onUndecryptable: 'skip' }).listBranches()
      expect(skipped.map((b) => [b.id, b.name])).toEqual([['main', ''], [branch, BRANCH]])
    })

    it("titles: 'clear' keeps them in clear, by choice; renameSession replaces a sealed title with a clear one", async () => {
      const id = unique('clear-titles')
      const session = open(id, { titles: 'clear' })
      await session.addItems([user('hello')])
      await session.setTitle('Shopping list')
      expect(await rejectionOf(session.setTitle(42 as unknown as string))).toBeInstanceOf(InvalidArgumentError)
      const branch = await session.createBranchFromTurn(1, 'groceries')
      expect(await listed(id)).toMatchObject({ title: 'Shopping list' })
      expect((await listed(id)).titleSealed).toBeUndefined()
      expect((await readRaw(dbName, id)).record.branches[branch]).toMatchObject({ name: 'groceries' })

      const sealed = await titled()
      await renameSession(sealed.id, 'Renamed in clear', { dbName })
      expect(await listed(sealed.id)).toMatchObject({ title: 'Renamed in clear' })
      expect((await readRaw(dbName, sealed.id)).record.sealedTitle).toBeUndefined()
      expect(await sealed.session.getTitle()).toBe('Renamed in clear')
    })

    it('encryptSessionExport seals them for the target id; the copy opens under it', async () => {
      const { id, branch } = await titled()
      const copyId = unique('titled-copy')
      const doc = await encryptSessionExport((await exportSession(id, { dbName }))!, { key, sessionId: copyId })
      expect(JSON.stringify(doc)).not.toMatch(SECRETS)
      await importSession(doc, { dbName })
      const copy = open(copyId)
      expect(await copy.getTitle()).toBe(TITLE)
      expect((await copy.listBranches()).find((b) => b.id === branch)?.name).toBe(BRANCH)
      expect(await listed(copyId, sealedTitles(key))).toMatchObject({ title: TITLE })
      // Imported as it was under another id, a sealed title does not open: it is bound to its session.
      const movedId = unique('titled-moved')
      await importSession((await exportSession(id, { dbName }))!, { dbName, sessionId: movedId })
      expect((await listed(movedId, sealedTitles(key))).problem).toMatch(/sealed title cannot be opened/)
      const clear = await encryptSessionExport((await exportSession(id, { dbName }))!, { key, titles: 'clear' })
      expect(clear.session.title).toBe(TITLE)
      expect(clear.version).toBe(1)
    })
  })
}
