// A Vitest browser provider for WebKit: Debian's WebKitGTK MiniBrowser, automated by
// WebKitWebDriver (package webkit2gtk-driver) over classic WebDriver, drawing into its own
// Xvfb. Playwright's WebKit is a build it downloads; this uses only what Debian installs.
//
// Facts it is built on (WebKitGTK 2.50):
// - WebKitWebDriver accepts only browserName 'MiniBrowser' with `webkitgtk:browserOptions`
//   naming the binary and `--automation`, and speaks classic WebDriver (not BiDi), so the
//   few HTTP calls needed here are made with fetch rather than through a client library.
// - MiniBrowser has no headless mode; without a display in the driver's environment the
//   session request hangs. Xvfb -displayfd picks a free display and reports it when ready.
// - MiniBrowser in automation mode keeps website data in an ephemeral (in-memory) store.
//
// Like the Firefox provider, it opens the page Vitest asks for; files run one at a time in it.
// Custom commands get the WebDriver session (`WebKitCommandsContext`), which the tab commands
// use to open and drive more windows (webkit-tabs.ts).
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { defineBrowserProvider } from '@vitest/browser'
import type { BrowserProvider, BrowserProviderOption } from 'vitest/node'

export interface WebKitProviderOptions {
  driverPath: string
  miniBrowserPath: string
  xvfbPath: string
}

export function webkit(options: WebKitProviderOptions): BrowserProviderOption {
  return defineBrowserProvider({
    name: 'webkitgtk-webdriver',
    supportedBrowser: ['webkit'],
    options,
    providerFactory: () => new WebKitProvider(options),
  })
}

/** What a custom command gets besides Vitest's own context (see `getCommandsContext`). */
export type WebKitCommandsContext = {
  webdriver: WebDriverSession
}

/**
 * The one WebDriver session, shared by the provider and the commands. Classic WebDriver has
 * one current window per session, so whatever switches windows runs inside `exclusive`
 * and switches back to `testWindow` before it ends.
 */
export class WebDriverSession {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly endpoint: string,
    readonly id: string,
    /** The handle of the window Vitest runs the tests in. */
    readonly testWindow: string,
  ) {}

  /** One command of this session; `path` is relative to `/session/{id}`. */
  send(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    return webdriver(this.endpoint, method, `/session/${this.id}${path}`, body)
  }

  /** Runs `work` after everything queued before it, and before anything queued after it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => undefined)
    return run
  }
}

interface Running {
  xvfb: ChildProcess
  driver: ChildProcess
  session: WebDriverSession
}

class WebKitProvider implements BrowserProvider {
  readonly name = 'webkitgtk-webdriver'
  readonly supportsParallelism = false
  private running: Promise<Running> | undefined
  private session: WebDriverSession | undefined
  // Children die with this process even if close() is never reached (a crash, process.exit).
  private readonly killAll = () => this.children.forEach((child) => child.kill('SIGKILL'))
  private readonly children = new Set<ChildProcess>()

  constructor(private readonly options: WebKitProviderOptions) {}

  getCommandsContext(): WebKitCommandsContext {
    if (!this.session) throw new Error('WebKit has no WebDriver session yet')
    return { webdriver: this.session }
  }

  async openPage(_sessionId: string, url: string): Promise<void> {
    const { session } = await (this.running ??= this.start())
    this.session = session
    await session.exclusive(() => session.send('POST', '/url', { url }))
  }

  async close(): Promise<void> {
    const starting = this.running
    this.running = undefined
    this.session = undefined
    if (starting) {
      const running = await starting.catch(() => undefined)
      // Deleting the session closes MiniBrowser (every window); then the driver and Xvfb go.
      if (running) await running.session.send('DELETE', '').catch(() => undefined)
    }
    await Promise.all([...this.children].map(stop))
    process.off('exit', this.killAll)
  }

  private async start(): Promise<Running> {
    process.on('exit', this.killAll)
    const xvfb = this.spawn(this.options.xvfbPath, ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x800x24'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    })
    const display = await firstLine(xvfb, 3, 'Xvfb')
    const port = await freePort()
    const driver = this.spawn(this.options.driverPath, [`--port=${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DISPLAY: `:${display}` },
    })
    const endpoint = `http://127.0.0.1:${port}`
    await waitForDriver(endpoint, driver)
    const session = (await webdriver(endpoint, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: this.options.miniBrowserPath, args: ['--automation'] },
        },
      },
    })) as { sessionId: string }
    const testWindow = (await webdriver(endpoint, 'GET', `/session/${session.sessionId}/window`)) as string
    return { xvfb, driver, session: new WebDriverSession(endpoint, session.sessionId, testWindow) }
  }

  private spawn(command: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
    const child = spawn(command, args, options)
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    // Kept for the error message if the child dies before it is ready.
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTails.set(child, ((stderrTails.get(child) ?? '') + chunk.toString()).slice(-2000))
    })
    return child
  }
}

/** One classic WebDriver command; a WebDriver error becomes a thrown Error. */
async function webdriver(endpoint: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(endpoint + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await response.json()) as { value: { error?: string; message?: string } | null }
  if (!response.ok || json.value?.error) {
    throw new Error(`WebKitWebDriver ${method} ${path}: ${json.value?.error ?? response.status} ${json.value?.message ?? ''}`)
  }
  return json.value
}

async function waitForDriver(endpoint: string, driver: ChildProcess): Promise<void> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    if (driver.exitCode !== null) throw childError('WebKitWebDriver', driver)
    const ready = await fetch(`${endpoint}/status`).then((r) => r.ok, () => false)
    if (ready) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw childError('WebKitWebDriver did not answer within 15 s;', driver)
}

/** The first line a child writes to file descriptor `fd`, or its death as an error. */
function firstLine(child: ChildProcess, fd: number, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    child.stdio[fd]?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('\n')) resolve(text.trim())
    })
    child.once('exit', () => reject(childError(label, child)))
    child.once('error', reject)
  })
}

const stderrTails = new WeakMap<ChildProcess, string>()

function childError(label: string, child: ChildProcess): Error {
  const tail = stderrTails.get(child) ?? ''
  return new Error(`${label} exited (${child.exitCode ?? child.signalCode}) ${tail}`.trim())
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
