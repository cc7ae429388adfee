// Minified + gzip size of what an app ships: sessions only, a chat app (IndexedDBSession +
// Agent, run, tool), the whole entry, each without and with openai/zod, and @openai/agents
// (Agent, run, MemorySession, tool) as the anchor.
import { it } from 'vitest'
import { agentsEntry, bundleSize, chatAppEntry, kb, libraryEntry, sessionsOnlyEntry } from '../test/runner/bundle-size.js'

it('bundle sizes (min + gzip)', async () => {
  const rows: Record<string, string | number>[] = []
  const add = async (name: string, code: string, external: string[] = []) => {
    const size = await bundleSize(code, external)
    rows.push({ bundle: name, 'min KB': kb(size.minBytes), 'min+gzip KB': kb(size.gzipBytes) })
    return size.gzipBytes
  }
  const sessions = await add('idb-agents sessions only (MemorySession, IndexedDBSession)', sessionsOnlyEntry)
  await add('chat app (IndexedDBSession, Agent, run, tool), without openai/zod', chatAppEntry, ['openai', 'zod'])
  const chatApp = await add('chat app (IndexedDBSession, Agent, run, tool), with openai + zod/mini', chatAppEntry)
  const core = await add('idb-agents entry, without openai/zod', libraryEntry, ['openai', 'zod'])
  const full = await add('idb-agents entry, with openai + zod/mini', libraryEntry)
  const agents = await add('@openai/agents (Agent, run, MemorySession, tool)', agentsEntry)
  console.log('Bundle size, minified + gzip (vite 8 / rolldown, browser conditions):')
  console.table(rows)
  console.table([
    { ratio: 'chat app with openai + zod ÷ @openai/agents', value: Math.round((chatApp / agents) * 1000) / 1000 },
    { ratio: 'entry without openai/zod ÷ @openai/agents', value: Math.round((core / agents) * 1000) / 1000 },
    { ratio: 'entry with openai + zod ÷ @openai/agents', value: Math.round((full / agents) * 1000) / 1000 },
    { ratio: 'sessions only ÷ @openai/agents', value: Math.round((sessions / agents) * 1000) / 1000 },
  ])
})
