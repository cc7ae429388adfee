// The three engines the browser suite runs in, and where each is found. Nothing here (nor in
// the providers that use it) downloads a browser or a driver: every binary comes from Debian,
// or from the path in the named environment variable.
import { existsSync } from 'node:fs'
import { chromiumMissingMessage, chromiumPath } from './chromium.mjs'

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

export const webkit = {
  /** WebKitGTK's WebDriver (Debian package webkit2gtk-driver). */
  driverPath: process.env.WEBKIT_WEBDRIVER_PATH ?? '/usr/bin/WebKitWebDriver',
  /** The WebKitGTK browser the driver automates, shipped with libwebkit2gtk-4.1. */
  miniBrowserPath: process.env.WEBKIT_MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  /** MiniBrowser has no headless mode: it draws into a virtual X server (Debian package xvfb). */
  xvfbPath: process.env.XVFB_PATH ?? '/usr/bin/Xvfb',
}

export const engines = /** @type {const} */ (['chromium', 'firefox', 'webkit'])

const install = (packages) => `Install it with:  sudo apt-get update && sudo apt-get install -y ${packages}`

/**
 * Why `engine` cannot run here, with the command that fixes it; undefined when it can.
 * @param {'chromium' | 'firefox' | 'webkit'} engine
 */
export function engineMissingMessage(engine) {
  if (engine === 'chromium') return existsSync(chromiumPath) ? undefined : chromiumMissingMessage()
  if (engine === 'firefox') {
    return existsSync(firefoxPath)
      ? undefined
      : `Firefox not found at ${firefoxPath}. The browser tests run in real Firefox and never download one.\n` +
          `${install('firefox-esr')}\nor set FIREFOX_PATH to an installed Firefox (ESR 128 or later).`
  }
  const lost = Object.entries(webkit).filter(([, path]) => !existsSync(path))
  return lost.length === 0
    ? undefined
    : `WebKit not found: ${lost.map(([what, path]) => `${what} ${path}`).join(', ')}. The browser tests run in ` +
        `WebKitGTK's MiniBrowser through WebKitWebDriver under Xvfb and never download one.\n` +
        `${install('webkit2gtk-driver xvfb')}\n` +
        'or set WEBKIT_WEBDRIVER_PATH, WEBKIT_MINIBROWSER_PATH and XVFB_PATH.'
}
