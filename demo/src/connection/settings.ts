// How the app reaches a model: the four modes of the settings panel, saved per user.
// A typed API key stays in memory unless the user ticks "remember" (then it is stored,
// sealed by the vault when the vault is on).
import type { TextSealer } from '../vault/sealer.js'

export type ConnectionMode = 'offline' | 'dev-proxy' | 'custom-proxy' | 'direct'

export interface ConnectionSettings {
  mode: ConnectionMode
  /** Model name for the three real modes. */
  model: string
  proxyURL: string
  /** Extra headers for the custom proxy, one `Name: value` per line. */
  proxyHeaders: string
  apiKey: string
  rememberKey: boolean
}

/** What the server that delivered the page offers (the dev server; nothing for a static build). */
export interface ServerCaps {
  /** The dev proxy has an OPENAI_API_KEY. */
  proxy: boolean
  /** The server serves the offline model over HTTP. */
  model: boolean
  /** The server serves the sync server at /api/sync (the dev server; not the production build). */
  sync: boolean
}

export const DEMO_MODEL_URL = '/api/demo-model/v1'
export const DEV_PROXY_URL = '/api/openai/v1'

export async function fetchServerCaps(): Promise<ServerCaps> {
  try {
    const response = await fetch('/api/demo-config.json', { cache: 'no-store' })
    if (!response.ok) return { proxy: false, model: false, sync: false }
    const caps = (await response.json()) as Partial<ServerCaps>
    return { proxy: caps.proxy === true, model: caps.model === true, sync: caps.sync === true }
  } catch {
    return { proxy: false, model: false, sync: false }
  }
}

const storageKey = (user: string): string => `idb-agents-demo:${user}:connection`
const keysInMemory = new Map<string, string>()

export function defaults(caps: ServerCaps): ConnectionSettings {
  return { mode: caps.proxy ? 'dev-proxy' : 'offline', model: 'gpt-4.1-mini', proxyURL: '', proxyHeaders: '', apiKey: '', rememberKey: false }
}

export async function loadSettings(user: string, caps: ServerCaps, sealer: TextSealer): Promise<ConnectionSettings> {
  const base = defaults(caps)
  const raw = localStorage.getItem(storageKey(user))
  if (!raw) return { ...base, apiKey: keysInMemory.get(user) ?? '' }
  const saved = JSON.parse(raw) as Partial<ConnectionSettings>
  let apiKey = keysInMemory.get(user) ?? ''
  if (saved.rememberKey && saved.apiKey) {
    try {
      apiKey = await sealer.open(saved.apiKey, `apikey:${user}`)
    } catch {
      apiKey = '' // sealed by a locked vault: ask again
    }
  }
  return { ...base, ...saved, apiKey }
}

export async function saveSettings(user: string, settings: ConnectionSettings, sealer: TextSealer): Promise<void> {
  keysInMemory.set(user, settings.apiKey)
  const stored = { ...settings, apiKey: settings.rememberKey && settings.apiKey ? await sealer.seal(settings.apiKey, `apikey:${user}`) : '' }
  localStorage.setItem(storageKey(user), JSON.stringify(stored))
}

/** `Name: value` lines as a header object. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const at = line.indexOf(':')
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  return headers
}
