// Browser commands for the tests that need more than the test's own page: extra tabs of the
// same browser (same origin, storage, Web Locks and BroadcastChannel) running the fixture
// page test/sync/fixtures/tab.html, and per-tab network emulation. A test calls them through
// `commands` from 'vitest/browser' and does not care which engine runs.
//
// The commands are written once here, on top of a small per-engine `TabDriver`:
//   Chromium  providers/playwright-tabs.ts  (Playwright pages of the test's context)
//   Firefox   providers/firefox-tabs.ts     (puppeteer-core pages over WebDriver BiDi)
//   WebKit    providers/webkit-tabs.ts      (classic WebDriver windows)
// vite.config.ts registers each engine's set (`test.browser.commands`).
import type { BrowserCommand, BrowserCommandContext } from 'vitest/node'

/** The page a tab loads: it exposes `window.tab` (see test/sync/fixtures/tab.ts). */
export const TAB_PATH = '/test/sync/fixtures/tab.html'

/**
 * A function run inside a tab: it is sent as source text, so it may use only its argument
 * and the page's globals (no closures over Node-side values). Its result must be JSON-like.
 */
export type InTab<A, R> = (arg: A) => R | Promise<R>

/** What an engine must do for the tab commands; `Tab` is its handle of one open tab. */
export interface TabDriver<Tab> {
  /** Opens a new tab in the browser of the test page and loads `path` (same origin as the test page). */
  open(context: BrowserCommandContext, path: string): Promise<Tab>
  /** Runs `fn(arg)` in `tab`, awaits it there, and returns its result (or throws its error). */
  evaluate<A, R>(context: BrowserCommandContext, tab: Tab, fn: InTab<A, R>, arg: A): Promise<R>
  /** Reloads `tab` and waits for its load event. */
  reload(context: BrowserCommandContext, tab: Tab): Promise<void>
  /** Closes `tab` at once, as a user closing it (no beforeunload prompt). */
  close(context: BrowserCommandContext, tab: Tab): Promise<void>
  /**
   * Takes `tab` alone off (or back on) the network: its `navigator.onLine` flips, `offline` /
   * `online` fire and its requests fail. The test page keeps its own link to Vitest.
   * Absent where the engine's automation cannot (see test/support/capabilities.ts).
   */
  setOffline?(context: BrowserCommandContext, tab: Tab, offline: boolean): Promise<void>
}

/** The commands every engine registers; the names and signatures the tests call. */
export interface TabCommands {
  /** Opens a new tab on the fixture page and waits until its `window.tab` is ready; returns its id. */
  openTab: () => Promise<string>
  /** Calls `window.tab[method](...args)` in tab `id` and returns its (JSON) result. */
  tabCall: (id: string, method: string, args: unknown[]) => Promise<unknown>
  /** Starts `window.tab[method](...args)` in tab `id` without waiting for it (see `tabResult`). */
  tabStart: (id: string, key: string, method: string, args: unknown[]) => Promise<void>
  /** Waits for a call started with `tabStart` and returns `{ ok, value | error }`. */
  tabResult: (id: string, key: string) => Promise<TabResult>
  /** Closes tab `id` abruptly, as a user closing it (no beforeunload). */
  closeTab: (id: string) => Promise<void>
  /** Reloads tab `id` and waits until its `window.tab` is ready again. */
  reloadTab: (id: string) => Promise<void>
  /** Takes tab `id` off or back on the network (not in every engine: `capabilities.tabOffline`). */
  setTabOffline: (id: string, offline: boolean) => Promise<void>
}

export type TabResult = { ok: true; value: unknown } | { ok: false; error: string }

declare module 'vitest/browser' {
  interface BrowserCommands extends TabCommands {}
}

/** `test.browser.commands` for one engine. */
export type TabCommandSet = { [K in keyof TabCommands]: BrowserCommand<Parameters<TabCommands[K]>, ReturnType<TabCommands[K]>> }

// What runs in a tab. Each is self-contained (see `InTab`).
type TabWindow = Window & {
  tabReady?: boolean
  tab: Record<string, (...args: unknown[]) => unknown>
  started?: Record<string, Promise<TabResult>>
}

const whenReady: InTab<number, boolean> = (ms) =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + ms
    const check = () => {
      if ((window as unknown as TabWindow).tabReady === true) resolve(true)
      else if (Date.now() > deadline) reject(new Error(`window.tab not ready within ${ms} ms at ${location.href}`))
      else setTimeout(check, 20)
    }
    check()
  })

const callInTab: InTab<[string, unknown[]], unknown> = ([method, args]) => (window as unknown as TabWindow).tab[method]!(...args)

const startInTab: InTab<[string, string, unknown[]], null> = ([key, method, args]) => {
  const w = window as unknown as TabWindow
  w.started ??= {}
  w.started[key] = Promise.resolve()
    .then(() => w.tab[method]!(...args))
    .then(
      (value): TabResult => ({ ok: true, value }),
      (error: unknown): TabResult => ({ ok: false, error: `${(error as Error)?.name}: ${(error as Error)?.message}` }),
    )
  return null
}

const resultInTab: InTab<string, TabResult> = (key) => {
  const started = (window as unknown as TabWindow).started?.[key]
  if (!started) throw new Error(`nothing started as "${key}" in this tab`)
  return started
}

const READY_MS = 15_000

/** The tab commands on top of one engine's driver; each call keeps its own open tabs. */
export function defineTabCommands<Tab>(engine: string, driver: TabDriver<Tab>): TabCommandSet {
  const tabs = new Map<string, Tab>()
  let nextTab = 0
  const tabOf = (id: string): Tab => {
    const tab = tabs.get(id)
    if (tab === undefined) throw new Error(`No open tab "${id}" (opened: ${[...tabs.keys()].join(', ') || 'none'})`)
    return tab
  }

  return {
    openTab: async (context) => {
      const tab = await driver.open(context, TAB_PATH)
      const id = `tab${++nextTab}`
      tabs.set(id, tab)
      await driver.evaluate(context, tab, whenReady, READY_MS)
      return id
    },
    tabCall: (context, id, method, args) => driver.evaluate(context, tabOf(id), callInTab, [method, args]),
    tabStart: async (context, id, key, method, args) => {
      await driver.evaluate(context, tabOf(id), startInTab, [key, method, args])
    },
    tabResult: (context, id, key) => driver.evaluate(context, tabOf(id), resultInTab, key),
    closeTab: async (context, id) => {
      const tab = tabOf(id)
      tabs.delete(id)
      await driver.close(context, tab)
    },
    reloadTab: async (context, id) => {
      const tab = tabOf(id)
      await driver.reload(context, tab)
      await driver.evaluate(context, tab, whenReady, READY_MS)
    },
    setTabOffline: async (context, id, offline) => {
      if (!driver.setOffline) throw new Error(`${engine}: this engine's automation cannot take a single tab offline`)
      await driver.setOffline(context, tabOf(id), offline)
    },
  }
}
