// The run lock in Node, which has no Web Locks: the in-tab queue fallback. Real Web Locks
// across tabs are proven in tabs.browser.test.ts.
import { describe, expect, it } from 'vitest'
import { MemorySession } from '../../src/session/memory.js'
import { Agent } from '../../src/runner/agent.js'
import { AbortError } from '../../src/model/errors.js'
import { run } from '../../src/runner/runner.js'
import { isRunLocked, runLockMode, runLockName, withRunLock } from '../../src/sync/run-lock.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { expectWholeTurns, userTexts } from '../runner/helpers.js'

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

describe('run lock (in-tab fallback)', () => {
  it('is the fallback here, named after the session', () => {
    expect(runLockMode()).toBe('in-tab')
    expect(runLockName('user_1')).toBe('idb-agents:run:user_1')
  })

  it('runs tasks of one session one after the other, other sessions alongside', async () => {
    const order: string[] = []
    const first = gate()
    const a1 = withRunLock('s', async () => {
      order.push('a1 start')
      await first.opened
      order.push('a1 end')
    })
    const a2 = withRunLock('s', async () => void order.push('a2'))
    await withRunLock('other', async () => void order.push('other'))
    expect(await isRunLocked('s')).toBe(true)
    first.open()
    await Promise.all([a1, a2])
    expect(order).toEqual(['a1 start', 'other', 'a1 end', 'a2'])
    expect(await isRunLocked('s')).toBe(false)
  })

  it('is released when the task throws', async () => {
    await expect(withRunLock('s-err', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await withRunLock('s-err', async () => 'next')).toBe('next')
  })

  it('stops waiting on abort, never runs the task, and lets the queue go on', async () => {
    const holding = gate()
    const held = withRunLock('s-abort', () => holding.opened)
    const controller = new AbortController()
    let ran = false
    const waiting = withRunLock('s-abort', async () => void (ran = true), { signal: controller.signal })
    const after = withRunLock('s-abort', async () => 'after')
    controller.abort(new Error('user left'))
    await expect(waiting).rejects.toThrow('user left')
    holding.open()
    await held
    expect(await after).toBe('after')
    expect(ran).toBe(false)
  })
})

describe('run() takes the run lock', () => {
  it('two runs of one session at once make two whole turns, the second seeing the first', async () => {
    const model = new ScriptedModel((_request, index) =>
      index % 2 === 0 ? { toolCalls: [{ name: 'echo', arguments: { n: index } }] } : `done ${index}`,
    )
    const agent = new Agent({ name: 'A', model })
    const session = new MemorySession('both')
    await Promise.all([run(agent, 'first', { session }), run(agent, 'second', { session })])
    const items = await session.getItems()
    expectWholeTurns(items)
    // turn 1: user, call, output, answer; turn 2 the same, never interleaved
    expect(items.map((i) => i.role ?? i.type)).toEqual([
      'user', 'function_call', 'function_call_output', 'assistant',
      'user', 'function_call', 'function_call_output', 'assistant',
    ])
    expect(userTexts(model.requests[2]!.input)).toEqual(['first', 'second'])
  })

  it('interleaves without it (runLock: false), which is what the lock prevents', async () => {
    const model = new ScriptedModel((_request, index) => `answer ${index}`)
    const agent = new Agent({ name: 'A', model })
    const session = new MemorySession('unlocked')
    await Promise.all([run(agent, 'first', { session, runLock: false }), run(agent, 'second', { session, runLock: false })])
    // both loaded the empty history before either saved: neither request saw the other
    expect(model.requests.map((r) => userTexts(r.input))).toEqual([['first'], ['second']])
  })

  it('an abort while waiting for the lock is an AbortError that saved nothing', async () => {
    const holding = gate()
    const held = withRunLock('waiting', () => holding.opened)
    const controller = new AbortController()
    const agent = new Agent({ name: 'A', model: new ScriptedModel(['never']) })
    const session = new MemorySession('waiting')
    const running = run(agent, 'hi', { session, signal: controller.signal })
    controller.abort()
    const error = await running.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortError)
    expect(error).toMatchObject({ inputSaved: false, savedItems: [] })
    holding.open()
    await held
    expect(await session.getItems()).toEqual([])
  })
})
