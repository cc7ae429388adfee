// Fails loudly (never skips) when the browser the tests need is missing.
import { chromiumMissingMessage } from './chromium.mjs'

const missing = chromiumMissingMessage()
if (missing) {
  console.error(`\n${missing}\n`)
  process.exit(1)
}
