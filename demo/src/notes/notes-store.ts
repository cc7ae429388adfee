// Notes per user in their own IndexedDB database (the Sessions guide's solution kept them
// in a list in memory and lost them on restart). Title and content are one sealed body, so with the
// vault on nothing readable is stored. Where the browser allows no IndexedDB (some
// private windows), `inMemory` keeps them in this page's memory instead.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { TextSealer } from '../vault/sealer.js'

export interface Note {
  id: string
  title: string
  content: string
  createdAt: number
  updatedAt: number
}

interface NoteRecord {
  user: string
  id: string
  createdAt: number
  updatedAt: number
  /** JSON of `{ title, content }`, sealed when the vault is on. */
  body: string
}

export interface NotesSchema extends DBSchema {
  notes: { key: [string, string]; value: NoteRecord; indexes: { byUser: string } }
}

const DB_NAME = 'idb-agents-demo-notes'
const CHANNEL = 'idb-agents-demo-notes'
let database: Promise<IDBPDatabase<NotesSchema>> | undefined

function db(): Promise<IDBPDatabase<NotesSchema>> {
  database ??= openDB<NotesSchema>(DB_NAME, 1, {
    upgrade(upgrade) {
      upgrade.createObjectStore('notes', { keyPath: ['user', 'id'] }).createIndex('byUser', 'user')
    },
    blocking() {
      void database?.then((open) => open.close())
      database = undefined
    },
  })
  return database
}

/** The part of the notes database the store uses; a Map stands in for it without IndexedDB. */
interface NotesBackend {
  getAllFromIndex(store: 'notes', index: 'byUser', user: string): Promise<NoteRecord[]>
  put(store: 'notes', record: NoteRecord): Promise<unknown>
  delete(store: 'notes', key: [string, string]): Promise<void>
}

const memoryNotes = new Map<string, NoteRecord>()
const memoryBackend: NotesBackend = {
  getAllFromIndex: async (_store, _index, user) => [...memoryNotes.values()].filter((record) => record.user === user),
  put: async (_store, record) => void memoryNotes.set(JSON.stringify([record.user, record.id]), record),
  delete: async (_store, key) => void memoryNotes.delete(JSON.stringify(key)),
}

/** Calls `listener` when another tab (or this one) changed `user`'s notes. */
export function onNotesChanged(user: string, listener: () => void): () => void {
  const channel = new BroadcastChannel(CHANNEL)
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (event.data === user) listener()
  }
  return () => channel.close()
}

function announce(user: string): void {
  const channel = new BroadcastChannel(CHANNEL)
  channel.postMessage(user)
  channel.close()
}

const same = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase()

export class NotesStore {
  readonly user: string
  readonly #sealer: () => TextSealer
  readonly #db: () => Promise<NotesBackend>

  /** @param sealer - the vault's current sealer (read at each call: the vault can lock) */
  constructor(user: string, sealer: () => TextSealer, options: { inMemory?: boolean } = {}) {
    this.user = user
    this.#sealer = sealer
    this.#db = options.inMemory ? async () => memoryBackend : db
  }

  async list(): Promise<Note[]> {
    const records = await (await this.#db()).getAllFromIndex('notes', 'byUser', this.user)
    const notes = await Promise.all(records.map((record) => this.#open(record)))
    return notes.sort((a, b) => a.createdAt - b.createdAt)
  }

  async find(title: string): Promise<Note | undefined> {
    return (await this.list()).find((note) => same(note.title, title))
  }

  async search(query: string): Promise<Note[]> {
    const q = query.trim().toLowerCase()
    return (await this.list()).filter((n) => n.title.toLowerCase().includes(q) || n.content.toLowerCase().includes(q))
  }

  /** @throws when a note with that title exists */
  async save(title: string, content: string): Promise<Note> {
    if (await this.find(title)) throw new Error(`a note called '${title}' already exists; update it instead`)
    const now = Date.now()
    const note: Note = { id: `${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`, title: title.trim(), content, createdAt: now, updatedAt: now }
    await this.#put(note)
    return note
  }

  /** @throws when there is no such note */
  async update(title: string, content: string): Promise<Note> {
    const note = await this.#existing(title)
    const updated = { ...note, content, updatedAt: Date.now() }
    await this.#put(updated)
    return updated
  }

  /** @throws when there is no such note */
  async remove(title: string): Promise<Note> {
    const note = await this.#existing(title)
    await (await this.#db()).delete('notes', [this.user, note.id])
    announce(this.user)
    return note
  }

  /** Re-stores every note with `to` (the vault was turned off), else with the current sealer (turned on). */
  async resealAll(to: TextSealer = this.#sealer()): Promise<void> {
    for (const note of await this.list()) await this.#put(note, false, to)
    announce(this.user)
  }

  async #existing(title: string): Promise<Note> {
    const note = await this.find(title)
    if (!note) throw new Error(`there is no note called '${title}'`)
    return note
  }

  async #put(note: Note, notify = true, sealer: TextSealer = this.#sealer()): Promise<void> {
    const body = await sealer.seal(JSON.stringify({ title: note.title, content: note.content }), `note:${this.user}`)
    await (await this.#db()).put('notes', { user: this.user, id: note.id, createdAt: note.createdAt, updatedAt: note.updatedAt, body })
    if (notify) announce(this.user)
  }

  async #open(record: NoteRecord): Promise<Note> {
    const { title, content } = JSON.parse(await this.#sealer().open(record.body, `note:${this.user}`)) as { title: string; content: string }
    return { id: record.id, title, content, createdAt: record.createdAt, updatedAt: record.updatedAt }
  }
}
