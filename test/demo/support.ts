// Starts the demo (dev server or production build + preview) and a real Chromium for the
// end-to-end tests. Nothing here reaches the real OpenAI API: the dev proxy gets no key
// unless a test gives it one and points it at the local test server.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright'
import { build, createServer, preview, type InlineConfig } from 'vite'
import { chromiumArgs, chromiumMissingMessage, chromiumPath } from '../../scripts/chromium.mjs'

const root = new URL('../..', import.meta.url).pathname
export const screenshotDir = join(root, 'test-results', 'demo')

function demoConfig(extra: InlineConfig = {}): InlineConfig {
  return {
    configFile: join(root, 'vite.config.ts'),
    mode: 'demo',
    // Apart from `npm run demo`'s cache: a dev server re-optimizing shared deps for another
    // config would reload the test's page mid-test.
    cacheDir: join(root, 'node_modules', '.cache', 'idb-agents-demo-vite'),
    logLevel: 'error',
    clearScreen: false,
    ...extra,
  }
}

export interface Running {
  url: string
  close(): Promise<void>
}

/** Runs `fn` with process.env changed for the duration (the config reads it when loaded). */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  for (const [k, v] of Object.entries(env)) v === undefined ? delete process.env[k] : (process.env[k] = v)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(before)) v === undefined ? delete process.env[k] : (process.env[k] = v)
  }
}

/** `npm run demo` on a free port. Without `env`, OPENAI_API_KEY is removed, so the dev proxy has no key. */
export async function startDevServer(env: Record<string, string | undefined> = {}): Promise<Running> {
  const server = await withEnv({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, ...env }, () =>
    createServer(demoConfig({ server: { port: 0, strictPort: false, host: '127.0.0.1' } })),
  )
  await server.listen()
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('the dev server did not report its URL')
  // Waits for dependency pre-bundling, so no test page is reloaded by it.
  await fetch(new URL('src/main.ts', url))
  return { url, close: () => server.close() }
}

/** `npm run build:demo` into a temporary folder, then `npm run preview:demo` on a free port. */
export async function startProductionPreview(): Promise<Running> {
  const outDir = await mkdtemp(join(tmpdir(), 'idb-agents-demo-build-'))
  const overrides: InlineConfig = { build: { outDir, emptyOutDir: true } }
  await withEnv({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, () => build(demoConfig(overrides)))
  const server = await withEnv({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, () =>
    preview(demoConfig({ ...overrides, preview: { port: 0, strictPort: false, host: '127.0.0.1' } })),
  )
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('the preview server did not report its URL')
  return {
    url,
    close: async () => {
      await server.close()
      await rm(outDir, { recursive: true, force: true })
    },
  }
}

export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissingMessage()
  if (missing) throw new Error(missing)
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true })
}

export async function newContext(browser: Browser, options: { width?: number; height?: number } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: options.height ?? 720 },
    acceptDownloads: true,
  })
  // No test may reach the real API (or anything off this machine).
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort('blockedbyclient'))
  return context
}

/** Opens the app and waits until it has loaded the current user's data. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]')
}

/**
 * Clicks "New chat" and waits until the new chat is open: text typed before that would land
 * in the chat being left (as its draft), as it would for a person typing that fast.
 */
export async function openNewChat(page: Page): Promise<string> {
  const before = await page.textContent('#session-id')
  await page.click('#new-chat')
  await page.waitForFunction((left) => document.querySelector('#session-id')?.textContent !== left, before)
  return (await page.textContent('#session-id')) ?? ''
}

/** Sends a message and waits until the answer is stored and shown. */
export async function send(page: Page, text: string): Promise<void> {
  await page.fill('#message', text)
  // Sending shows Stop at once (in the key's own handler), so Send is back only when the run is over.
  await page.press('#message', 'Enter')
  // The message is in the chat first (sent, waiting or marked unsent): a page still opening
  // a chat has not taken it yet, and an idle Send button would say nothing then.
  await page.waitForFunction((sent) => [...document.querySelectorAll('#messages > li')].some((row) => row.textContent?.includes(sent)), text.slice(0, 40))
  await page.waitForSelector('#send', { state: 'visible' })
  await page.waitForFunction(() => !document.querySelector('.msg.streaming'))
}

/**
 * The texts of the chat's bubbles as a person reads them, in order (markdown as rendered
 * text, tool lines as their summary).
 */
export async function transcript(page: Page): Promise<string[]> {
  return page.$$eval('#messages > li', (rows) =>
    rows.map((row) => {
      if (row.matches('.tool')) return row.querySelector('summary')?.textContent ?? ''
      const text = row.querySelector<HTMLElement>('.text')
      return (text?.innerText ?? '').replace(/\n{2,}/g, '\n').trim()
    }),
  )
}

/** Points the app at an OpenAI-compatible base URL ("Your proxy"), e.g. a script on the local test server. */
export async function useProxy(page: Page, baseURL: string): Promise<void> {
  await page.click('#connection-button')
  await page.check('input[name="mode"][value="custom-proxy"]')
  await page.fill('#proxy-url', baseURL)
  await page.click('#connection-form button[value="save"]')
  await page.waitForFunction(() => document.querySelector('#connection-label')?.textContent?.includes('via your proxy'))
}

/** Types a message and sends it, without waiting for the answer. */
export async function type(page: Page, text: string): Promise<void> {
  await page.fill('#message', text)
  await page.press('#message', 'Enter')
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) })
}
