// Copying the chats a device kept before sync to it. Each is copied once, under a new id: a
// synced chat never shares its id with a local one, since compacted views and input waiting
// to send are kept by id. Copies run under a Web Lock, so two tabs do not copy one chat twice,
// and a copy cut short (the page closed) is removed before the chat is copied again. The
// originals are never touched.
import type { SessionExport, SyncedSession } from '../../../src/index.js'
import { replayInto } from './replay.js'

/** What a round of copying did; a chat that failed stays on this device as it was. */
export interface CopyOutcome {
  copied: number
  failed: Array<{ title: string; reason: string }>
}

/** A chat kept on this device before sync. */
export interface KeptChat {
  sessionId: string
  title: string
}

export interface CopyTarget {
  /** The synced session of that id (see `SyncLink.session`). */
  session(sessionId: string): SyncedSession
  newSessionId(): string
  exportChat(sessionId: string): Promise<SessionExport | undefined>
  setTitle(sessionId: string, title: string): Promise<void>
}

const doneKey = (user: string): string => `idb-agents-demo:${user}:copied-to-sync`
const startedKey = (user: string): string => `idb-agents-demo:${user}:copying-to-sync`
const readJson = <T>(key: string, empty: T): T => JSON.parse(localStorage.getItem(key) ?? 'null') ?? empty

/** Ids of the user's chats from before sync that were copied to it. */
export const copiedIds = (user: string): Set<string> => new Set(readJson<string[]>(doneKey(user), []))

/** Copies each of `chats` not copied yet (checked again under the lock). */
export async function copyChats(user: string, chats: readonly KeptChat[], to: CopyTarget): Promise<CopyOutcome> {
  const copy = async (): Promise<CopyOutcome> => {
    const started = readJson<Record<string, string>>(startedKey(user), {})
    const saveStarted = () => localStorage.setItem(startedKey(user), JSON.stringify(started))
    for (const [original, partial] of Object.entries(started)) {
      await to.session(partial).deleteSession()
      delete started[original]
      saveStarted()
    }
    const done = copiedIds(user)
    const outcome: CopyOutcome = { copied: 0, failed: [] }
    for (const chat of chats) {
      if (done.has(chat.sessionId)) continue
      const doc = await to.exportChat(chat.sessionId)
      if (!doc) continue
      const target = to.newSessionId()
      started[chat.sessionId] = target
      saveStarted()
      try {
        await replayInto(doc, to.session(target))
        await to.setTitle(target, chat.title)
        done.add(chat.sessionId)
        localStorage.setItem(doneKey(user), JSON.stringify([...done]))
        outcome.copied += 1
      } catch (error) {
        await to.session(target).deleteSession().catch(() => {})
        outcome.failed.push({ title: chat.title, reason: error instanceof Error ? error.message : String(error) })
      }
      delete started[chat.sessionId]
      saveStarted()
    }
    return outcome
  }
  const locks = (globalThis as { navigator?: Partial<Navigator> }).navigator?.locks
  return locks ? locks.request(`idb-agents-demo:copy-to-sync:${user}`, copy) : copy()
}
