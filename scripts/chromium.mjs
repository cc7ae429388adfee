// Where the browser tests and benchmarks find Chromium. Nothing here downloads a browser:
// install Debian's package (`apt-get install -y chromium`) or point CHROMIUM_PATH at one.
import { existsSync } from 'node:fs'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// A fresh disk-backed profile per test run (check-browsers.mjs empties it first).
export const chromiumProfileDir = new URL('../node_modules/.cache/idb-agents-chromium-profile', import.meta.url).pathname

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export function chromiumMissingMessage() {
  return existsSync(chromiumPath)
    ? undefined
    : `Chromium not found at ${chromiumPath}. The browser tests run in real Chromium and never download one.\n` +
        'Install it with:  sudo apt-get update && sudo apt-get install -y chromium\n' +
        'or set CHROMIUM_PATH to an installed Chromium or Chrome binary.'
}
