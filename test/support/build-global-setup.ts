// vitest globalSetup of the node project: builds the package (`npm run build`) once, so that
// test/package/ checks what users install (dist/), not src/.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'

export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'ignore', 'inherit'] })
}
