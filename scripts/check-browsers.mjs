// Fails loudly (never skips) when the browser the tests need is missing.
import { rmSync } from 'node:fs'
import { chromiumMissingMessage, chromiumProfileDir } from './chromium.mjs'

const missing = chromiumMissingMessage()
if (missing) {
  console.error(`\n${missing}\n`)
  process.exit(1)
}

rmSync(chromiumProfileDir, { recursive: true, force: true })
