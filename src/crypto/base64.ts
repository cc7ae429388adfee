// Base64 for the binary parts of envelopes and key records. Stored items must be plain
// JSON (see items.ts), so IVs, ciphertexts and wrapped keys are strings, not buffers.
//
// Uses the native Uint8Array.fromBase64 / toBase64 where the platform has them (Chromium
// 140+, Firefox 133+, Safari 18.2+): on 1 KB items they are ~15× faster than atob/btoa
// plus a loop, which was most of EncryptedSession's read overhead (bench/crypto).

interface NativeBase64 {
  fromBase64?: (text: string, options: { lastChunkHandling: 'strict' }) => Uint8Array<ArrayBuffer>
}
interface NativeToBase64 {
  toBase64?: () => string
}

const CHUNK = 0x8000
// One character class, no repeated group: a group repeated per 4 characters ran V8 out of
// stack on inputs of a few MB (a large sealed tool output), where the native decoder is absent.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const nativeFrom = (Uint8Array as unknown as NativeBase64).fromBase64
const hasNativeTo = typeof (Uint8Array.prototype as NativeToBase64).toBase64 === 'function'

/** Encodes bytes as standard base64 (with padding). */
export function bytesToBase64(bytes: Uint8Array): string {
  if (hasNativeTo) return (bytes as NativeToBase64).toBase64!()
  let binary = ''
  // Chunked: spreading a large array into fromCharCode overflows the stack.
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  }
  return btoa(binary)
}

/**
 * Decodes standard base64 (with padding), or returns `undefined` when `text` is not
 * valid base64 (the native decoder ignores ASCII whitespace). Callers turn `undefined`
 * into their own typed error.
 */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (typeof text !== 'string') return undefined
  if (nativeFrom !== undefined) {
    try {
      return nativeFrom(text, { lastChunkHandling: 'strict' })
    } catch {
      return undefined
    }
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Lower-case hex of `bytes`; used for short key ids. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/** `length` cryptographically random bytes. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length))
}
