// What the handler refuses, and that a refusal stores nothing: other users' sessions,
// missing credentials, oversized and malformed bodies, replays, conflicts.
import { describe, expect, it } from 'vitest'
import { createSyncHandler, insecureDevAuthorize, type SyncHandler } from '../../src/server/index.js'
import { device, op, texts, user } from './support/client.js'
import { describeEngines, uniqueUser } from './support/engines.js'

describeEngines('sync handler refusals', (engine) => {
  let handler: SyncHandler | undefined
  const sync = () =>
    (handler ??= createSyncHandler({ store: engine.store(), authorize: insecureDevAuthorize, maxBodyBytes: 4096, onError: () => {} }))

  /** Alice with one session of two turns, and Bob. */
  async function aliceAndBob() {
    const alice = device(sync(), uniqueUser('alice'))
    const bob = device(sync(), uniqueUser('bob'))
    const append = op.append('s1', [user('a1'), user('a2')])
    expect((await alice.push(append, op.setTitle('s1', 'secret plans'))).status).toBe(200)
    const before = await alice.snapshot('s1')
    const cursor = (await alice.changes()).body.cursor as number
    return { alice, bob, append, before, cursor }
  }

  it("user B can neither read, list, write nor delete user A's session: 404, and A's session is unchanged", async () => {
    const { alice, bob, before } = await aliceAndBob()
    for (const reply of [await bob.session('s1'), await bob.items('s1'), await bob.snapshot('s1'), await bob.usage('s1')]) {
      expect(reply.status).toBe(404)
      expect(reply.body.error.code).toBe('not_found')
      expect(JSON.stringify(reply.body)).not.toContain('secret plans')
    }
    expect((await bob.list()).body.sessions).toEqual([])
    expect((await bob.changes()).body.changes).toEqual([])
    const writes = [op.pop('s1', 1), op.clear('s1'), op.deleteSession('s1'), op.setTitle('s1', 'mine now'), op.switchBranch('s1', 'main'), op.deleteBranch('s1', 'x'), op.usage('s1', { seq: 0 }), op.createBranch('s1', 'b', 1)]
    for (const write of writes) {
      const reply = await bob.push(write)
      expect(reply.status, write.kind).toBe(404)
      expect(reply.body.error).toMatchObject({ code: 'not_found', opIndex: 0, opId: write.opId })
    }
    // An append, or usage outside any turn, makes Bob a session of his own under that id; Alice's stays hers.
    expect((await bob.push(op.usage('s1', null))).status).toBe(200)
    expect((await bob.push(op.append('s1', [user('bob was here')]))).status).toBe(200)
    expect(texts((await bob.items('s1')).body.items)).toEqual(['bob was here'])
    expect((await alice.snapshot('s1')).body).toEqual(before.body)
    expect((await bob.call('GET', '/v1/keys/keyring')).status).toBe(404)
  })

  it('refuses requests without valid credentials with 401, storing nothing', async () => {
    const { alice, before, cursor } = await aliceAndBob()
    const anonymous = device(sync(), null)
    const forged = device(sync(), 'not a valid name!')
    for (const reply of [await anonymous.push(op.append('s1', [user('x')])), await anonymous.items('s1'), await forged.list(), await anonymous.changes()]) {
      expect(reply.status).toBe(401)
      expect(reply.body.error.code).toBe('unauthorized')
      expect(reply.headers.get('www-authenticate')).toBe('Bearer')
    }
    const throwing = createSyncHandler({ store: engine.store(), authorize: () => Promise.reject(new Error('token expired')) })
    expect((await device(throwing, 'x').list()).status).toBe(401)
    const empty = createSyncHandler({ store: engine.store(), authorize: () => '' })
    expect((await device(empty, 'x').list()).status).toBe(401)
    expect((await alice.snapshot('s1')).body).toEqual(before.body)
    expect((await alice.changes()).body.cursor).toBe(cursor)
  })

  it('refuses an oversized body with 413 whether or not it declares its length, storing nothing', async () => {
    const { alice, before, cursor } = await aliceAndBob()
    const big = { ops: [op.append('s1', [user('x'.repeat(5000))])] }
    const declared = await alice.call('POST', '/v1/push', big)
    expect(declared.status).toBe(413)
    expect(declared.body.error).toMatchObject({ code: 'payload_too_large', maxBytes: 4096 })
    const bytes = new TextEncoder().encode(JSON.stringify(big))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 1000) controller.enqueue(bytes.slice(at, at + 1000))
        controller.close()
      },
    })
    const chunked = await sync()(
      new Request('http://sync.test/v1/push', {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.user}`, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    )
    expect(chunked.status).toBe(413)
    expect((await alice.snapshot('s1')).body).toEqual(before.body)
    expect((await alice.changes()).body.cursor).toBe(cursor)
  })

  it('refuses malformed JSON, a wrong content type, malformed ops and bad items with a typed 400, storing nothing of the push', async () => {
    const { alice, before, cursor } = await aliceAndBob()
    const good = op.append('s1', [user('would be fine')])
    const cases: Array<[unknown, string, number, string | RegExp]> = [
      ['{"ops": [', 'invalid_json', 400, /not valid UTF-8 JSON/],
      [{ ops: [] }, 'invalid_request', 400, /ops/],
      [{ ops: [good, { ...op.clear('s1'), kind: 'explode' }] }, 'invalid_request', 400, /ops\[1\]/],
      [{ ops: [good, { ...op.pop('s1', 1), seq: -1 }] }, 'invalid_request', 400, /ops\[1\]\.seq/],
      [{ ops: [good, { ...op.clear('s1'), branchID: 'typo' }] }, 'invalid_request', 400, /branchID/],
      [{ ops: [good, { ...good }] }, 'invalid_request', 400, /appears twice/],
      [{ ops: [good, op.append('s1', [user('ok'), 'not an object'])] }, 'invalid_item', 400, /ops\[1\]: Cannot store item 1/],
      [{ ops: [good, op.append('s1', [{ content: 'no role, no type' }])] }, 'invalid_item', 400, /"type"/],
      // An item whose only shape comes from a "__proto__" key: refused, as by every session.
      ['{"ops":[{"opId":"p","sessionId":"s1","kind":"append","items":[{"__proto__":{"type":"message","role":"user","content":"x"}}]}]}', 'invalid_item', 400, /Cannot store item 0/],
    ]
    for (const [body, code, status, message] of cases) {
      const reply = await alice.call('POST', '/v1/push', body)
      expect(reply.status, code).toBe(status)
      expect(reply.body.error.code).toBe(code)
      expect(reply.body.error.message).toMatch(message)
      expect(reply.body.error.message).toMatch(/Nothing/)
    }
    const item = await alice.call('POST', '/v1/push', { ops: [good, op.append('s1', [user('ok'), 'not an object'])] })
    expect(item.body.error).toMatchObject({ opIndex: 1, index: 1, path: '' })
    const text = await alice.call('POST', '/v1/push', JSON.stringify({ ops: [good] }), { 'content-type': 'text/plain' })
    expect(text.status).toBe(415)
    expect(text.body.error.code).toBe('unsupported_media_type')
    expect((await alice.snapshot('s1')).body).toEqual(before.body)
    expect((await alice.changes()).body.cursor).toBe(cursor)
  })

  it('keeps a "__proto__" key inside an item as the item\'s own data, as every session does', async () => {
    const { alice } = await aliceAndBob()
    const pushed = await alice.call('POST', '/v1/push', '{"ops":[{"opId":"proto","sessionId":"s1","kind":"append","items":[{"type":"x","a":{"__proto__":{"b":1}}}]}]}')
    expect(pushed.status).toBe(200)
    const entries = (await alice.items('s1')).body.items as Array<{ item: { type?: string; a?: object } }>
    const stored = entries[entries.length - 1]!.item
    expect(stored.type).toBe('x')
    expect(Object.hasOwn(stored.a!, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(stored.a)).toBe(Object.prototype)
    expect(JSON.stringify(stored)).toBe('{"type":"x","a":{"__proto__":{"b":1}}}')
  })

  it('applies a replayed push once, and a push whose response was lost once when retried', async () => {
    const { alice } = await aliceAndBob()
    const push = [op.append('s2', [user('q1'), user('q2')]), op.setTitle('s2', 'once')]
    const first = await alice.push(...push)
    expect(first.body.results.map((r: { replayed: boolean }) => r.replayed)).toEqual([false, false])
    const cursor = (await alice.changes()).body.cursor
    // The same request delivered again (a duplicated packet, a proxy retry).
    const again = await alice.push(...push)
    expect(again.status).toBe(200)
    expect(again.body.results).toEqual(first.body.results.map((r: object) => ({ ...r, replayed: true })))
    // Concurrent duplicates: exactly one applies.
    const lost = [op.append('s2', [user('q3')])]
    const racing = await Promise.all([alice.push(...lost), alice.push(...lost), alice.push(...lost)])
    expect(racing.map((r) => r.body.results[0].replayed).sort()).toEqual([false, true, true])
    expect(new Set(racing.map((r) => r.body.results[0].firstSeq)).size).toBe(1)
    expect(texts((await alice.items('s2')).body.items)).toEqual(['q1', 'q2', 'q3'])
    expect((await alice.changes(cursor)).body.changes).toHaveLength(1)
  })

  it('refuses an op id reused for a different op with 409, changing nothing', async () => {
    const { alice, append, before } = await aliceAndBob()
    const reused = await alice.push({ ...append, items: [user('different')] })
    expect(reused.status).toBe(409)
    expect(reused.body.error).toMatchObject({ code: 'conflict', reason: 'op_id_reused', opIndex: 0 })
    expect((await alice.snapshot('s1')).body).toEqual(before.body)
  })

  it('refuses an append whose expectedLength is stale and a pop of a seq that is not the newest, changing nothing', async () => {
    const { alice, before, cursor } = await aliceAndBob()
    const stale = await alice.push(op.append('s1', [user('rebased?')], { expectedLength: 1 }))
    expect(stale.status).toBe(409)
    expect(stale.body.error).toMatchObject({ code: 'conflict', reason: 'length_mismatch', branchLength: 2 })
    const notNewest = await alice.push(op.pop('s1', 0))
    expect(notNewest.status).toBe(409)
    expect(notNewest.body.error).toMatchObject({ code: 'conflict', reason: 'not_newest', newestSeq: 1 })
    const gone = await alice.push(op.pop('s1', 7))
    expect(gone.body.error).toMatchObject({ reason: 'not_newest', newestSeq: 1 })
    expect((await alice.snapshot('s1')).body).toEqual(before.body)
    expect((await alice.changes()).body.cursor).toBe(cursor)
    const fits = await alice.push(op.append('s1', [user('a3')], { expectedLength: 2 }), op.pop('s1', 2))
    expect(fits.status).toBe(200)
    expect(texts((await alice.items('s1')).body.items)).toEqual(['a1', 'a2'])
  })

  it('commits the ops before a failing one, reports them, and does not try the ops after it', async () => {
    const { alice } = await aliceAndBob()
    const ops = [op.append('s1', [user('a3')]), op.append('s1', [user('never')], { expectedLength: 99 }), op.setTitle('s1', 'not reached')]
    const reply = await alice.push(...ops)
    expect(reply.status).toBe(409)
    expect(reply.body.results).toHaveLength(1)
    expect(reply.body.results[0]).toMatchObject({ opId: ops[0]!.opId, kind: 'append', firstSeq: 2, count: 1, replayed: false })
    expect(reply.body.error).toMatchObject({ reason: 'length_mismatch', opIndex: 1, opId: ops[1]!.opId })
    expect(texts((await alice.items('s1')).body.items)).toEqual(['a1', 'a2', 'a3'])
    expect((await alice.session('s1')).body.session.title).toBe('secret plans')
  })

  it('answers unknown paths with 404 and wrong methods with 405, both as typed JSON', async () => {
    const { alice } = await aliceAndBob()
    const unknown = await alice.call('GET', '/v1/nothing-here')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('not_found')
    const wrong = await alice.call('DELETE', '/v1/push')
    expect(wrong.status).toBe(405)
    expect(wrong.body.error.code).toBe('method_not_allowed')
    expect(wrong.headers.get('allow')).toBe('POST')
    expect((await alice.call('GET', '/v1/changes?after=abc')).body.error.code).toBe('invalid_request')
  })
})

describe('insecureDevAuthorize', () => {
  it('reads the user from a Bearer name and refuses anything else', () => {
    const request = (authorization?: string) => new Request('http://x/', authorization ? { headers: { authorization } } : {})
    expect(insecureDevAuthorize(request('Bearer alice'))).toBe('alice')
    for (const bad of [undefined, 'Bearer', 'Bearer a b', 'Basic YWxpY2U=', `Bearer ${'x'.repeat(65)}`]) expect(insecureDevAuthorize(request(bad))).toBeNull()
  })
})
