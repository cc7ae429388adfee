/** A fresh op id (a UUID): unique per user, generated once per op and kept with it. */
export function newOpId(): string {
  if (typeof globalThis.crypto?.randomUUID === 'function') return globalThis.crypto.randomUUID()
  // Insecure contexts (http:// other than localhost) have no randomUUID.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}
