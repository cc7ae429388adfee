// The demo app: wires the user switcher, vault, connection, sidebar, chat and panels.
import './styles.css'
import { listSessions, StorageUnavailableError } from '../../src/index.js'
import { ChatStore, DB_NAME } from './chats/chat-store.js'
import type { CopyOutcome } from './chats/copy-to-sync.js'
import { SyncLink } from './chats/sync-link.js'
import { UnsentInputs } from './chats/unsent.js'
import { resolveModel, type ResolvedModel } from './connection/model.js'
import { fetchServerCaps, loadSettings, saveSettings, type ConnectionSettings, type ServerCaps } from './connection/settings.js'
import { NotesStore } from './notes/notes-store.js'
import { ChatView } from './ui/chat-view.js'
import { ConnectionDialog } from './ui/connection-dialog.js'
import { $ } from './ui/dom.js'
import { NotesPanel } from './ui/notes-panel.js'
import { problemOf, SetupError, sentenceFor } from './ui/problems.js'
import { Sidebar } from './ui/sidebar.js'
import { StoragePanel } from './ui/storage-panel.js'
import { saveSyncWanted, SyncPanel, syncWanted } from './ui/sync-panel.js'
import { VaultView } from './ui/vault-view.js'
import { plainSealer } from './vault/sealer.js'
import { Vault } from './vault/vault.js'

const USER_KEY = 'idb-agents-demo:user'
/** The chat open last, for the user's local chats and, apart, their synced ones. */
const lastChatKey = (store: ChatStore): string => `idb-agents-demo:${store.user}:${store.sync ? 'synced-' : ''}last-chat`

let caps: ServerCaps = { proxy: false, model: false, sync: false }
let vault = new Vault('alice')
let chats = new ChatStore('alice', () => vault)
let notes = new NotesStore('alice', () => vault.sealer)
let unsent = new UnsentInputs('alice', plainSealer, false)
let settings: ConnectionSettings | undefined
/** True when the browser allows no IndexedDB (some private windows): chats and notes live in memory. */
let inMemory = false

const userSelect = $<HTMLSelectElement>('user')
const notesPanel = new NotesPanel()
const connectionDialog = new ConnectionDialog()

function currentModel(): ResolvedModel {
  if (!settings) throw new SetupError('Still starting up.')
  return resolveModel(settings, caps)
}

const storagePanel = new StoragePanel(async (doc) => {
  const sessionId = await chats.importChat(doc)
  storagePanel.changed()
  await openChat(sessionId)
  return 'Imported: the conversation is open.'
})

const chatView = new ChatView({
  store: () => chats,
  notes: () => notes,
  model: currentModel,
  unsent: () => unsent,
  // Input kept while offline is stored in clear: never with the vault on, never without storage.
  keepOffline: () => !inMemory && vault.state === 'off',
  changed: () => storagePanel.changed(),
})

const sidebar = new Sidebar({
  store: () => chats,
  current: () => chatView.sessionId,
  open: (sessionId) => void openChat(sessionId),
  newChat: () => void newChat(),
  deleted: (sessionId) => {
    void unsent.forget(sessionId)
    if (localStorage.getItem(lastChatKey(chats)) === sessionId) localStorage.removeItem(lastChatKey(chats))
    storagePanel.changed()
    if (sessionId === chatView.sessionId) void openMostRecent()
  },
})

const syncPanel = new SyncPanel(
  (on) => void setSync(on),
  () => void copyLocalChats(),
)

/** Copies the chats kept on this device before sync to it (the originals stay here). */
async function copyLocalChats(): Promise<void> {
  const store = chats
  syncPanel.copying(true)
  let outcome: CopyOutcome
  try {
    outcome = await store.copyLocalChats()
  } catch (error) {
    outcome = { copied: 0, failed: [{ title: 'every chat', reason: error instanceof Error ? error.message : String(error) }] }
  }
  syncPanel.copying(false)
  if (store !== chats) return
  syncPanel.localChats((await store.localOnly()).length)
  syncPanel.copied(outcome)
  await sidebar.refresh()
}

const syncBlockers = () => ({ noServer: !caps.sync, inMemory, vaultOn: vault.state !== 'off' })

/** The user's chats: their synced ones when sync is on (and allowed), else those on this device. */
function chatStoreFor(user: string): ChatStore {
  const sync = syncWanted(user) && !inMemory && caps.sync && vault.state === 'off' ? new SyncLink(user) : undefined
  return new ChatStore(user, () => vault, { inMemory, sync })
}

/** Opens the user's chats (synced or not) and shows them; with sync, brings the server's first. */
async function useChats(store: ChatStore): Promise<void> {
  chats.sync?.close()
  chats = store
  syncPanel.show(store.sync, syncBlockers())
  if (store.sync) {
    syncPanel.localChats((await store.localOnly()).length)
    // Without the server the synced chats on this device still show; the panel says why.
    await store.sync.start().catch((error: unknown) => syncPanel.failed(error instanceof Error ? error : new Error(String(error))))
  }
}

async function setSync(on: boolean): Promise<void> {
  // Not ready while the chats are swapped (the tests wait for it, as after loading).
  delete document.body.dataset.ready
  saveSyncWanted(vault.user, on)
  try {
    await chatView.close()
    await useChats(chatStoreFor(vault.user))
    await renderAll()
  } catch (error) {
    syncPanel.failed(error instanceof Error ? error : new Error(String(error)))
  } finally {
    document.body.dataset.ready = 'true'
  }
}

const vaultView = new VaultView({
  vault: () => vault,
  sealExisting: async () => {
    await chats.sealAll()
    await notes.resealAll()
    await unsent.resealWith(vault.sealer)
    if (settings) await saveSettings(vault.user, settings, vault.sealer)
  },
  unsealExisting: async () => {
    await chatView.close()
    await chats.unsealAll(plainSealer)
    await notes.resealAll(plainSealer)
    await unsent.resealWith(plainSealer)
    if (settings) await saveSettings(vault.user, settings, plainSealer)
  },
  beforeLock: () => chatView.close(),
  changed: async () => {
    settings = await loadSettings(vault.user, caps, vault.sealer)
    await renderAll()
  },
})

async function openChat(sessionId: string): Promise<void> {
  localStorage.setItem(lastChatKey(chats), sessionId)
  await chatView.show(sessionId)
  await sidebar.refresh()
}

/** The chat opened last that has nothing stored yet: "New chat" returns to it, with its draft or unsent message. */
let blankChat: string | undefined

async function newChat(): Promise<void> {
  const stored = new Set((await chats.list()).map((chat) => chat.sessionId))
  if (blankChat === undefined || !blankChat.startsWith(chats.prefix) || stored.has(blankChat)) blankChat = chats.newSessionId()
  await openChat(blankChat)
}

/** Reopens the chat that was open (one with nothing stored yet too: it may hold an unsent message), else the newest. */
async function openMostRecent(): Promise<void> {
  const list = await chats.list()
  const last = localStorage.getItem(lastChatKey(chats))
  if (last?.startsWith(chats.prefix) && !list.some((chat) => chat.sessionId === last)) blankChat = last
  await openChat(last?.startsWith(chats.prefix) ? last : (list[0]?.sessionId ?? chats.newSessionId()))
}

function renderConnection(): void {
  $('offline-badge').hidden = navigator.onLine
  const button = $('connection-button')
  button.dataset.mode = settings?.mode ?? 'offline'
  let label: string
  try {
    label = currentModel().label
  } catch (error) {
    label = sentenceFor(problemOf(error))
  }
  $('connection-label').textContent = label
  button.setAttribute('aria-label', `Connection: ${label}. Change`)
}

async function renderAll(): Promise<void> {
  vaultView.render()
  syncPanel.show(chats.sync, syncBlockers())
  renderConnection()
  if (vault.state === 'locked') {
    await chatView.close()
    notesPanel.show(undefined)
    return
  }
  // Unsent messages are sealed with the vault's current key (or kept in clear without one).
  unsent = new UnsentInputs(vault.user, vault.sealer, !inMemory)
  await unsent.load()
  notesPanel.show(notes)
  chatView.resume()
  await openMostRecent()
}

async function switchUser(user: string): Promise<void> {
  await chatView.close()
  vault.close()
  localStorage.setItem(USER_KEY, user)
  userSelect.value = user
  vault = new Vault(user)
  if (!inMemory) await vault.load()
  notes = new NotesStore(user, () => vault.sealer, { inMemory })
  settings = await loadSettings(user, caps, vault.sealer)
  await useChats(chatStoreFor(user))
  await renderAll()
}

$('connection-button').addEventListener('click', async () => {
  if (!settings) return
  const saved = await connectionDialog.edit(settings, caps, vault.state === 'unlocked')
  if (!saved) return
  settings = saved
  await saveSettings(vault.user, saved, vault.sealer)
  renderConnection()
  chatView.connectionChanged()
})
userSelect.addEventListener('change', () => void switchUser(userSelect.value))
addEventListener('online', renderConnection)
addEventListener('offline', renderConnection)

/** Without IndexedDB the app still works, in memory, and says plainly that nothing is kept. */
function fallBackToMemory(error: StorageUnavailableError): void {
  inMemory = true
  const banner = $('banner')
  banner.hidden = false
  banner.dataset.kind = 'memory'
  banner.textContent =
    'This window does not let the page store data (private windows often do this), so history will not be kept: ' +
    'chats and notes work, but are gone when you reload or close the page. Open a normal window to keep them.'
  console.warn(`Storage unavailable, keeping chats in memory: ${error.message}`)
  const vaultButton = $<HTMLButtonElement>('vault-button')
  vaultButton.disabled = true
  vaultButton.title = 'The vault needs storage, which this window does not allow.'
  $<HTMLButtonElement>('import').disabled = true
}

async function boot(): Promise<void> {
  caps = await fetchServerCaps()
  const saved = localStorage.getItem(USER_KEY)
  const user = saved && [...userSelect.options].some((o) => o.value === saved) ? saved : 'alice'
  // Probe with the library, which names the failure (the vault's key store would only throw a TypeError).
  try {
    await listSessions({ dbName: DB_NAME, limit: 1 })
  } catch (error) {
    if (!(error instanceof StorageUnavailableError)) throw error
    fallBackToMemory(error)
  }
  await switchUser(user)
  await storagePanel.refresh()
  document.body.dataset.ready = 'true'
}

boot().catch((error: unknown) => {
  const banner = $('banner')
  banner.hidden = false
  banner.textContent = `The app failed to start. ${sentenceFor(problemOf(error))}`
})
