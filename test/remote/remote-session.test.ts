import { describe, expect, it } from 'vitest'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'
import { NotFoundError, RemoteSession, SyncOfflineError, SyncUnauthorizedError } from '../../src/index.js'
import { describeBranching } from '../session/support/history-suites.js'
import { describeEngines, uniqueUser } from '../server/support/engines.js'
import { deviceOptions, testServer } from './support/server.js'

describeEngines('RemoteSession', (engine) => {
  const server = testServer(engine.store)
  const userId = uniqueUser('remote')
  const open = (id: string) => new RemoteSession(id, deviceOptions(server, userId))
  describeSessionConformance(`RemoteSession (${engine.name})`, open, {
    withDefaultLimit: (id, limit) => new RemoteSession(id, { ...deviceOptions(server, userId), settings: { limit } }),
  })
  describeBranching(`RemoteSession (${engine.name})`, open)

  describe('typed errors', () => {
    it('401 without credentials: SyncUnauthorizedError saying nothing was stored', async () => {
      const session = new RemoteSession('s', { url: server.url, fetch: server.fetch })
      const error = await session.addItems([{ role: 'user', content: 'hi' }]).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SyncUnauthorizedError)
      expect((error as SyncUnauthorizedError).status).toBe(401)
      expect((error as Error).message).toMatch(/Nothing of this call was stored on the server\.$/)
    })

    it('server unreachable: SyncOfflineError, and nothing stored', async () => {
      const session = open('offline-' + userId)
      server.down = true
      try {
        await expect(session.addItems([{ role: 'user', content: 'lost?' }])).rejects.toBeInstanceOf(SyncOfflineError)
      } finally {
        server.down = false
      }
      expect(await session.getItems()).toEqual([])
    })

    it("user A cannot see, write over or delete user B's session", async () => {
      const alice = new RemoteSession('shared-id', deviceOptions(server, uniqueUser('alice')))
      const bob = new RemoteSession('shared-id', deviceOptions(server, uniqueUser('bob')))
      await alice.addItems([{ role: 'user', content: 'secret of alice' }])
      expect(await bob.getItems()).toEqual([])
      await expect(bob.client.snapshot('shared-id')).rejects.toBeInstanceOf(NotFoundError)
      await bob.deleteSession()
      await bob.addItems([{ role: 'user', content: 'bob here' }])
      expect(await alice.getItems()).toEqual([{ role: 'user', content: 'secret of alice' }])
      expect(await bob.getItems()).toEqual([{ role: 'user', content: 'bob here' }])
    })
  })
})
