// Devices with storage of their own, for Chromium: each is a page in a fresh browser context
// of a second Chromium (launched once, on first use), so no two share IndexedDB, cookies or
// BroadcastChannel — unlike the test page's tabs. The page is test/remote/fixtures/device.html
// from the test server, driven through its `window.device`.
import { chromium, type Browser, type Page } from 'playwright'
import type { BrowserCommand } from 'vitest/node'
import { chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs'

const DEVICE_PATH = '/test/remote/fixtures/device.html'
let browser: Promise<Browser> | undefined
const devices = new Map<string, Page>()
let next = 0

type DeviceWindow = { device: Record<string, (...args: unknown[]) => unknown>; deviceReady?: boolean }

export interface DeviceCommands {
  /** Opens a device (a page in a browser context of its own); returns its id. */
  openDevice: () => Promise<string>
  /** Calls `window.device[method](...args)` on device `id` and returns its JSON result. */
  deviceCall: (id: string, method: string, args: unknown[]) => Promise<unknown>
  /** Closes every device, their contexts and the second Chromium. */
  closeDevices: () => Promise<void>
}

declare module 'vitest/browser' {
  interface BrowserCommands extends DeviceCommands {}
}

const openDevice: BrowserCommand<[], string> = async ({ page }) => {
  browser ??= chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true })
  const context = await (await browser).newContext()
  const device = await context.newPage()
  await device.goto(new URL(DEVICE_PATH, page.url()).href)
  await device.waitForFunction(() => (window as unknown as DeviceWindow).deviceReady === true, undefined, { timeout: 15_000 })
  const id = `device${++next}`
  devices.set(id, device)
  return id
}

const deviceCall: BrowserCommand<[string, string, unknown[]], unknown> = async (_context, id, method, args) => {
  const device = devices.get(id)
  if (!device) throw new Error(`No open device "${id}"`)
  return device.evaluate(([m, a]) => (window as unknown as DeviceWindow).device[m as string]!(...(a as unknown[])), [method, args] as const)
}

const closeDevices: BrowserCommand<[], void> = async () => {
  for (const device of devices.values()) await device.context().close()
  devices.clear()
  const launched = browser
  browser = undefined
  await (await launched)?.close()
}

export const playwrightDevices = { openDevice, deviceCall, closeDevices }
