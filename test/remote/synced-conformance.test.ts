// SyncedSession keeps every contract of a session: on its local copy alone (live off, no
// sync), and synced after every call, so that each write goes to the server and comes back
// (its items renumbered by the server's seqs) before the next call.
import { describeSessionConformance } from '../../src/testing/vitest/index.js'
import { SyncedSession } from '../../src/index.js'
import { describeBranching, type HistorySession } from '../session/support/history-suites.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { deviceOptions, testServer } from './support/server.js'

/** `session` with a `sync()` after every call, failing the call if the sync fails. */
function syncedAfterEachCall(session: SyncedSession): HistorySession {
  return new Proxy(session, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown
      if (typeof value !== 'function' || key === 'sync') return value
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => unknown).apply(target, args)
        await target.sync()
        return result
      }
    },
  }) as unknown as HistorySession
}

describeEngines('SyncedSession', (engine) => {
  const server = testServer(engine.store)
  const userId = uniqueUser('synced')
  const local = (id: string) => new SyncedSession(id, { ...deviceOptions(server, userId), dbName: `local-${userId}`, live: false })
  describeSessionConformance(`SyncedSession, local (${engine.name})`, local, {
    withDefaultLimit: (id, limit) => new SyncedSession(id, { ...deviceOptions(server, userId), dbName: `local-${userId}`, live: false, settings: { limit } }),
  })
  describeBranching(`SyncedSession, local (${engine.name})`, local)

  const synced = (id: string) => syncedAfterEachCall(new SyncedSession(id, { ...deviceOptions(server, userId), dbName: `synced-${userId}`, live: false }))
  describeSessionConformance(`SyncedSession, synced after each call (${engine.name})`, synced)
  describeBranching(`SyncedSession, synced after each call (${engine.name})`, synced)
})
