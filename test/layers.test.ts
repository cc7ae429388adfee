// The layers of src/ (src/README.md): a folder imports only from folders below it, never
// from one above, and the public entries (index.ts files at the top) only re-export.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Bottom first. A file may import from its own layer and any layer before it. */
export const LAYERS = [
  'errors.ts',
  'items',
  'sync',
  'session',
  'model',
  'idb',
  'crypto',
  'encrypted',
  'compaction',
  'openai',
  'runner',
  'remote',
  'testing',
  'server',
  'index.ts',
] as const

const src = resolve(import.meta.dirname, '../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** The layer a file of src/ belongs to: its top folder, or its own name at the top. */
function layerOf(file: string): number {
  const top = relative(src, file).split('/')[0]!
  const layer = LAYERS.indexOf(top as (typeof LAYERS)[number])
  if (layer < 0) throw new Error(`${relative(src, file)} is in no layer: add its folder to LAYERS and src/README.md`)
  return layer
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!)
}

export function upwardImports(): string[] {
  const found: string[] = []
  for (const file of sourceFiles(src)) {
    const from = layerOf(file)
    for (const spec of relativeImports(file)) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
      if (!target.startsWith(src)) {
        found.push(`${relative(src, file)} imports ${spec}, outside src/`)
        continue
      }
      if (layerOf(target) > from) found.push(`${relative(src, file)} (${LAYERS[from]}) imports ${spec} (${LAYERS[layerOf(target)]})`)
    }
  }
  return found
}

describe('the layers of src/', () => {
  it('every import points to the same layer or one below it', () => {
    expect(upwardImports()).toEqual([])
  })

  it('the check itself sees an upward import', () => {
    // runner sits above session: session importing runner would be reported.
    expect(layerOf(join(src, 'session/x.ts'))).toBeLessThan(layerOf(join(src, 'runner/y.ts')))
  })
})
