// Envelope format 2 upgraded to position-bound envelopes, in Node (fake-indexeddb) and over
// MemorySession; test/encrypted/migration.browser.test.ts runs the IndexedDB part in the browsers.
import { describe, expect, it } from 'vitest'
import { EncryptedSession, MemorySession } from '../../src/index.js'
import { dataKeyId } from '../../src/crypto/keys.js'
import type { EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { newDataKey, sealV2, unique, user } from '../crypto/support.js'
import { describeLegacyMigration } from './support/migration-suite.js'
import { PlainSession } from '../session/support/plain-session.js'

describeLegacyMigration('EncryptedSession over IndexedDBSession (fake-indexeddb)', { dbName: unique('enc-migration-node') })

describe('EncryptedSession over MemorySession: format 2 upgraded', () => {
  it('the first write upgrades every branch; a store without rewriteItems keeps format 2, which still reads', async () => {
    const key = await newDataKey()
    const kid = await dataKeyId(key)
    const inner = new MemorySession(unique('mem-v2'))
    const old = [user('one'), user('two'), user('three')]
    await inner.addItems((await Promise.all(old.map((item) => sealV2(item, key, kid, inner.sessionId, 1)))) as never)
    const branch = await inner.createBranchFromTurn(3)
    await inner.addItems([(await sealV2(user('three, again'), key, kid, inner.sessionId, 2)) as never])
    await inner.switchToBranch('main')
    const session = EncryptedSession.wrap(inner, { key })
    await session.addItems([user('four')])
    expect(((await inner.getItems()) as unknown as EncryptedEnvelope[]).map((e) => [e.v, e.pos])).toEqual([[3, 0], [3, 1], [3, 2], [3, 3]])
    await inner.switchToBranch(branch)
    expect(((await inner.getItems()) as unknown as EncryptedEnvelope[]).map((e) => [e.v, e.pos])).toEqual([[3, 0], [3, 1], [3, 2]])
    expect(await session.getItems()).toEqual([user('one'), user('two'), user('three, again')])

    const plain = new PlainSession(unique('plain-v2'))
    await plain.addItems((await Promise.all(old.map((item) => sealV2(item, key, kid, plain.sessionId, 1)))) as never)
    const over = new EncryptedSession(plain, { key })
    await over.addItems([user('four')])
    expect(((await plain.getItems()) as unknown as EncryptedEnvelope[]).map((e) => [e.v, e.pos])).toEqual([[2, undefined], [2, undefined], [2, undefined], [3, 3]])
    expect(await over.getItems()).toEqual([...old, user('four')])
  })
})
