// Bundles an entry the way an app's build would (vite 8 / rolldown, minified, browser
// conditions, nothing written to disk) and measures it gzipped. Used by test/size.test.ts
// and bench/size.node.bench.ts.
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'vite'

/** The size of one bundle. */
export interface BundleSize {
  minBytes: number
  gzipBytes: number
  /** The minified code, to check what was (not) tree-shaken in. */
  code: string
}

const root = resolve(import.meta.dirname, '../..')

/** `src/…` as an absolute path, for entry code. */
export const srcPath = (path: string) => resolve(root, 'src', path)

/**
 * Bundles `entryCode` (an ES module that re-exports what an app would import).
 * @param external - package names left out of the bundle (e.g. `['openai', 'zod']`)
 */
export async function bundleSize(entryCode: string, external: string[] = []): Promise<BundleSize> {
  const id = '\0size-entry.js'
  const entry: Plugin = {
    name: 'size-entry',
    resolveId: (source) => (source === 'size-entry' ? id : undefined),
    load: (source) => (source === id ? entryCode : undefined),
  }
  const isExternal = (source: string) => external.some((name) => source === name || source.startsWith(`${name}/`))
  const output = await build({
    configFile: false,
    root,
    logLevel: 'silent',
    plugins: [entry],
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      modulePreload: false,
      rollupOptions: {
        input: 'size-entry',
        external: isExternal,
        preserveEntrySignatures: 'strict',
      },
    },
  })
  const outputs = Array.isArray(output) ? output : [output]
  let code = ''
  for (const result of outputs) {
    if (!('output' in result)) throw new Error('unexpected watcher from vite build')
    for (const chunk of result.output) if (chunk.type === 'chunk') code += chunk.code
  }
  return { minBytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length, code }
}

/** The library's public entry once the runner is exported from it. */
export const libraryEntry = `export * from ${JSON.stringify(srcPath('index.ts'))}\n`

/** What a typical chat app imports: a stored session and the runner. */
export const chatAppEntry = `export { IndexedDBSession, Agent, run, tool, Runner, createOpenAIClient } from ${JSON.stringify(srcPath('index.ts'))}\n`

/** What an app using only sessions imports. */
export const sessionsOnlyEntry = `export { MemorySession, IndexedDBSession } from ${JSON.stringify(srcPath('index.ts'))}\n`

/** The `@openai/agents` anchor of the measured comparison (PITFALLS.md). */
export const agentsEntry = `export { Agent, run, MemorySession, tool } from '@openai/agents'\n`

/** Kilobytes with one decimal. */
export const kb = (bytes: number) => Math.round(bytes / 102.4) / 10
