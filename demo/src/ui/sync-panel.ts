// The Sync setting: off by default, per user. On, the user's chats are synced through the
// dev server's sync server, so another browser profile (or device) signed in as the same
// user shows the same chats. The badge says synced / pending / offline; a failure is one
// sentence a person can act on.
import { SyncError, SyncOfflineError, SyncUnauthorizedError } from '../../../src/index.js'
import type { CopyOutcome } from '../chats/copy-to-sync.js'
import type { SyncLink, SyncStatus } from '../chats/sync-link.js'
import { $ } from './dom.js'

const settingKey = (user: string): string => `idb-agents-demo:${user}:sync`

/** Whether the user turned sync on (on this device). */
export const syncWanted = (user: string): boolean => localStorage.getItem(settingKey(user)) === 'on'

export function saveSyncWanted(user: string, on: boolean): void {
  if (on) localStorage.setItem(settingKey(user), 'on')
  else localStorage.removeItem(settingKey(user))
}

/** Why sync cannot be turned on here, or `undefined` when it can. */
export interface SyncBlockers {
  /** The page was not served by the dev server (a production build has no sync server). */
  noServer: boolean
  inMemory: boolean
  vaultOn: boolean
}

export function blockerSentence(blockers: SyncBlockers): string | undefined {
  if (blockers.inMemory) return 'Sync needs storage on this device, which this window does not allow.'
  if (blockers.noServer) return 'Sync needs the sync server, which `npm run demo` (the dev server) serves at /api/sync. This build was served without it.'
  if (blockers.vaultOn)
    return 'Sync is off while the vault is on: two devices writing to one encrypted chat at once is not supported yet. Turn the vault off to sync.'
  return undefined
}

/** One sentence for a sync failure, saying what was kept. */
export function syncSentence(error: Error): string {
  if (error instanceof SyncOfflineError) return 'The sync server cannot be reached. Your chats are kept on this device and sent when it is back.'
  if (error instanceof SyncUnauthorizedError) return 'The sync server did not accept this user. Your chats are kept on this device.'
  if (error instanceof SyncError)
    return error.status === 413
      ? 'A change was too large for the sync server. It is kept on this device.'
      : 'The sync server had a problem. Your chats are kept on this device and sent again later.'
  return `Sync stopped: ${error.message} Your chats are kept on this device.`
}

/** The sentence for one, else the one for many. */
const forCount = (n: number, one: string, many: string): string => (n === 1 ? one : many)

const LABELS: Record<SyncStatus['state'], string> = {
  syncing: 'syncing…',
  synced: 'synced',
  pending: 'pending',
  offline: 'offline',
  failed: 'not synced',
}

export class SyncPanel {
  readonly #toggle = $<HTMLInputElement>('sync-toggle')
  readonly #badge = $('sync-state')
  readonly #text = $('sync-status')
  readonly #copy = $<HTMLButtonElement>('sync-copy')
  #stopStatus: (() => void) | undefined
  /** Chats kept on this device before sync: they stay there, apart from the synced ones. */
  #localChats = 0
  /** What the last copy to sync could not do: said until the next copy. */
  #copyNote = ''
  #status: SyncStatus | undefined

  /**
   * @param changed - the user turned sync on or off
   * @param copy - the user asked to copy the chats kept before sync to it
   */
  constructor(changed: (on: boolean) => void, copy: () => void) {
    this.#toggle.addEventListener('change', () => changed(this.#toggle.checked))
    this.#copy.addEventListener('click', copy)
  }

  /** Shows the setting for the current chats' store: its link (sync on) or why it is off. */
  show(link: SyncLink | undefined, blockers: SyncBlockers): void {
    this.#stopStatus?.()
    this.#stopStatus = undefined
    this.#status = undefined
    this.#copy.hidden = true
    const blocked = blockerSentence(blockers)
    this.#toggle.checked = link !== undefined
    this.#toggle.disabled = blocked !== undefined && link === undefined
    this.#toggle.title = blocked ?? ''
    const vaultButton = $<HTMLButtonElement>('vault-button')
    if (!blockers.inMemory) {
      // The vault and sync exclude each other for now (see blockerSentence).
      vaultButton.disabled = link !== undefined
      vaultButton.title = link ? 'Turn sync off to use the vault: encrypted chats do not sync between devices yet.' : ''
    }
    if (!link) {
      this.#badge.dataset.state = 'off'
      this.#badge.textContent = 'off'
      this.#text.textContent =
        blocked ??
        'Off: chats stay on this device. On: chats are kept on the sync server too, and another browser signed in as this user shows the same chats; those from before stay on this device, apart.'
      return
    }
    this.#render(link.status)
    this.#stopStatus = link.onStatus((status) => this.#render(status))
  }

  /** How many chats this device kept before sync and did not copy to it (said while synced, so none looks lost). */
  localChats(count: number): void {
    this.#localChats = count
    if (this.#status) this.#render(this.#status)
  }

  /** While chats are copied to sync: the button waits. */
  copying(busy: boolean): void {
    this.#copy.disabled = busy
    this.#copy.textContent = busy ? 'Copying…' : this.#copyLabel()
    if (busy) this.#copyNote = ''
  }

  /** Says which chats could not be copied, and why; each stays on this device as it was. */
  copied(outcome: CopyOutcome): void {
    const failed = outcome.failed.map(({ title, reason }) => `“${title}” (${reason.replace(/\.$/, '')})`)
    const n = failed.length
    this.#copyNote =
      n === 0
        ? ''
        : ` ${forCount(n, 'One chat could not be copied and stays on this device as it was', `${n} chats could not be copied and stay on this device as they were`)}: ${failed.join('; ')}.`
    if (this.#status) this.#render(this.#status)
  }

  #copyLabel(): string {
    return forCount(this.#localChats, 'Copy it to sync', 'Copy them to sync')
  }

  /** Shows a failure to turn sync on. */
  failed(error: Error): void {
    this.#text.textContent = syncSentence(error)
  }

  #render(status: SyncStatus): void {
    this.#status = status
    this.#badge.dataset.state = status.state
    this.#badge.textContent = LABELS[status.state]
    this.#copy.hidden = status.state !== 'synced' || this.#localChats === 0
    if (!this.#copy.disabled) this.#copy.textContent = this.#copyLabel()
    if (status.error) return void (this.#text.textContent = syncSentence(status.error))
    const waiting = forCount(status.pending, '1 change waits', `${status.pending} changes wait`)
    const texts: Record<SyncStatus['state'], string> = {
      syncing: 'Bringing your chats from the sync server… (its very first start creates its database: a few seconds)',
      pending: `${waiting} to be sent to the sync server.`,
      offline: 'You are offline. Your chats are kept on this device and sent when the network is back.',
      failed: 'Sync stopped. Your chats are kept on this device.',
      synced: 'Your chats are on the sync server. Dev only: the server trusts the user name, no password.',
    }
    const local = this.#localChats
    const apart =
      local === 0
        ? ''
        : ` ${forCount(
            local,
            'One chat from before sync stays on this device, apart: sync off shows it, or copy it to sync.',
            `${local} chats from before sync stay on this device, apart: sync off shows them, or copy them to sync.`,
          )}`
    this.#text.textContent = texts[status.state] + (status.state === 'synced' ? apart : '') + this.#copyNote
  }
}
