// The Python Agents SDK's Redis, MongoDB and Dapr sessions record when a session was created
// and last written; here IndexedDB sessions (plain and encrypted) list `createdAt` and
// `updatedAt` with listSessions. Date.now is set by the test, so no clock is read.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedSession, IndexedDBSession, listSessions, type Session } from '../../src/index.js'
import { dataKey } from './support/kinds.js'
import { user } from './support/items.js'

afterEach(() => {
  vi.restoreAllMocks()
})

const kinds: Array<[string, (id: string, dbName: string) => Session]> = [
  ['IndexedDBSession', (id, dbName) => new IndexedDBSession(id, { dbName })],
  ['EncryptedSession(IndexedDBSession)', (id, dbName) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: dataKey })],
]

async function infoOf(dbName: string, sessionId: string) {
  const { sessions } = await listSessions({ dbName })
  return sessions.find((info) => info.sessionId === sessionId)
}

describe.each(kinds)('%s: creation and update times (ported)', (_name, make) => {
  // python tests/extensions/memory/test_redis_session.py::test_add_items_preserves_created_at_metadata
  // python tests/extensions/memory/test_dapr_session.py::test_add_items_preserves_created_at_metadata
  // python tests/extensions/memory/test_mongodb_session.py::test_session_metadata_timestamps_are_written
  it('sets createdAt at the first write and keeps it; updatedAt follows each write', async () => {
    const dbName = `ported-times-${crypto.randomUUID()}`
    const now = vi.spyOn(Date, 'now')
    const created = Date.UTC(2026, 0, 1)
    const updated = Date.UTC(2026, 0, 2)
    now.mockReturnValue(created)
    const session = make('created_at_test', dbName)
    await session.addItems([user('first')])
    expect(await infoOf(dbName, 'created_at_test')).toMatchObject({ createdAt: created, updatedAt: created })
    now.mockReturnValue(updated)
    await session.addItems([user('second')])
    expect(await infoOf(dbName, 'created_at_test')).toMatchObject({ createdAt: created, updatedAt: updated })
  })
})
