// Fails loudly (never skips) when an engine the tests need is missing.
// `node scripts/check-browsers.mjs` checks all three; `… firefox` checks only the ones named.
import { engineMissingMessage, engines } from './browsers.mjs'
import { removeStaleProfiles } from './chromium.mjs'

const wanted = process.argv.length > 2 ? process.argv.slice(2) : [...engines]
const unknown = wanted.filter((name) => !engines.includes(name))
if (unknown.length > 0) {
  console.error(`Unknown engine ${unknown.join(', ')}: expected ${engines.join(', ')}.`)
  process.exit(2)
}

const missing = wanted.map(engineMissingMessage).filter(Boolean)
if (missing.length > 0) {
  console.error(`\n${missing.join('\n\n')}\n`)
  process.exit(1)
}

removeStaleProfiles()
