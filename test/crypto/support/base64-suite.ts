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

  it('decodes a 9 MB input (a large tool output, sealed) without running out of stack', () => {
    const big = new Uint8Array(9 * 1024 * 1024).map((_, i) => (i * 7) & 0xff)
    const text = bytesToBase64(big)
    expect(text.length).toBe(12_582_912)
    const decoded = base64ToBytes(text)!
    expect(decoded.length).toBe(big.length)
    expect(decoded.every((byte, i) => byte === big[i])).toBe(true) // toEqual takes a minute on 9 MB
    expect(base64ToBytes(`${text.slice(0, -4)}A=A=`)).toBeUndefined()
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
