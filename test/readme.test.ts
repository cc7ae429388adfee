// Every TypeScript snippet of the README and of docs/*.md compiles as it stands, against the
// library's sources: a reader can paste it. A snippet imports everything it uses from
// idb-agents; only the app's own things (a form, a banner) come from the prelude below.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')

/** What the snippets may use without importing it: the app around them. */
const PRELUDE = `
declare const form: HTMLFormElement
declare const input: HTMLInputElement
declare const fileInput: HTMLInputElement
declare const passphrase: string
declare function appendMessage(who: string, text: string): void
declare function showBanner(text: string, action?: () => void): void
declare function renderChat(): void
declare function renderSidebar(): void
declare function offerReload(): void
declare function verifySessionCookie(cookie: string | null): Promise<{ userId: string } | undefined>
`

function snippets(file: string): Array<{ name: string; code: string }> {
  const text = readFileSync(file, 'utf8')
  const found: Array<{ name: string; code: string }> = []
  for (const [index, match] of [...text.matchAll(/```ts\n([\s\S]*?)```/g)].entries()) {
    const code = match[1]!
    if (code.includes('// not compiled')) continue
    found.push({ name: `${file.slice(root.length + 1)}#${index + 1}`, code })
  }
  return found
}

it('every TypeScript snippet of the README and docs/ compiles, imports included', () => {
  const files = [resolve(root, 'README.md'), ...readdirSync(resolve(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => resolve(root, 'docs', f))]
  const all = files.flatMap(snippets)
  expect(all.length).toBeGreaterThan(10)
  // Inside the repository, so that packages (zod, openai, @types) resolve as they would for an app.
  const dir = resolve(root, 'node_modules/.cache/readme-snippets', String(process.pid))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE)
  const names: string[] = []
  for (const [i, snippet] of all.entries()) {
    const file = `snippet-${i}.ts`
    names.push(file)
    // Each snippet is a module of its own (top-level await, no shared names).
    writeFileSync(join(dir, file), `// ${snippet.name}\n${snippet.code}\nexport {}\n`)
  }
  const src = (path: string) => resolve(root, 'src', path)
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        types: ['node'],
        typeRoots: [resolve(root, 'node_modules/@types')],
        baseUrl: root,
        paths: {
          'idb-agents': [src('index.ts')],
          'idb-agents/testing': [src('testing/index.ts')],
          'idb-agents/testing/vitest': [src('testing/vitest/index.ts')],
          'idb-agents/testing/api-server': [src('testing/api-server/index.ts')],
          'idb-agents/server': [src('server/index.ts')],
        },
      },
      files: ['prelude.d.ts', ...names],
    }),
  )
  let output = ''
  try {
    execFileSync(resolve(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' })
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error)
  }
  // Name the snippet, not the temporary file, in a failure.
  const readable = output.replace(/snippet-(\d+)\.ts/g, (_, i: string) => all[Number(i)]!.name)
  rmSync(dir, { recursive: true, force: true })
  expect(readable).toBe('')
}, 120_000)
