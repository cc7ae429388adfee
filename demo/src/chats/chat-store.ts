// A user's conversations: IndexedDB sessions whose ids start with the user's name (the
// Sessions guide's "session ID per user"), all in one database. With the vault on, each
// session is wrapped in an EncryptedSession and titles are sealed. Where the browser allows no
// IndexedDB (some private windows), `inMemory` keeps conversations in MemorySessions
// for the life of the page instead. With sync on (`sync`), the user's chats are the synced
// ones: SyncedSessions in the user's synced database (see sync-link.ts), every write through
// them so it reaches the server.
import {
  EncryptedSession,
  IndexedDBSession,
  MemorySession,
  decryptSessionExport,
  deleteSession,
  encryptSessionExport,
  exportSession,
  importSession,
  listSessions,
  onSessionsChanged,
  renameSession,
  searchSessions,
  type AgentItem,
  type Keyring,
  type Session,
  type SessionExport,
  type SyncedSession,
} from '../../../src/index.js'
import { itemText } from '../offline-model/text.js'
import { SetupError } from '../ui/problems.js'
import type { TextSealer } from '../vault/sealer.js'
import { copiedIds, copyChats, type CopyOutcome } from './copy-to-sync.js'
import { replayInto } from './replay.js'
import type { SyncLink } from './sync-link.js'

export const DB_NAME = 'idb-agents-demo'
/** Where the compacted, model-facing views of the conversations are kept (a cache). */
const VIEW_DB_NAME = `${DB_NAME}-compacted-views`
/** Where an imported file is checked before it is copied into a synced chat (emptied again). */
const CHECK_DB_NAME = `${DB_NAME}-import-check`

/** `doc` as the library reads it (validated, every reference checked): imported into a scratch database and exported again. */
async function checkedExport(doc: unknown): Promise<SessionExport> {
  const sessionId = `check-${crypto.randomUUID()}`
  await importSession(doc, { dbName: CHECK_DB_NAME, sessionId })
  try {
    return (await exportSession(sessionId, { dbName: CHECK_DB_NAME }))!
  } finally {
    await deleteSession(sessionId, { dbName: CHECK_DB_NAME })
  }
}

export interface ChatSummary {
  sessionId: string
  title: string
  updatedAt: number
}

/**
 * A conversation: `session` is the transcript (encrypting when the vault is on), `raw`
 * the store under it (branches), `view` where compaction keeps the model-facing history.
 */
export interface OpenChat {
  raw: IndexedDBSession | MemorySession | SyncedSession
  session: Session
  view: Session
}

interface MemoryChat {
  raw: MemorySession
  view: MemorySession
  title?: string
  updatedAt: number
}

/** Conversations of the page when nothing can be stored (all users, by session id). */
const memoryChats = new Map<string, MemoryChat>()
const memoryListeners = new Set<() => void>()
const memoryChanged = (): void => memoryListeners.forEach((listener) => listener())

/** Calls `listener` when an in-memory conversation was titled, used or deleted (stored ones announce themselves). */
export function onMemoryChatsChanged(listener: () => void): () => void {
  memoryListeners.add(listener)
  return () => memoryListeners.delete(listener)
}

export interface VaultKeys {
  keyring: Keyring | undefined
  sealer: TextSealer
}

export class ChatStore {
  readonly user: string
  /** True when conversations live in this page's memory only (no IndexedDB). */
  readonly inMemory: boolean
  /** With sync on: the link to the sync server; the chats are the user's synced ones. */
  readonly sync: SyncLink | undefined
  /** The database holding the chats listed (the demo's, or the user's synced one). */
  readonly dbName: string
  readonly #keys: () => VaultKeys

  constructor(user: string, keys: () => VaultKeys, options: { inMemory?: boolean; sync?: SyncLink | undefined } = {}) {
    this.user = user
    this.#keys = keys
    this.inMemory = options.inMemory ?? false
    this.sync = this.inMemory ? undefined : options.sync
    this.dbName = this.sync?.dbName ?? DB_NAME
  }

  /** Calls `listener` after a change to `sessionId` (here, in another tab, or from another device). @returns stops */
  watch(sessionId: string, listener: () => void): () => void {
    if (this.inMemory) return onMemoryChatsChanged(listener)
    return onSessionsChanged((change) => change.sessionId === sessionId && listener(), { dbName: this.dbName })
  }

  get prefix(): string {
    return `${this.user}/`
  }

  newSessionId(): string {
    return `${this.prefix}${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 6)}`
  }

  open(sessionId: string): OpenChat {
    if (this.inMemory) {
      const chat = this.#memory(sessionId)
      return { raw: chat.raw, session: chat.raw, view: chat.view }
    }
    const raw = this.sync ? this.sync.session(sessionId) : new IndexedDBSession(sessionId, { dbName: DB_NAME })
    const viewStore = new IndexedDBSession(sessionId, { dbName: VIEW_DB_NAME })
    const { keyring } = this.#keys()
    if (!keyring) return { raw, session: raw, view: viewStore }
    return { raw, session: new EncryptedSession(raw, { key: keyring }), view: new EncryptedSession(viewStore, { key: keyring }) }
  }

  /** Marks an in-memory conversation as just used (stored ones keep their own time). */
  touch(sessionId: string): void {
    const chat = memoryChats.get(sessionId)
    if (!chat) return
    chat.updatedAt = Date.now()
    memoryChanged()
  }

  /** The user's conversations, most recent first. */
  async list(): Promise<ChatSummary[]> {
    const chats: ChatSummary[] = []
    if (this.inMemory) {
      for (const [sessionId, chat] of memoryChats) {
        if (sessionId.startsWith(this.prefix) && (await chat.raw.getItems(1)).length > 0) {
          chats.push({ sessionId, title: chat.title ?? 'New chat', updatedAt: chat.updatedAt })
        }
      }
      return chats.sort((a, b) => b.updatedAt - a.updatedAt)
    }
    let cursor: string | undefined
    do {
      const page = await listSessions({ dbName: this.dbName, limit: 100, ...(cursor !== undefined && { cursor }) })
      for (const info of page.sessions) {
        if (!info.sessionId.startsWith(this.prefix)) continue
        chats.push({ sessionId: info.sessionId, title: await this.#title(info.sessionId, info.title), updatedAt: info.updatedAt })
      }
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return chats
  }

  /** The conversation's title, `undefined` while it has none (or was never stored). */
  async titleOf(sessionId: string): Promise<string | undefined> {
    if (this.inMemory) return memoryChats.get(sessionId)?.title
    const info = await new IndexedDBSession(sessionId, { dbName: this.dbName }).getInfo()
    return info?.title ? this.#title(sessionId, info.title) : undefined
  }

  async setTitle(sessionId: string, title: string): Promise<void> {
    if (this.inMemory) {
      this.#memory(sessionId).title = title
      return memoryChanged()
    }
    const stored = await this.#keys().sealer.seal(title, `title:${sessionId}`)
    if (this.sync) return this.sync.session(sessionId).setTitle(stored)
    await renameSession(sessionId, stored, { dbName: DB_NAME })
  }

  async remove(sessionId: string): Promise<void> {
    if (this.inMemory) {
      memoryChats.delete(sessionId)
      return memoryChanged()
    }
    if (this.sync) await this.sync.session(sessionId).deleteSession()
    else await deleteSession(sessionId, { dbName: DB_NAME })
    await deleteSession(sessionId, { dbName: VIEW_DB_NAME }) // else an import under this id would meet a stale view
  }

  /** Ids of the conversations whose title or messages contain `text`. */
  async search(text: string): Promise<Set<string>> {
    const needle = text.trim().toLowerCase()
    const found = new Set<string>()
    const chats = await this.list()
    for (const chat of chats) if (chat.title.toLowerCase().includes(needle)) found.add(chat.sessionId)
    if (!this.#keys().keyring && !this.inMemory) {
      for (const result of await searchSessions(needle, { dbName: this.dbName })) found.add(result.session.sessionId)
      return found
    }
    // Stored items are ciphertext: searchSessions cannot see into them; decrypt instead.
    for (const chat of chats) {
      const items = await this.open(chat.sessionId).session.getItems()
      if (items.some((item) => isMessage(item) && itemText(item).toLowerCase().includes(needle))) found.add(chat.sessionId)
    }
    return found
  }

  async exportChat(sessionId: string): Promise<SessionExport | undefined> {
    if (this.inMemory) throw new SetupError('Export needs storage, which this window does not allow.')
    return exportSession(sessionId, { dbName: this.dbName })
  }

  /**
   * Imports an exported conversation under its own id when that id is this user's and free,
   * else as a copy under a new id, titled "… (imported)". With the vault on, the items are
   * encrypted for the id they are stored under (envelopes are bound to their session id).
   * With sync on, it is always a copy, written through the synced session so it reaches the server.
   * @returns the id it was stored under
   */
  async importChat(doc: unknown): Promise<string> {
    if (this.inMemory) throw new SetupError('Import needs storage, which this window does not allow.')
    const exported = (doc as Partial<SessionExport> | null)?.session
    const exportedId = typeof exported?.id === 'string' ? exported.id : ''
    const mine = exportedId.startsWith(this.prefix)
    const taken = mine && (await new IndexedDBSession(exportedId, { dbName: this.dbName }).getInfo()) !== undefined
    // Under sync always a copy: the server may hold that id already, unseen on this device.
    const copy = !mine || taken || this.sync !== undefined
    const sessionId = copy ? this.newSessionId() : exportedId
    const { keyring, sealer } = this.#keys()
    if (this.sync) {
      await replayInto(await checkedExport(doc), this.sync.session(sessionId))
    } else {
      const prepared = keyring ? await encryptSessionExport(doc as SessionExport, { key: keyring, sessionId }) : doc
      await importSession(prepared, { dbName: DB_NAME, sessionId })
    }
    if (copy || keyring) {
      let title = 'Imported chat'
      try {
        if (typeof exported?.title === 'string') title = await sealer.open(exported.title, `title:${exportedId}`)
      } catch {
        // Sealed by a vault this one cannot open: a plain title instead.
      }
      await this.setTitle(sessionId, copy ? `${title.replace(/ \(imported\)$/, '')} (imported)` : title)
    }
    return sessionId
  }

  /** With sync on: the chats this device kept before sync and has not copied to it yet. */
  async localOnly(): Promise<ChatSummary[]> {
    if (!this.sync) return []
    const copied = copiedIds(this.user)
    return (await new ChatStore(this.user, this.#keys).list()).filter((chat) => !copied.has(chat.sessionId))
  }

  /**
   * With sync on: copies the chats this device kept before sync to the synced ones, under
   * new ids, every branch and the title, each once; the originals stay on this device.
   */
  async copyLocalChats(): Promise<CopyOutcome> {
    if (!this.sync) return { copied: 0, failed: [] }
    const sync = this.sync
    return copyChats(this.user, await this.localOnly(), {
      session: (sessionId) => sync.session(sessionId),
      newSessionId: () => this.newSessionId(),
      exportChat: (sessionId) => exportSession(sessionId, { dbName: DB_NAME }),
      setTitle: (sessionId, title) => this.setTitle(sessionId, title),
    })
  }

  /** Encrypts what was stored in clear before the vault was turned on: items of every branch, and titles. */
  async sealAll(): Promise<void> {
    if (!this.#keys().keyring) return
    for (const chat of await this.list()) {
      const { raw, session } = this.open(chat.sessionId)
      if (!(session instanceof EncryptedSession)) continue
      const current = await raw.getCurrentBranchId()
      for (const branch of await raw.listBranches()) {
        await raw.switchToBranch(branch.id)
        await session.migratePlaintextItems()
      }
      await raw.switchToBranch(current)
      await this.setTitle(chat.sessionId, chat.title)
      // The compacted view is a cache: drop the clear one, the next compaction writes it sealed.
      await deleteSession(chat.sessionId, { dbName: VIEW_DB_NAME })
    }
  }

  /**
   * Stores every conversation in clear again (the vault is being turned off): each is
   * exported, decrypted and imported back under its id in one transaction, branches, times
   * and usage kept; titles are stored in clear. Stops at the first failure, with every
   * conversation still readable (either still encrypted, or already in clear).
   */
  async unsealAll(plain: TextSealer): Promise<void> {
    const { keyring } = this.#keys()
    if (!keyring || this.inMemory) return
    for (const chat of await this.list()) {
      const doc = await exportSession(chat.sessionId, { dbName: DB_NAME })
      if (!doc) continue
      const clear = await decryptSessionExport(doc, { key: keyring })
      await importSession({ ...clear, session: { ...clear.session, title: await plain.seal(chat.title, `title:${chat.sessionId}`) } }, { dbName: DB_NAME, sessionId: chat.sessionId, replace: true })
      // The compacted view is a cache, encrypted: drop it, the next compaction writes it in clear.
      await deleteSession(chat.sessionId, { dbName: VIEW_DB_NAME })
    }
  }

  #memory(sessionId: string): MemoryChat {
    let chat = memoryChats.get(sessionId)
    if (!chat) memoryChats.set(sessionId, (chat = { raw: new MemorySession(sessionId), view: new MemorySession(sessionId), updatedAt: Date.now() }))
    return chat
  }

  async #title(sessionId: string, stored: string | undefined): Promise<string> {
    if (!stored) return 'New chat'
    try {
      return await this.#keys().sealer.open(stored, `title:${sessionId}`)
    } catch {
      return 'Encrypted chat (locked)'
    }
  }
}

const isMessage = (item: AgentItem): boolean => 'role' in item && (item.role === 'user' || item.role === 'assistant')
