// Where the browser tests and benchmarks find Chromium. Nothing here downloads a browser:
// install Debian's package (`apt-get install -y chromium`) or point CHROMIUM_PATH at one.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// A disk-backed profile per vitest process, so two runs at once never share one; profiles of
// processes that have ended are removed by removeStaleProfiles() (check-browsers.mjs).
export const chromiumProfilesDir = new URL('../node_modules/.cache/idb-agents-chromium/', import.meta.url).pathname
export const chromiumProfileDir = join(chromiumProfilesDir, String(process.pid))

function isRunning(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/** Deletes the profiles of test runs that are over. */
export function removeStaleProfiles() {
  if (!existsSync(chromiumProfilesDir)) return
  for (const entry of readdirSync(chromiumProfilesDir)) {
    if (!isRunning(Number(entry))) rmSync(join(chromiumProfilesDir, entry), { recursive: true, force: true })
  }
}

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
