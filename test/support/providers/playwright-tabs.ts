// The tab commands (test/support/tab-commands.ts) for Chromium under @vitest/browser-playwright:
// a tab is a new Playwright page of the test page's browser context. Its command context
// (`getCommandsContext`) gives `page` (the page Vitest runs in) and `context`.
import type { CDPSession, Page } from 'playwright'
import type { BrowserCommandContext } from 'vitest/node'
import { defineTabCommands, type InTab } from '../tab-commands.js'

// One DevTools session per tab: emulation set by one session is only lifted by the same one.
const networkSessions = new WeakMap<Page, CDPSession>()

export const playwrightTabs = defineTabCommands<Page>('Chromium', {
  async open({ page, context }, path) {
    const tab = await context.newPage()
    await tab.goto(new URL(path, page.url()).href)
    return tab
  },
  // Arguments and results are plain JSON, never element handles: Playwright's handle-unwrapping types do not apply.
  evaluate: <A, R>(_context: BrowserCommandContext, tab: Page, fn: InTab<A, R>, arg: A) =>
    tab.evaluate(fn as (arg: unknown) => unknown, arg) as Promise<R>,
  async reload(_context, tab) {
    await tab.reload()
  },
  async close(_context, tab) {
    await tab.close({ runBeforeUnload: false })
  },
  // Chrome DevTools `Network.emulateNetworkConditions` for that page only; Playwright's
  // `context.setOffline` would take the test page off too, and with it its link to Vitest.
  async setOffline({ context }, tab, offline) {
    let cdp = networkSessions.get(tab)
    if (!cdp) {
      cdp = await context.newCDPSession(tab)
      await cdp.send('Network.enable')
      networkSessions.set(tab, cdp)
    }
    await cdp.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
  },
})
