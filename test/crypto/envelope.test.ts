import { describe, expect, it } from 'vitest'
import { openEnvelope, parseEnvelope, sealItem, type EncryptedEnvelope, type ParsedEnvelope } from '../../src/crypto/envelope.js'
import { dataKeyId } from '../../src/crypto/keys.js'
import { toStoredItems } from '../../src/index.js'
import { dump, flipBit, newDataKey, rejectionOf, sealV1, sealV2 } from './support.js'

const item = { role: 'user', content: [{ type: 'input_text', text: 'my bank PIN is 4321' }] }

function parsed(envelope: unknown): ParsedEnvelope {
  const result = parseEnvelope(envelope)
  if (result.kind !== 'envelope') throw new Error(`not a valid envelope: ${result.kind}`)
  return result.envelope
}

describe('envelope', () => {
  it('is a storable JSON item with no plaintext, and opens back to the item', async () => {
    const key = await newDataKey()
    const kid = await dataKeyId(key)
    const envelope = await sealItem(item, key, kid, 's1', 1_700_000_000_000, 7)
    expect(toStoredItems([envelope])).toEqual([envelope])
    expect(envelope).toMatchObject({ type: 'encrypted', v: 3, kid, at: 1_700_000_000_000, pos: 7, role: 'user' })
    // A user message says so in clear (turns are numbered by the store); nothing else does.
    expect(dump({ ...envelope, role: undefined })).not.toMatch(/PIN|4321|input_text|user/)
    expect((await openEnvelope(parsed(envelope), key, 's1')).item).toEqual(item)
    const answer = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'noted your PIN' }] }
    const other = await sealItem(answer, key, kid, 's1', 1, 8)
    expect(Object.keys(other).sort()).toEqual(['at', 'ct', 'iv', 'kid', 'pos', 'type', 'v'])
    expect(dump(other)).not.toMatch(/PIN|assistant|message|output_text|user/)
  })

  it('uses a fresh 96-bit IV for every item', async () => {
    const key = await newDataKey()
    const envelopes = await Promise.all(Array.from({ length: 50 }, () => sealItem(item, key, 'k', 's', 1, 0)))
    const ivs = new Set(envelopes.map((e) => e.iv))
    expect(ivs.size).toBe(50)
    expect(parsed(envelopes[0]).iv).toHaveLength(12)
    expect(new Set(envelopes.map((e) => e.ct)).size).toBe(50)
  })

  it('fails authentication when moved to another session, or when ct, iv, at, kid or pos changed, or truncated', async () => {
    const key = await newDataKey()
    const envelope = await sealItem(item, key, 'aaaaaaaaaaaaaaaa', 's1', 1000, 4)
    const variants: Array<[string, EncryptedEnvelope, string]> = [
      ['moved', envelope, 'other-session'],
      ['ct', { ...envelope, ct: flipBit(envelope.ct) }, 's1'],
      ['iv', { ...envelope, iv: flipBit(envelope.iv) }, 's1'],
      ['at', { ...envelope, at: 999_999 }, 's1'],
      ['kid', { ...envelope, kid: 'bbbbbbbbbbbbbbbb' }, 's1'],
      ['truncated', { ...envelope, ct: btoa(atob(envelope.ct).slice(0, -4)) }, 's1'],
      ['role marker removed', (({ role: _role, ...rest }) => rest)(envelope) as EncryptedEnvelope, 's1'],
      ['pos', { ...envelope, pos: 5 }, 's1'],
      ['pos to 0', { ...envelope, pos: 0 }, 's1'],
    ]
    for (const [what, changed, sessionId] of variants) {
      const error = await rejectionOf(openEnvelope(parsed(changed), key, sessionId))
      expect(error, what).toBeInstanceOf(DOMException)
      expect((error as DOMException).name, what).toBe('OperationError')
    }
    expect((await openEnvelope(parsed(envelope), key, 's1')).item).toEqual(item)
  })

  it('fails with another key', async () => {
    const envelope = await sealItem(item, await newDataKey(), 'k', 's', 1, 0)
    await expect(openEnvelope(parsed(envelope), await newDataKey(), 's')).rejects.toThrow()
  })

  it('classifies plain items, broken envelopes and newer versions', async () => {
    const envelope = await sealItem(item, await newDataKey(), 'k', 's', 1, 3)
    expect(parseEnvelope(item).kind).toBe('plain')
    expect(parseEnvelope({ type: 'message', role: 'user', content: 'x' }).kind).toBe('plain')
    expect(parseEnvelope({ ...envelope, iv: 'not base64!' })).toMatchObject({ kind: 'malformed', kid: 'k', at: 1 })
    expect(parseEnvelope({ ...envelope, iv: btoa('short') }).kind).toBe('malformed')
    expect(parseEnvelope({ ...envelope, ct: btoa('tiny') }).kind).toBe('malformed')
    expect(parseEnvelope({ ...envelope, at: 'yesterday' }).kind).toBe('malformed')
    expect(parseEnvelope({ type: 'encrypted' }).kind).toBe('malformed')
    expect(parseEnvelope({ ...envelope, v: 4 }).kind).toBe('unsupported_version')
    expect(parseEnvelope({ ...envelope, role: 'assistant' }).kind).toBe('malformed')
    expect(parseEnvelope({ ...envelope, v: 1, pos: undefined }).kind).toBe('malformed') // version 1 had no role
    expect(parseEnvelope({ ...envelope, v: 2 }).kind).toBe('malformed') // version 2 had no position
    for (const pos of [undefined, -1, 1.5, '3', Number.MAX_SAFE_INTEGER + 1, null]) {
      expect(parseEnvelope({ ...envelope, pos }).kind, String(pos)).toBe('malformed')
    }
    expect(parsed(envelope).pos).toBe(3)
  })
})

describe('envelope format versions', () => {
  it('still opens version 1 envelopes (no role marker), which do not start turns', async () => {
    const key = await newDataKey()
    const old = await sealV1(item, key, 'aaaaaaaaaaaaaaaa', 's1', 5)
    const result = parseEnvelope(old)
    expect(result).toMatchObject({ kind: 'envelope', envelope: { v: 1, userTurn: false } })
    expect((await openEnvelope(parsed(old), key, 's1')).item).toEqual(item)
    await expect(openEnvelope(parsed(old), key, 's2')).rejects.toThrow()
  })

  it('still opens version 2 envelopes (role marker, no position), which have no position to check', async () => {
    const key = await newDataKey()
    const old = await sealV2(item, key, 'aaaaaaaaaaaaaaaa', 's1', 5)
    expect(parseEnvelope(old)).toMatchObject({ kind: 'envelope', envelope: { v: 2, userTurn: true, pos: undefined } })
    expect((await openEnvelope(parsed(old), key, 's1')).item).toEqual(item)
    // A position added to an old envelope makes it malformed, never a version 3 one.
    expect(parseEnvelope({ ...old, pos: 0 }).kind).toBe('malformed')
    expect(parseEnvelope({ ...old, v: 3, pos: 0 }).kind).toBe('envelope')
    expect((await rejectionOf(openEnvelope(parsed({ ...old, v: 3, pos: 0 }), key, 's1')) as DOMException).name).toBe('OperationError')
  })

  it('a role marker added to a non-user envelope fails authentication', async () => {
    const key = await newDataKey()
    const envelope = await sealItem({ type: 'function_call', call_id: 'c', name: 'n', arguments: '{}' }, key, 'k', 's', 1, 0)
    expect(envelope.role).toBeUndefined()
    const error = await rejectionOf(openEnvelope(parsed({ ...envelope, role: 'user' }), key, 's'))
    expect((error as DOMException).name).toBe('OperationError')
  })
})

describe('dataKeyId', () => {
  it('is a stable 16-hex-digit fingerprint of the key, different for different keys', async () => {
    const key = await newDataKey()
    const id = await dataKeyId(key)
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(await dataKeyId(key)).toBe(id)
    expect(await dataKeyId(await newDataKey())).not.toBe(id)
  })

  it('is the same for the same key material however it was imported', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32))
    const a = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
    const b = await crypto.subtle.importKey('raw', raw, 'AES-GCM', true, ['encrypt', 'decrypt'])
    expect(await dataKeyId(a)).toBe(await dataKeyId(b))
  })
})
