// The tab commands (test/support/tab-commands.ts) for WebKit under our WebKitWebDriver
// provider (webkit.ts): a tab is a new MiniBrowser window of the same automation session
// (same website data store, so the same origin storage, Web Locks and BroadcastChannel).
//
// Classic WebDriver acts on one current window: each command switches to its tab, does its
// work, and switches back to the test window, all inside `exclusive` so nothing interleaves.
// While a tab runs a script, the test page keeps running; only WebDriver's focus moves.
//
// Not here: taking one tab offline. Classic WebDriver has no network emulation, and
// WebKitWebDriver speaks no BiDi (see test/support/capabilities.ts, `tabOffline`).
import type { BrowserCommandContext } from 'vitest/node'
import { defineTabCommands, type InTab } from '../tab-commands.js'
import type { WebDriverSession, WebKitCommandsContext } from './webkit.js'

/** A tab is its WebDriver window handle. */
type Handle = string

// The provider's part of the command context (vitest's own type names Playwright's here).
const sessionOf = (context: BrowserCommandContext) => (context as unknown as WebKitCommandsContext).webdriver

/** Does `work` with `tab` as the current window, then makes the test window current again. */
function inWindow<T>(session: WebDriverSession, tab: Handle, work: () => Promise<T>): Promise<T> {
  return session.exclusive(async () => {
    await session.send('POST', '/window', { handle: tab })
    try {
      return await work()
    } finally {
      await session.send('POST', '/window', { handle: session.testWindow })
    }
  })
}

// `execute/async` calls the script with the arguments and a callback last; a rejection in
// the page comes back as `{ ok: false }` and is thrown here, with its message.
const asyncScript = (fn: InTab<never, unknown>) => `
  const [arg, done] = arguments;
  Promise.resolve()
    .then(() => (${fn.toString()})(arg))
    .then(
      (value) => done({ ok: true, value: value === undefined ? null : value }),
      (error) => done({ ok: false, error: String(error && error.stack ? error.name + ': ' + error.message + '\\n' + error.stack : error) }),
    );`

export const webkitTabs = defineTabCommands<Handle>('WebKit', {
  async open(context, path) {
    const session = sessionOf(context)
    return session.exclusive(async () => {
      const testPage = (await session.send('GET', '/url')) as string
      const { handle } = (await session.send('POST', '/window/new', { type: 'window' })) as { handle: Handle }
      try {
        await session.send('POST', '/window', { handle })
        await session.send('POST', '/url', { url: new URL(path, testPage).href })
      } finally {
        await session.send('POST', '/window', { handle: session.testWindow })
      }
      return handle
    })
  },
  async evaluate<A, R>(context: BrowserCommandContext, tab: Handle, fn: InTab<A, R>, arg: A): Promise<R> {
    const session = sessionOf(context)
    const result = (await inWindow(session, tab, () =>
      session.send('POST', '/execute/async', { script: asyncScript(fn as InTab<never, unknown>), args: [arg] }),
    )) as { ok: true; value: R } | { ok: false; error: string }
    if (!result.ok) throw new Error(`in WebKit tab: ${result.error}`)
    return result.value
  },
  async reload(context, tab) {
    const session = sessionOf(context)
    await inWindow(session, tab, () => session.send('POST', '/refresh', {}))
  },
  async close(context, tab) {
    const session = sessionOf(context)
    // Close Window dismisses any beforeunload prompt; the page is simply gone.
    await inWindow(session, tab, () => session.send('DELETE', '/window'))
  },
})
