// What the chat-app suite's tests share: the server the app is served from (dev server or
// production build), a fresh browser profile per test, scripts on the local test server for
// model failures, slow streams and hostile markdown (reached through "Your proxy"), and
// screenshots named by the server. Nothing leaves this machine.
import type { Browser, BrowserContext, Page } from 'playwright'
import { afterAll, afterEach, beforeAll, inject } from 'vitest'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'
import { launchChromium, newContext, openApp, screenshot, type Running } from './support.js'

export interface FreshApp {
  context: BrowserContext
  page: Page
}

export interface FreshAppOptions {
  /** Appended to the app's URL (`?compactAfter=2`). */
  query?: string
  width?: number
  height?: number
  /** Runs in the page before the app's scripts. */
  init?: () => void
}

export interface ChatApp {
  server(): Running
  /** A fresh profile with the app open; a browser dialog (prompt, confirm, alert) fails the test. */
  freshApp(options?: FreshAppOptions): Promise<FreshApp>
  /** A script on the local test server, disposed after the test. */
  script(turns: Parameters<typeof createServerScript>[1]): Promise<ServerScript>
  /** A screenshot in test-results/demo/, named by the server (`dev-…`, `build-…`). */
  shot(page: Page, name: string): Promise<void>
}

/** Registers the hooks (call inside a describe) and returns what the tests use. */
export function useChatApp(label: string, start: () => Promise<Running>): ChatApp {
  let server: Running
  let browser: Browser
  const contexts: BrowserContext[] = []
  const scripts: ServerScript[] = []
  const shot = (page: Page, name: string): Promise<void> => screenshot(page, `${label === 'dev server' ? 'dev' : 'build'}-${name}`)

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([start(), launchChromium()])
  }, 120_000)

  afterEach(async (context) => {
    const open = contexts.splice(0)
    if (context.task.result?.state === 'fail') {
      const page = open.at(-1)?.pages().at(-1)
      if (page) await shot(page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}-${process.pid}`).catch(() => {})
    }
    await Promise.all(open.map((c) => c.close()))
    await Promise.all(scripts.splice(0).map((s) => s.dispose()))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  return {
    server: () => server,
    shot,
    async freshApp(options = {}) {
      const context = await newContext(browser, options)
      contexts.push(context)
      if (options.init) await context.addInitScript(options.init)
      const page = await context.newPage()
      page.on('dialog', (dialog) => {
        void dialog.dismiss()
        throw new Error(`the app opened a browser dialog: ${dialog.message()}`)
      })
      await openApp(page, `${server.url}${options.query ?? ''}`)
      return { context, page }
    },
    async script(turns) {
      const created = await createServerScript(inject('apiServerUrl'), turns)
      scripts.push(created)
      return created
    },
  }
}

/** The user messages a request sent to the model. */
export function userTexts(body: unknown): string[] {
  return ((body as { input?: Array<{ role?: string; content?: unknown }> }).input ?? [])
    .filter((item) => item.role === 'user')
    .map((item) => (typeof item.content === 'string' ? item.content : JSON.stringify(item.content)))
}

/** The user's bubbles holding `text`. */
export const userBubbles = (page: Page, text: string) => page.locator('#messages li.msg.user .text', { hasText: text })
