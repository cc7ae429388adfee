// Sealed titles and branch names in Node: over IndexedDBSession (fake-indexeddb), over
// MemorySession, and over a store that cannot keep a sealed name.
import { describe, expect, it } from 'vitest'
import { EncryptedSession, InvalidArgumentError, MemorySession } from '../../src/index.js'
import { newDataKey, rejectionOf, unique, user } from '../crypto/support.js'
import { describeSealedTitles } from './support/titles-suite.js'

const key = await newDataKey()
describeSealedTitles('EncryptedSession over IndexedDBSession (fake-indexeddb)', { dbName: unique('enc-titles-node'), key, otherKey: await newDataKey() })

describe('sealed branch names over other stores', () => {
  it('MemorySession keeps a sealed name, listed as such; EncryptedSession opens it', async () => {
    const inner = new MemorySession(unique('mem-names'))
    const session = EncryptedSession.wrap(inner, { key })
    await session.addItems([user('one')])
    const branch = await session.createBranchFromTurn(1, 'private plans')
    const stored = (await inner.listBranches()).find((b) => b.id === branch)!
    expect([stored.name, stored.sealedName?.v]).toEqual(['', 1])
    expect(JSON.stringify(await inner.listBranches())).not.toMatch(/private|plans/)
    expect((await session.listBranches()).find((b) => b.id === branch)?.name).toBe('private plans')
    await session.switchToBranch('main')
    const unnamed = await session.createBranchFromTurn(1)
    expect((await session.listBranches()).find((b) => b.id === unnamed)?.name).toBe('turn-1')
    await session.switchToBranch('main')
    expect(await rejectionOf(session.createBranchFromTurn(1, 42 as unknown as string))).toBeInstanceOf(InvalidArgumentError)
    expect((await inner.listBranches()).length).toBe(3)
  })

  it('a store that cannot keep a sealed name refuses a named branch (nothing created) unless titles are clear', async () => {
    const inner = new MemorySession(unique('no-sealing'))
    Object.defineProperty(inner, 'createSealedBranch', { value: undefined })
    const session = EncryptedSession.wrap(inner, { key })
    await session.addItems([user('one')])
    const error = await rejectionOf(session.createBranchFromTurn(1, 'secret name'))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).toMatch(/cannot keep a sealed branch name.*titles: 'clear'/)
    expect(await inner.listBranches()).toHaveLength(1)
    await session.createBranchFromTurn(1) // unnamed: nothing to hide
    await session.switchToBranch('main')
    await EncryptedSession.wrap(inner, { key, titles: 'clear' }).createBranchFromTurn(1, 'fine in clear')
    expect((await inner.listBranches()).map((b) => b.name)).toEqual(['main', 'turn-1', 'fine in clear'])
  })
})
