// The sync protocol end to end through the handler: every op kind, its result and its
// change in the feed, the feed's paging, snapshots, lists, item windows, usage, key records.
import { expect, it } from 'vitest'
import { createSyncHandler, insecureDevAuthorize, type SyncHandler } from '../../src/server/index.js'
import { assistant, device, op, texts, user } from './support/client.js'
import { describeEngines, uniqueUser } from './support/engines.js'

describeEngines('sync protocol', (engine) => {
  let handler: SyncHandler | undefined
  const sync = () => (handler ??= createSyncHandler({ store: engine.store(), authorize: insecureDevAuthorize, page: { maxItems: 5 } }))
  const fresh = () => device(sync(), uniqueUser())

  it('appends with server seqs, reads windows of the newest items, and lists and describes sessions', async () => {
    const me = fresh()
    const first = op.append('chat', [user('q1'), assistant('a1')])
    const reply = await me.push(first, op.append('chat', [user('q2')]))
    expect(reply.status).toBe(200)
    expect(reply.body.results).toMatchObject([
      { opId: first.opId, sessionId: 'chat', kind: 'append', branchId: 'main', firstSeq: 0, count: 2, branchLength: 2, cursor: 1, replayed: false },
      { kind: 'append', firstSeq: 2, count: 1, branchLength: 3, cursor: 2 },
    ])
    expect(reply.body.cursor).toBe(2)
    const window = await me.items('chat', '?limit=2')
    expect(window.body).toMatchObject({ sessionId: 'chat', branchId: 'main', length: 3 })
    expect(window.body.items.map((entry: { seq: number }) => entry.seq)).toEqual([1, 2])
    expect(window.body.items[0].item).toEqual(assistant('a1'))
    expect(typeof window.body.items[0].createdAt).toBe('number')
    expect(texts((await me.items('chat')).body.items)).toEqual(['q1', [{ type: 'output_text', text: 'a1' }], 'q2'])
    expect((await me.items('chat', '?limit=0')).body.items).toEqual([])

    await me.push(op.append('another', [user('x')]))
    const list = await me.list('?limit=1')
    expect(list.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['another'])
    expect(list.body.cursor).toBe(3)
    const rest = await me.list(`?limit=1&after=${list.body.next}`)
    expect(rest.body.sessions).toMatchObject([{ sessionId: 'chat', title: null, currentBranchId: 'main', itemCount: 3, branchCount: 1, lastCursor: 2 }])
    expect(rest.body.next).toBeUndefined()
    expect((await me.session('chat')).body.branches).toMatchObject([{ id: 'main', ranges: [[0, 3]], itemCount: 3, turnCount: 2 }])
  })

  it('branches: create from a turn sharing items, switch, append on a branch, delete keeping shared items', async () => {
    const me = fresh()
    await me.push(op.append('s', [user('q1'), assistant('a1'), user('q2'), assistant('a2')]))
    const created = await me.push(op.createBranch('s', 'edit', 2, 'edited q2'), op.append('s', [user('q2b')]))
    expect(created.body.results[0].branch).toEqual({
      id: 'edit',
      name: 'edited q2',
      parentId: 'main',
      forkTurn: 2,
      createdAt: expect.any(Number),
      ranges: [[0, 2]],
      itemCount: 2,
      turnCount: 1,
    })
    expect(created.body.results[1]).toMatchObject({ branchId: 'edit', firstSeq: 4, branchLength: 3 })
    expect(texts((await me.items('s')).body.items)).toEqual(['q1', [{ type: 'output_text', text: 'a1' }], 'q2b'])
    expect(texts((await me.items('s', '?branchId=main&limit=1')).body.items)).toEqual([[{ type: 'output_text', text: 'a2' }]])
    expect((await me.items('s', '?branchId=nope')).status).toBe(404)

    const dup = await me.push(op.createBranch('s', 'edit', 1))
    expect(dup.body.error).toMatchObject({ code: 'conflict', reason: 'branch_exists' })
    const noTurn = await me.push(op.createBranch('s', 'far', 9))
    expect(noTurn.body.error).toMatchObject({ code: 'conflict', reason: 'turn_not_found' })
    expect((await me.push(op.switchBranch('s', 'ghost'))).body.error).toMatchObject({ reason: 'branch_not_found' })
    const main = await me.push(op.deleteBranch('s', 'main'))
    expect(main.status).toBe(400)
    expect(main.body.error).toMatchObject({ code: 'invalid_argument' })

    await me.push(op.append('s', [user('q3')], { branchId: 'main' }), op.switchBranch('s', 'main'))
    expect((await me.session('s')).body.session.currentBranchId).toBe('main')
    const deleted = await me.push(op.switchBranch('s', 'edit'), op.deleteBranch('s', 'edit'))
    expect(deleted.body.results[1]).toMatchObject({ branchId: 'edit', currentBranchId: 'main' })
    expect(texts((await me.items('s')).body.items)).toEqual(['q1', [{ type: 'output_text', text: 'a1' }], 'q2', [{ type: 'output_text', text: 'a2' }], 'q3'])
    const snapshot = await me.snapshot('s')
    expect(snapshot.body.items.map((entry: { seq: number }) => entry.seq)).toEqual([0, 1, 2, 3, 5])
  })

  it('replaces a branch in one op (compaction) and branches from a branch other than the current one', async () => {
    const me = fresh()
    await me.push(op.append('r', [user('q1'), assistant('a1'), user('q2'), assistant('a2')]), op.createBranch('r', 'side', 2))
    const replaced = await me.push({ opId: crypto.randomUUID(), sessionId: 'r', kind: 'replace', branchId: 'main', items: [user('summary')], expectedLength: 4 })
    expect(replaced.body.results[0]).toMatchObject({ kind: 'replace', branchId: 'main', firstSeq: 4, count: 1, branchLength: 1 })
    expect(texts((await me.items('r', '?branchId=main')).body.items)).toEqual(['summary'])
    // The side branch still shows the two items it shares with what main was.
    expect((await me.items('r', '?branchId=side')).body.items.map((entry: { seq: number }) => entry.seq)).toEqual([0, 1])
    expect((await me.snapshot('r')).body.items.map((entry: { seq: number }) => entry.seq)).toEqual([0, 1, 4])
    const stale = await me.push({ opId: crypto.randomUUID(), sessionId: 'r', kind: 'replace', branchId: 'main', items: [], expectedLength: 4 })
    expect(stale.body.error).toMatchObject({ reason: 'length_mismatch', branchLength: 1 })
    await me.push(op.append('r', [user('q1b')], { branchId: 'side' }))
    const fromSide = await me.push({ opId: crypto.randomUUID(), sessionId: 'r', kind: 'createBranch', branchId: 'side2', fromTurn: 2, sourceBranchId: 'side' })
    expect(fromSide.body.results[0].branch).toMatchObject({ parentId: 'side', ranges: [[0, 2]], turnCount: 1 })
    const first = await me.changes()
    const second = await me.changes(first.body.cursor)
    const kinds = [...first.body.changes, ...second.body.changes].map((change: { kind: string }) => change.kind)
    expect(kinds).toEqual(['append', 'createBranch', 'replace', 'append', 'createBranch'])
  })

  it('records usage on a turn named by an append of the same push, by seq, or outside turns', async () => {
    const me = fresh()
    const turn = op.append('u', [user('q1'), assistant('a1')])
    const reply = await me.push(turn, op.usage('u', { opId: turn.opId, index: 0 }, 10), op.usage('u', { seq: 0 }, 5), op.usage('u', null, 1))
    expect(reply.body.results.slice(1)).toMatchObject([
      { kind: 'usage', seq: 0, total: { requests: 1, inputTokens: 10, outputTokens: 10, totalTokens: 20 } },
      { kind: 'usage', seq: 0, total: { requests: 2, inputTokens: 15, outputTokens: 15, totalTokens: 30 } },
      { kind: 'usage', seq: null, total: { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 } },
    ])
    const report = await me.usage('u')
    expect(report.body).toEqual({
      branchId: 'main',
      sessionTotal: { requests: 3, inputTokens: 16, outputTokens: 16, totalTokens: 32 },
      branchTotal: { requests: 2, inputTokens: 15, outputTokens: 15, totalTokens: 30 },
      turns: [{ turn: 1, seq: 0, usage: { requests: 2, inputTokens: 15, outputTokens: 15, totalTokens: 30 } }],
    })
    const bad = [op.usage('u', { seq: 1 }), op.usage('u', { opId: turn.opId, index: 5 }), op.usage('u', { opId: 'never-pushed', index: 0 })]
    for (const ref of bad) expect((await me.push(ref)).body.error).toMatchObject({ code: 'conflict', reason: 'turn_not_found' })
  })

  it('feeds every change in cursor order with the op as applied, paged by changes and by items', async () => {
    const me = fresh()
    const append = op.append('f', [user('1'), user('2'), user('3'), user('4')])
    await me.push(append, op.setTitle('f', 'sealed:v1:abc=='), op.pop('f', 3), op.createBranch('f', 'b', 2), op.clear('f'))
    await me.push(op.append('f', ['5', '6', '7', '8', '9', '10'].map(user), { branchId: 'main' }))
    const first = await me.changes(0, '&limit=2')
    expect(first.body.hasMore).toBe(true)
    expect(first.body.cursor).toBe(2)
    expect(first.body.changes).toEqual([
      {
        cursor: 1,
        sessionId: 'f',
        opId: append.opId,
        at: expect.any(Number),
        kind: 'append',
        branchId: 'main',
        firstSeq: 0,
        count: 4,
        // Item 3 was popped later: an append lists the items still stored.
        items: [0, 1, 2].map((seq) => ({ seq, createdAt: expect.any(Number), item: user(String(seq + 1)) })),
      },
      { cursor: 2, sessionId: 'f', opId: expect.any(String), at: expect.any(Number), kind: 'setTitle', title: 'sealed:v1:abc==' },
    ])
    const rest = await me.changes(2)
    expect(rest.body.changes.map((change: { kind: string }) => change.kind)).toEqual(['pop', 'createBranch', 'clear'])
    // The append of six items would pass maxItems (5): it waits for the next page, alone.
    expect(rest.body.hasMore).toBe(true)
    expect(rest.body.changes[0]).toMatchObject({ kind: 'pop', branchId: 'main', seq: 3 })
    expect(rest.body.changes[1]).toMatchObject({ kind: 'createBranch', branch: { id: 'b', ranges: [[0, 1]] } })
    expect(rest.body.changes[2]).toMatchObject({ kind: 'clear', branchId: 'b' })
    const last = await me.changes(rest.body.cursor)
    expect(last.body).toMatchObject({ hasMore: false, cursor: 6, changes: [{ kind: 'append', firstSeq: 4, count: 6 }] })
    expect(last.body.changes[0].items).toHaveLength(6)
    expect((await me.changes(6)).body).toEqual({ changes: [], cursor: 6, hasMore: false })
    const ahead = await me.changes(99)
    expect(ahead.status).toBe(409)
    expect(ahead.body.error.reason).toBe('cursor_ahead')
  })

  it('deletes a session: a tombstone in the feed replaces its history, and a new session under its id never reuses a seq', async () => {
    const me = fresh()
    await me.push(op.append('gone', [user('1'), user('2')]), op.append('kept', [user('k')]))
    const deleted = await me.push(op.deleteSession('gone'))
    expect(deleted.body.results[0]).toMatchObject({ kind: 'deleteSession', cursor: 3 })
    expect((await me.session('gone')).status).toBe(404)
    expect((await me.list()).body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['kept'])
    expect((await me.changes()).body.changes.map((c: { sessionId: string; kind: string }) => `${c.sessionId}:${c.kind}`)).toEqual([
      'kept:append',
      'gone:deleteSession',
    ])
    expect((await me.push(op.deleteSession('gone'))).status).toBe(404)
    const again = await me.push(op.append('gone', [user('new')]))
    expect(again.body.results[0]).toMatchObject({ firstSeq: 2, branchLength: 1 })
    expect((await me.snapshot('gone')).body.items).toMatchObject([{ seq: 2, item: user('new') }])
  })

  it('gives a full snapshot of a session with its cursor, and stores sealed titles and encrypted envelopes exactly as given', async () => {
    const me = fresh()
    const envelope = { type: 'encrypted', role: 'user', v: 1, kid: 'k1', iv: 'AAEC', ct: 'zz+/==', nested: { a: [1, 2.5, null, true] } }
    await me.push(op.append('e', [envelope, { type: 'encrypted', v: 1, kid: 'k1', iv: 'AwQF', ct: 'yy' }]), op.setTitle('e', 'sealed:AAAA'))
    await me.push(op.usage('e', { seq: 0 }, 3))
    const snapshot = await me.snapshot('e')
    expect(snapshot.body).toEqual({
      cursor: 3,
      session: expect.objectContaining({ sessionId: 'e', title: 'sealed:AAAA', itemCount: 2, lastCursor: 3 }),
      branches: [expect.objectContaining({ id: 'main', ranges: [[0, 2]], turnCount: 1 })],
      usage: [{ seq: 0, usage: { requests: 1, inputTokens: 3, outputTokens: 3, totalTokens: 6 } }],
      items: [
        { seq: 0, createdAt: expect.any(Number), item: envelope },
        { seq: 1, createdAt: expect.any(Number), item: { type: 'encrypted', v: 1, kid: 'k1', iv: 'AwQF', ct: 'yy' } },
      ],
    })
  })

  it('keeps opaque key records per user with a version check', async () => {
    const me = fresh()
    const other = fresh()
    const record = { wrapped: 'base64==', salt: 'c2FsdA==', iterations: 600000 }
    expect((await me.call('GET', '/v1/keys/keyring')).status).toBe(404)
    const created = await me.call('PUT', '/v1/keys/keyring', { value: record, expectedVersion: null })
    expect(created.body).toMatchObject({ name: 'keyring', version: 1 })
    const clash = await me.call('PUT', '/v1/keys/keyring', { value: { other: true }, expectedVersion: null })
    expect(clash.status).toBe(409)
    expect(clash.body.error).toMatchObject({ code: 'conflict', reason: 'version_mismatch', currentVersion: 1 })
    const stale = await me.call('PUT', '/v1/keys/keyring', { value: { other: true }, expectedVersion: 7 })
    expect(stale.body.error).toMatchObject({ reason: 'version_mismatch', currentVersion: 1 })
    const updated = await me.call('PUT', '/v1/keys/keyring', { value: { ...record, wrapped: 'new==' }, expectedVersion: 1 })
    expect(updated.body.version).toBe(2)
    expect((await me.call('GET', '/v1/keys/keyring')).body).toEqual({ name: 'keyring', version: 2, value: { ...record, wrapped: 'new==' }, updatedAt: expect.any(Number) })
    expect((await other.call('GET', '/v1/keys/keyring')).status).toBe(404)
    expect((await other.call('PUT', '/v1/keys/keyring', { value: 1, expectedVersion: 2 })).body.error).toMatchObject({ currentVersion: null })
    expect((await me.call('PUT', '/v1/keys/bad%20name', { value: 1, expectedVersion: null })).body.error.code).toBe('invalid_request')
    expect((await me.call('PUT', '/v1/keys/k', { expectedVersion: null })).body.error.code).toBe('invalid_request')
  })

  it('mounts under a base path', async () => {
    const mounted = createSyncHandler({ store: engine.store(), authorize: insecureDevAuthorize, basePath: '/api/sync/' })
    const name = uniqueUser()
    const reply = await mounted(new Request('http://x/api/sync/v1/sessions', { headers: { authorization: `Bearer ${name}` } }))
    expect(reply.status).toBe(200)
    expect((await mounted(new Request('http://x/v1/sessions', { headers: { authorization: `Bearer ${name}` } }))).status).toBe(404)
  })
})
