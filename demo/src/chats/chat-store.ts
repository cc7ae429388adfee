// A user's conversations: IndexedDB sessions whose ids start with the user's name (the
// seed's "session ID per user"), all in one database. With the vault on, each session is
// wrapped in an EncryptedSession and titles are sealed.
import {
  EncryptedSession,
  IndexedDBSession,
  deleteSession,
  exportSession,
  importSession,
  listSessions,
  renameSession,
  searchSessions,
  type AgentItem,
  type Keyring,
  type Session,
  type SessionExport,
} from '../../../src/index.js'
import { itemText } from '../offline-model/brain.js'
import type { TextSealer } from '../vault/sealer.js'

export const DB_NAME = 'idb-agents-demo'

export interface ChatSummary {
  sessionId: string
  title: string
  updatedAt: number
}

/** A conversation: `session` for the runner (encrypting when the vault is on), `raw` for branches. */
export interface OpenChat {
  raw: IndexedDBSession
  session: Session
}

export interface VaultKeys {
  keyring: Keyring | undefined
  sealer: TextSealer
}

export class ChatStore {
  readonly user: string
  readonly #keys: () => VaultKeys

  constructor(user: string, keys: () => VaultKeys) {
    this.user = user
    this.#keys = keys
  }

  get prefix(): string {
    return `${this.user}/`
  }

  newSessionId(): string {
    return `${this.prefix}${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 6)}`
  }

  open(sessionId: string): OpenChat {
    const raw = new IndexedDBSession(sessionId, { dbName: DB_NAME })
    const { keyring } = this.#keys()
    return { raw, session: keyring ? new EncryptedSession(raw, { key: keyring }) : raw }
  }

  /** The user's conversations, most recent first. */
  async list(): Promise<ChatSummary[]> {
    const chats: ChatSummary[] = []
    let cursor: string | undefined
    do {
      const page = await listSessions({ dbName: DB_NAME, limit: 100, ...(cursor !== undefined && { cursor }) })
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
    const info = await this.open(sessionId).raw.getInfo()
    return info?.title ? this.#title(sessionId, info.title) : undefined
  }

  async setTitle(sessionId: string, title: string): Promise<void> {
    await renameSession(sessionId, await this.#keys().sealer.seal(title, `title:${sessionId}`), { dbName: DB_NAME })
  }

  async remove(sessionId: string): Promise<void> {
    await deleteSession(sessionId, { dbName: DB_NAME })
  }

  /** Ids of the conversations whose title or messages contain `text`. */
  async search(text: string): Promise<Set<string>> {
    const needle = text.trim().toLowerCase()
    const found = new Set<string>()
    const chats = await this.list()
    for (const chat of chats) if (chat.title.toLowerCase().includes(needle)) found.add(chat.sessionId)
    if (!this.#keys().keyring) {
      for (const result of await searchSessions(needle, { dbName: DB_NAME })) found.add(result.session.sessionId)
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
    return exportSession(sessionId, { dbName: DB_NAME })
  }

  /**
   * Imports an exported conversation under its own id when that id is this user's and free
   * (encrypted items are bound to their session id), else as a copy under a new id.
   * @returns the id it was stored under
   */
  async importChat(doc: unknown): Promise<string> {
    const exportedId = (doc as Partial<SessionExport> | null)?.session?.id ?? ''
    const taken = exportedId.startsWith(this.prefix) && (await this.open(exportedId).raw.getInfo()) !== undefined
    const sessionId = exportedId.startsWith(this.prefix) && !taken ? exportedId : this.newSessionId()
    await importSession(doc, { dbName: DB_NAME, sessionId })
    return sessionId
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
    }
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
