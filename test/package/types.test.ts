// A type test: test/types/agents-drop-in.ts compiles against @openai/agents' own types and
// the built declarations (dist/), so our sessions are a drop-in `session` for its `run()`.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

it('our sessions type-check as the session of @openai/agents run(), with no type argument', () => {
  const tsc = resolve(root, 'node_modules/.bin/tsc')
  let output = ''
  try {
    execFileSync(tsc, ['-p', resolve(root, 'test/types/tsconfig.json')], { encoding: 'utf8' })
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error)
  }
  expect(output).toBe('')
}, 60_000)
