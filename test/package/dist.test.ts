// What users install: the built package in dist/, imported as an app would import it.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const dist = (path: string) => resolve(root, 'dist', path)
const lib = (await import(dist('index.js'))) as Record<string, unknown>
const testing = (await import(dist('testing/index.js'))) as Record<string, unknown>

/** The names `src/index.ts` exports as values (types leave no trace in JavaScript). */
function sourceValueExports(): string[] {
  const text = readFileSync(resolve(root, 'src/index.ts'), 'utf8')
  const names: string[] = []
  for (const block of text.matchAll(/export (type )?\{([^}]*)\}/g)) {
    if (block[1]) continue
    for (const raw of block[2]!.split(',')) {
      const name = raw.trim()
      if (name !== '' && !name.startsWith('type ')) names.push(name)
    }
  }
  return names.sort()
}

type ErrorClass = new (...args: never[]) => Error

/** An instance of an error class, whatever arguments its constructor wants. */
function construct(ErrorType: ErrorClass): Error {
  const offline = new (lib.OfflineError as ErrorClass)(...(['x'] as never[]))
  const argumentLists: unknown[][] = [['x', 'y'], [['x']], [{ sessionId: 's', index: 0, windowSize: 1, reason: 'malformed' }], [0, '', 'x'], [offline, { id: 1, sessionId: 's' }], []]
  for (const args of argumentLists) {
    try {
      return new ErrorType(...(args as never[]))
    } catch {
      // try the next shape
    }
  }
  throw new Error(`cannot construct ${ErrorType.name}`)
}

describe('the built package (dist/)', () => {
  it('exports exactly what src/index.ts exports', () => {
    expect(Object.keys(lib).sort()).toEqual(sourceValueExports())
  })

  it('keeps every error name: err.name and String(err) read the class name, not a minified one', () => {
    const errorClasses = Object.entries(lib).filter(
      ([, value]) => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error,
    )
    expect(errorClasses.length).toBeGreaterThanOrEqual(20)
    for (const [name, value] of errorClasses) {
      const instance = construct(value as ErrorClass)
      expect(instance.name, name).toBe(name)
      expect(String(instance).startsWith(`${name}: `), name).toBe(true)
    }
    const abort = new (lib.AbortError as ErrorClass)()
    expect(abort.name).toBe('AbortError')
  })

  it('runs an agent with a session and a scripted model, all from dist', async () => {
    const Agent = lib.Agent as new (options: object) => unknown
    const MemorySession = lib.MemorySession as new () => { getItems(): Promise<unknown[]> }
    const run = lib.run as (agent: unknown, input: string, options: object) => Promise<{ finalOutput: string }>
    const ScriptedModel = testing.ScriptedModel as new (turns: string[]) => unknown
    const session = new MemorySession()
    const agent = new Agent({ name: 'Dist', model: new ScriptedModel(['Hello from dist.']) })
    const result = await run(agent, 'Hi', { session })
    expect(result.finalOutput).toBe('Hello from dist.')
    expect(await session.getItems()).toHaveLength(2)
  })

  it('idb-agents/testing loads without vitest: no vitest import anywhere in its module graph', () => {
    const seen = new Set<string>()
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const code = readFileSync(file, 'utf8')
      expect(code, file).not.toMatch(/from\s*["']vitest/)
      for (const match of code.matchAll(/from\s*["'](\.[^"']+)["']/g)) visit(resolve(file, '..', match[1]!))
    }
    visit(dist('testing/index.js'))
    expect(seen.size).toBeGreaterThan(1)
    expect(Object.keys(testing)).toContain('ScriptedModel')
  })

  it('declares the subpaths it builds, types first', () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string> | string> }
    for (const [path, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue
      expect(Object.keys(target)[0], path).toBe('types')
      for (const file of Object.values(target)) expect(() => readFileSync(resolve(root, file)), `${path} → ${file}`).not.toThrow()
    }
  })
})
