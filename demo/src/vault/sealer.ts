// Seals the demo's own strings (chat titles, notes, a remembered API key) with the
// vault's current data key, the way EncryptedSession seals items: AES-GCM-256, a fresh
// IV, and a purpose string as associated data so a sealed title cannot pass for a note.
import type { DataKeyProvider } from '../../../src/index.js'

export interface TextSealer {
  /** True when `seal` encrypts. */
  readonly encrypting: boolean
  seal(text: string, purpose: string): Promise<string>
  /** Opens a sealed text; plain text (stored before the vault was on) comes back as it is. */
  open(text: string, purpose: string): Promise<string>
}

const PREFIX = 'sealed:v1:'
const encoder = new TextEncoder()

export const isSealed = (text: string): boolean => text.startsWith(PREFIX)

export const plainSealer: TextSealer = {
  encrypting: false,
  seal: async (text) => text,
  open: async (text) => {
    if (isSealed(text)) throw new Error('This data is encrypted: unlock the vault to read it.')
    return text
  },
}

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))
const fromBase64 = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

export function keyringSealer(keys: DataKeyProvider): TextSealer {
  return {
    encrypting: true,
    async seal(text, purpose) {
      const { id, key } = await keys.currentKey()
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(purpose) }, key, encoder.encode(text))
      return `${PREFIX}${id}:${toBase64(iv)}:${toBase64(new Uint8Array(data))}`
    },
    async open(text, purpose) {
      if (!isSealed(text)) return text
      const [kid = '', iv = '', data = ''] = text.slice(PREFIX.length).split(':')
      const key = await keys.keyById(kid)
      if (!key) throw new Error(`This data was sealed with key ${kid}, which this vault does not hold.`)
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64(iv), additionalData: encoder.encode(purpose) },
        key,
        fromBase64(data),
      )
      return new TextDecoder().decode(plain)
    },
  }
}
