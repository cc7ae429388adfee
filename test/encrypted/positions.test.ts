// Position-bound envelopes in Node, over IndexedDBSession on fake-indexeddb and over
// MemorySession; test/encrypted/positions.browser.test.ts runs the IndexedDB part in the browsers.
import { describe, expect, it } from 'vitest'
import { DecryptionError, EncryptedSession, MemorySession } from '../../src/index.js'
import type { EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { newDataKey, rejectionOf, unique, user } from '../crypto/support.js'
import { describePositionBinding } from './support/position-suite.js'

const key = await newDataKey()
describePositionBinding('EncryptedSession over IndexedDBSession (fake-indexeddb)', { dbName: unique('enc-pos-node'), key })

describe('EncryptedSession over MemorySession: positions', () => {
  it('two items swapped through the store are out of place', async () => {
    const inner = new MemorySession(unique('mem-pos'))
    const session = new EncryptedSession(inner, { key })
    await session.addItems([user('one'), user('two'), user('three')])
    const stored = (await inner.getItems()) as unknown as EncryptedEnvelope[]
    await inner.replaceItems([stored[0], stored[2], stored[1]] as never)
    expect(await rejectionOf(session.getItems())).toMatchObject({ name: 'DecryptionError', reason: 'out_of_place', index: 1, expectedPosition: 1, foundPosition: 2 })
    expect(await rejectionOf(new EncryptedSession(inner, { key, onUndecryptable: 'skip' }).getItems())).toBeInstanceOf(DecryptionError)
  })
})
