// Helpers shared by the crypto and encrypted-session tests (node and browser).
import type { AgentItem } from '../../src/index.js'

let counter = 0
/** A name no other test uses. */
export const unique = (label: string): string => `${label}-${Date.now().toString(36)}-${++counter}-${Math.random().toString(36).slice(2, 8)}`

/** A user message. */
export const user = (text: string): AgentItem => ({ role: 'user', content: text })

/** An AES-GCM-256 data key, non-extractable as apps should make them. */
export const newDataKey = (): Promise<CryptoKey> => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])

/** The rejection of `promise`, or fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (error: unknown) => error,
  )
}

/** Flips one bit in the middle of a base64 string's bytes and re-encodes it. */
export function flipBit(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
  bytes[bytes.length >> 1]! ^= 0x01
  return btoa(String.fromCharCode(...bytes))
}

/** A copy of `value` as JSON text, for "contains no plaintext" checks. */
export const dump = (value: unknown): string => JSON.stringify(value)

/** Deletes an IndexedDB database, not waiting for connections still open elsewhere. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}

/**
 * An envelope in format version 1 (no role marker, AAD without it), as idb-agents wrote
 * before user messages were marked: written by hand so that tests can check old data.
 */
export async function sealV1(item: unknown, key: CryptoKey, kid: string, sessionId: string, at: number): Promise<Record<string, unknown>> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const aad = new TextEncoder().encode(JSON.stringify(['idb-agents/envelope', 1, sessionId, kid, at]))
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, new TextEncoder().encode(JSON.stringify(item))))
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))
  return { type: 'encrypted', v: 1, kid, at, iv: b64(iv), ct: b64(ct) }
}

/**
 * An envelope in format version 2 (role marker, no position), as idb-agents wrote before
 * envelopes were bound to their position: written by hand so that tests can check old data.
 */
export async function sealV2(item: unknown, key: CryptoKey, kid: string, sessionId: string, at: number): Promise<Record<string, unknown>> {
  const user = typeof item === 'object' && item !== null && (item as { role?: unknown }).role === 'user'
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const aad = new TextEncoder().encode(JSON.stringify(['idb-agents/envelope', 2, sessionId, kid, at, user ? 'user' : null]))
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, new TextEncoder().encode(JSON.stringify(item))))
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))
  return { type: 'encrypted', v: 2, kid, at, ...(user ? { role: 'user' } : {}), iv: b64(iv), ct: b64(ct) }
}
