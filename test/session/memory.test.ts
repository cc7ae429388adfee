import { describe, expect, it } from 'vitest'
import { MemorySession } from '../../src/index.js'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'

// Two MemorySession objects never share history, so the factory hands back one per id.
const sessions = new Map<string, MemorySession>()
describeSessionConformance('MemorySession', (id) => {
  const session = sessions.get(id) ?? new MemorySession(id)
  sessions.set(id, session)
  return session
}, { withDefaultLimit: (id, limit) => new MemorySession(id, { settings: { limit } }) })

describe('MemorySession', () => {
  it('uses settings.limit as the default window; an explicit limit wins', async () => {
    const session = new MemorySession('limited', { settings: { limit: 2 } })
    await session.addItems([1, 2, 3].map((n) => ({ role: 'user' as const, content: `${n}` })))
    expect((await session.getItems()).map((item) => item.content)).toEqual(['2', '3'])
    expect(await session.getItems(3)).toHaveLength(3)
    expect(await session.getItems(Infinity)).toHaveLength(3)
  })

  it('generates a random id when none is given', () => {
    expect(new MemorySession().sessionId).not.toBe(new MemorySession().sessionId)
  })

  it('replaceItems swaps the whole history, and a bad batch keeps the old one', async () => {
    const session = new MemorySession('replace')
    await session.addItems([{ role: 'user', content: 'old' }])
    await expect(session.replaceItems([{ role: 'user', content: 'x', bad: Symbol('no') } as never])).rejects.toThrow(
      /item 0 at bad/,
    )
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'old' }])
    await session.replaceItems([{ role: 'user', content: 'new' }])
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'new' }])
  })
})
