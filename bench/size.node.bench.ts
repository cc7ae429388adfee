// Minified + gzip size of what an app ships: the library entry without openai/zod (goal
// ≤ 25 KB), with them, and @openai/agents (Agent, run, MemorySession, tool) as the anchor.
import { it } from 'vitest'
import { agentsEntry, bundleSize, kb, libraryEntry, sessionsOnlyEntry } from '../test/runner/bundle-size.js'

it('bundle sizes (min + gzip)', async () => {
  const rows: Record<string, string | number>[] = []
  const add = async (name: string, code: string, external: string[] = []) => {
    const size = await bundleSize(code, external)
    rows.push({ bundle: name, 'min KB': kb(size.minBytes), 'min+gzip KB': kb(size.gzipBytes) })
    return size.gzipBytes
  }
  const sessions = await add('idb-agents sessions only (MemorySession, IndexedDBSession)', sessionsOnlyEntry)
  const core = await add('idb-agents entry, without openai/zod', libraryEntry, ['openai', 'zod'])
  const full = await add('idb-agents entry, with openai + zod/mini', libraryEntry)
  const agents = await add('@openai/agents (Agent, run, MemorySession, tool)', agentsEntry)
  console.log('Bundle size, minified + gzip (vite 8 / rolldown, browser conditions):')
  console.table(rows)
  console.table([
    { ratio: 'entry without openai/zod ÷ @openai/agents', value: Math.round((core / agents) * 1000) / 1000 },
    { ratio: 'entry with openai + zod ÷ @openai/agents', value: Math.round((full / agents) * 1000) / 1000 },
    { ratio: 'sessions only ÷ @openai/agents', value: Math.round((sessions / agents) * 1000) / 1000 },
  ])
})
