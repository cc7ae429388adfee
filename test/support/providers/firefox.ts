// A Vitest browser provider for Debian's Firefox ESR, driven by puppeteer-core over WebDriver
// BiDi. Playwright's Firefox is a patched build it downloads, and geckodriver is neither in
// Debian nor downloadable here; puppeteer-core talks BiDi to a stock Firefox with no driver.
//
// It opens the page Vitest asks for; files run one after another in that page. The tests talk
// to Vitest over its own WebSocket, so no built-in commands (userEvent, screenshots) are
// provided; custom commands get the browser and the test page (`FirefoxCommandsContext`),
// which the tab commands use (firefox-tabs.ts).
import { defineBrowserProvider } from '@vitest/browser'
import { launch, type Browser, type Page } from 'puppeteer-core'
import type { BrowserProvider, BrowserProviderOption } from 'vitest/node'

export interface FirefoxProviderOptions {
  /** The Firefox binary, e.g. `/usr/bin/firefox-esr`. Nothing is downloaded. */
  executablePath: string
  /** Extra about:config preferences for the fresh profile. */
  prefs?: Record<string, unknown>
}

/** What a custom command gets besides Vitest's own context (see `getCommandsContext`). */
export type FirefoxCommandsContext = {
  /** The running Firefox. */
  browser: Browser
  /** The page Vitest runs this session's tests in. */
  page: Page
}

export function firefox(options: FirefoxProviderOptions): BrowserProviderOption {
  return defineBrowserProvider({
    name: 'firefox-bidi',
    supportedBrowser: ['firefox'],
    options,
    providerFactory: () => new FirefoxProvider(options),
  })
}

class FirefoxProvider implements BrowserProvider {
  readonly name = 'firefox-bidi'
  // One page at a time: Vitest then runs this engine after the parallel ones, not beside them.
  readonly supportsParallelism = false
  private browser: Promise<Browser> | undefined
  private launched: Browser | undefined
  private readonly pages = new Map<string, Page>()

  constructor(private readonly options: FirefoxProviderOptions) {}

  getCommandsContext(sessionId: string): FirefoxCommandsContext {
    const page = this.pages.get(sessionId)
    if (!this.launched || !page) throw new Error(`Firefox has no page for session ${sessionId}`)
    return { browser: this.launched, page }
  }

  async openPage(sessionId: string, url: string): Promise<void> {
    // Launched on first use, so an engine whose tests are filtered out never starts.
    // Puppeteer makes a fresh on-disk profile (IndexedDB really goes to disk) and deletes it on close.
    this.browser ??= launch({
      browser: 'firefox',
      executablePath: this.options.executablePath,
      headless: true,
      extraPrefsFirefox: this.options.prefs ?? {},
    })
    const browser = (this.launched = await this.browser)
    let page = this.pages.get(sessionId)
    if (!page) {
      page = await browser.newPage()
      this.pages.set(sessionId, page)
    }
    await page.goto(url, { timeout: 0 })
  }

  async close(): Promise<void> {
    const launching = this.browser
    this.browser = undefined
    this.launched = undefined
    this.pages.clear()
    if (!launching) return
    const browser = await launching.catch(() => undefined)
    if (!browser) return
    // browser.close() ends the BiDi session and waits for the process; if Firefox is wedged, kill it.
    const killed = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())
    await Promise.race([browser.close().catch(() => undefined), killed])
    const child = browser.process()
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}
