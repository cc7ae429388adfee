// Size ceilings (zod's pattern): each entry is bundled, gzipped and held under its own
// ceiling. Raising a ceiling is a deliberate change, made in the same commit as its cause.
import { describe, expect, it } from 'vitest'
import { bundleSize, kb, libraryEntry, sessionsOnlyEntry, srcPath } from './runner/bundle-size.js'

describe('bundle size (min + gzip)', () => {
  it('the library entry without openai/zod stays under 25 KB', async () => {
    const { gzipBytes } = await bundleSize(libraryEntry, ['openai', 'zod'])
    expect(kb(gzipBytes)).toBeLessThanOrEqual(25)
  })

  it('an app using only sessions ships no runner, no openai and no zod classic', async () => {
    const { code, gzipBytes } = await bundleSize(sessionsOnlyEntry)
    for (const identifier of ['dangerouslyAllowBrowser', 'chat.completions', 'max_turns_exceeded', 'OpenAIResponsesModel']) {
      expect(code, identifier).not.toContain(identifier)
    }
    expect(kb(gzipBytes)).toBeLessThanOrEqual(15)
  })

  it('the runner test tools of idb-agents/testing are browser-safe: no node:http server inside', async () => {
    const { code } = await bundleSize(`export * from ${JSON.stringify(srcPath('testing/runner.ts'))}`, ['openai', 'zod'])
    expect(code).toContain('ScriptedModel')
    expect(code).not.toMatch(/node:|closeAllConnections/)
  })
})
