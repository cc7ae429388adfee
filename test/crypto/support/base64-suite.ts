import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64, bytesToHex } from '../../../src/crypto/base64.js'

/** Base64 checks shared by Node and the browsers (where the native Uint8Array.fromBase64 path runs). */
export function describeBase64(where: string): void {
describe(`base64 (${where})`, () => {
  it('round-trips every length, including empty and large (chunked) inputs', () => {
    for (const length of [0, 1, 2, 3, 4, 31, 32, 33, 70_000]) {
      const bytes = crypto.getRandomValues(new Uint8Array(Math.min(length, 65_536)))
      const big = length > 65_536 ? new Uint8Array(length).map((_, i) => bytes[i % bytes.length]!) : bytes
      expect(base64ToBytes(bytesToBase64(big))).toEqual(big)
    }
  })

  it('matches the standard alphabet with padding', () => {
    expect(bytesToBase64(new TextEncoder().encode('hi?>'))).toBe('aGk/Pg==')
  })

  it('returns undefined for anything that is not canonical base64', () => {
    for (const bad of ['a', 'abc', 'ab=c', '@@@@', 'aGk/Pg=', 'aGk-Pg==', 'aGk/Pg==x', 42 as unknown as string]) {
      expect(base64ToBytes(bad)).toBeUndefined()
    }
  })

  it('hex-encodes bytes', () => {
    expect(bytesToHex(new Uint8Array([0, 15, 255]))).toBe('000fff')
  })
})
}
