// Playwright-side commands for the browser tests that need more than the test's own page:
// extra tabs (real pages of the same browser context, so the same origin, storage, Web
// Locks and BroadcastChannel) and network emulation. Registered for the Chromium project
// in vite.config.ts (`test.browser.commands`); a test calls them through `commands` from
// 'vitest/browser'. The other engines' providers open one page at a time, so tests using
// these skip there (see test/sync/support/tabs.ts).
import type { BrowserCommand } from 'vitest/node'
import type { CDPSession, Page } from 'playwright'

/** The page a tab loads: it exposes `window.tab` (see test/sync/fixtures/tab.ts). */
const TAB_PATH = '/test/sync/fixtures/tab.html'

const tabs = new Map<string, Page>()
let nextTab = 0

function tabPage(id: string): Page {
  const page = tabs.get(id)
  if (!page) throw new Error(`No open tab "${id}" (opened: ${[...tabs.keys()].join(', ') || 'none'})`)
  return page
}

/** Opens a new tab on the fixture page and waits until its `window.tab` is ready; returns its id. */
export const openTab: BrowserCommand<[]> = async ({ page, context }) => {
  const tab = await context.newPage()
  const id = `tab${++nextTab}`
  tabs.set(id, tab)
  await tab.goto(new URL(TAB_PATH, page.url()).href)
  await tab.waitForFunction(() => (window as { tabReady?: boolean }).tabReady === true)
  return id
}

/** Calls `window.tab[method](...args)` in tab `id` and returns its (JSON) result. */
export const tabCall: BrowserCommand<[id: string, method: string, args: unknown[]]> = async (_context, id, method, args) => {
  return tabPage(id).evaluate(
    ([m, a]) => (window as unknown as { tab: Record<string, (...args: unknown[]) => unknown> }).tab[m]!(...a),
    [method, args] as const,
  )
}

/** Starts `window.tab[method](...args)` in tab `id` without waiting for it (see `tabResult`). */
export const tabStart: BrowserCommand<[id: string, key: string, method: string, args: unknown[]]> = async (_context, id, key, method, args) => {
  await tabPage(id).evaluate(
    ([k, m, a]) => {
      const w = window as unknown as { tab: Record<string, (...args: unknown[]) => unknown>; started: Record<string, Promise<unknown>> }
      w.started ??= {}
      w.started[k] = Promise.resolve()
        .then(() => w.tab[m]!(...a))
        .then((value) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error: String((error as Error)?.name) + ': ' + String((error as Error)?.message) }))
    },
    [key, method, args] as const,
  )
}

/** Waits for a call started with `tabStart` and returns `{ ok, value | error }`. */
export const tabResult: BrowserCommand<[id: string, key: string]> = async (_context, id, key) => {
  return tabPage(id).evaluate((k) => (window as unknown as { started: Record<string, Promise<unknown>> }).started[k], key)
}

/** Closes tab `id` abruptly, as a user closing it (no beforeunload). */
export const closeTab: BrowserCommand<[id: string]> = async (_context, id) => {
  await tabPage(id).close({ runBeforeUnload: false })
  tabs.delete(id)
  networkSessions.delete(id)
}

/** Reloads tab `id` and waits until its `window.tab` is ready again. */
export const reloadTab: BrowserCommand<[id: string]> = async (_context, id) => {
  const tab = tabPage(id)
  await tab.reload()
  await tab.waitForFunction(() => (window as { tabReady?: boolean }).tabReady === true)
}

/**
 * Takes tab `id` off or back on the network, as Playwright's `context.setOffline` does but
 * for that page only (Chrome DevTools `Network.emulateNetworkConditions`): its
 * `navigator.onLine` flips, `offline` / `online` fire, and its requests fail. The whole
 * context cannot go offline here: that cuts the test page's own link to Vitest.
 */
export const setTabOffline: BrowserCommand<[id: string, offline: boolean]> = async ({ context }, id, offline) => {
  let cdp = networkSessions.get(id)
  if (!cdp) {
    cdp = await context.newCDPSession(tabPage(id))
    await cdp.send('Network.enable')
    networkSessions.set(id, cdp)
  }
  await cdp.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
}

// One DevTools session per tab: emulation set by one session is only lifted by the same one.
const networkSessions = new Map<string, CDPSession>()

/** Every command above, for `test.browser.commands`. */
export const tabCommands = { openTab, tabCall, tabStart, tabResult, closeTab, reloadTab, setTabOffline }

declare module 'vitest/browser' {
  interface BrowserCommands {
    openTab: () => Promise<string>
    tabCall: (id: string, method: string, args: unknown[]) => Promise<unknown>
    tabStart: (id: string, key: string, method: string, args: unknown[]) => Promise<void>
    tabResult: (id: string, key: string) => Promise<{ ok: true; value: unknown } | { ok: false; error: string }>
    closeTab: (id: string) => Promise<void>
    reloadTab: (id: string) => Promise<void>
    setTabOffline: (id: string, offline: boolean) => Promise<void>
  }
}
