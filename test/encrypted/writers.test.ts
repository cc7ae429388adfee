// Writers racing on one encrypted session, in Node: over IndexedDBSession (fake-indexeddb),
// over one MemorySession, and over a store without addItemsAt (the documented fallback).
import { describe, expect, it } from 'vitest'
import { EncryptedSession, MemorySession, PositionConflictError, type AgentItem } from '../../src/index.js'
import type { EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { newDataKey, unique, user } from '../crypto/support.js'
import { PlainSession } from '../session/support/plain-session.js'
import { describeTwoWriters, expectWholeHistory, writeTurns } from './support/writers-suite.js'

const key = await newDataKey()
describeTwoWriters('EncryptedSession over IndexedDBSession (fake-indexeddb)', { dbName: unique('enc-writers-node'), key })

describe('EncryptedSession writers over other stores', () => {
  it('two EncryptedSessions over one MemorySession: nothing lost, nothing out of place', async () => {
    const inner = new MemorySession(unique('mem-writers'))
    const [first, second] = [new EncryptedSession(inner, { key }), new EncryptedSession(inner, { key })]
    await first.addItems([user('start')])
    await second.getItems()
    await first.addItems([user('moved')])
    await Promise.all([writeTurns(first, 'a', 8), writeTurns(second, 'b', 8)])
    await expectWholeHistory(new EncryptedSession(inner, { key }), inner, ['a', 'b'], 8, 2)
  })

  it('a writer that keeps losing gives up with PositionConflictError after ten tries, writing nothing', async () => {
    let theirs = 0
    // Another writer that always gets in first: every write of ours finds one more item.
    class Busy extends MemorySession {
      override async addItemsAt(position: number, items: AgentItem[]): Promise<void> {
        theirs++
        await this.addItems([{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `theirs ${theirs}` }] } as AgentItem])
        return super.addItemsAt(position, items)
      }
    }
    const busy = new Busy(unique('mem-busy'))
    const session = new EncryptedSession(busy, { key })
    const error = await session.addItems([user('mine')]).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(PositionConflictError)
    expect(theirs).toBe(10)
    expect(await busy.getItemCount()).toBe(10) // theirs only
  })

  it('over a store without addItemsAt or a count, each write goes after the newest position', async () => {
    const inner = new PlainSession(unique('plain-pos'))
    const session = new EncryptedSession(inner, { key })
    await session.addItems([user('one'), user('two')])
    await session.addItems([user('three')])
    expect(await session.popItem()).toEqual(user('three'))
    await session.addItems([user('three again'), user('four')])
    expect(((await inner.getItems()) as unknown as EncryptedEnvelope[]).map((e) => e.pos)).toEqual([0, 1, 2, 3])
    expect(await session.getItems()).toEqual([user('one'), user('two'), user('three again'), user('four')])
  })
})
