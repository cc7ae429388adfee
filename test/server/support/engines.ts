// The same suites on both engines: PGlite (in memory, in this worker) and the throwaway
// PostgreSQL cluster of the global setup. One store per engine and test file.
import { afterAll, beforeAll, describe, inject } from 'vitest'
import { PostgresStore } from '../../../src/server/index.js'

export type EngineName = 'PGlite' | 'PostgreSQL'

/** What a suite gets: the engine's name and its store (open once the suite runs). */
export interface Engine {
  name: EngineName
  store(): PostgresStore
}

const stores = new Map<EngineName, PostgresStore>()
let cleanupRegistered = false

function storeFor(name: EngineName): PostgresStore {
  let store = stores.get(name)
  if (!store) {
    store = name === 'PGlite' ? new PostgresStore({}) : new PostgresStore(inject('postgresUrl'))
    stores.set(name, store)
  }
  return store
}

/** The PostgreSQL URL of the test cluster, or `''` (then the PostgreSQL half is skipped). */
export const postgresUrl = (): string => inject('postgresUrl')

/** Registers `body` once per engine; the PostgreSQL half is skipped, with the reason, where PostgreSQL is absent. */
export function describeEngines(title: string, body: (engine: Engine) => void): void {
  if (!cleanupRegistered) {
    cleanupRegistered = true
    afterAll(async () => {
      await Promise.all([...stores.values()].map((store) => store.close()))
      stores.clear()
    })
  }
  for (const name of ['PGlite', 'PostgreSQL'] as const) {
    const missing = name === 'PostgreSQL' && postgresUrl() === ''
    const label = missing ? `${title} on PostgreSQL (skipped: ${inject('postgresSkipReason')})` : `${title} on ${name}`
    describe.skipIf(missing)(label, () => {
      // Opening PGlite (WASM) takes seconds on a loaded machine: not a test's time.
      beforeAll(() => storeFor(name).ready(), 120_000)
      body({ name, store: () => storeFor(name) })
    })
  }
}

let counter = 0
/** A user id no other test or test file uses. */
export const uniqueUser = (label = 'user'): string => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${++counter}`
