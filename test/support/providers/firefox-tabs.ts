// The tab commands (test/support/tab-commands.ts) for Firefox under our puppeteer-core
// provider (firefox.ts): a tab is a new puppeteer page of the same (default) browser
// context as the test page, so the same profile, origin storage, Web Locks and BroadcastChannel.
import type { Page } from 'puppeteer-core'
import type { BrowserCommandContext } from 'vitest/node'
import { defineTabCommands, type InTab } from '../tab-commands.js'
import type { FirefoxCommandsContext } from './firefox.js'

// The provider's part of the command context (vitest's own type names Playwright's here).
const firefoxOf = (context: BrowserCommandContext) => context as unknown as FirefoxCommandsContext

export const firefoxTabs = defineTabCommands<Page>('Firefox', {
  async open(context, path) {
    const { browser, page } = firefoxOf(context)
    // A window of its own, opened behind: the test page stays a visible, foreground tab, and
    // neither is throttled as a hidden background tab would be.
    const tab = await browser.newPage({ type: 'window', background: true })
    await tab.goto(new URL(path, page.url()).href)
    return tab
  },
  // Arguments and results are plain JSON, never element handles: puppeteer's handle-unwrapping types do not apply.
  evaluate: <A, R>(_context: BrowserCommandContext, tab: Page, fn: InTab<A, R>, arg: A) =>
    tab.evaluate(fn as (arg: unknown) => unknown, arg) as Promise<R>,
  async reload(_context, tab) {
    await tab.reload()
  },
  async close(_context, tab) {
    await tab.close({ runBeforeUnload: false })
  },
  // WebDriver BiDi `emulation.setNetworkConditions` ({ type: 'offline' }) for that tab's
  // browsing context only; the test page stays online.
  async setOffline(_context, tab, offline) {
    await tab.setOfflineMode(offline)
  },
})
