// What the engine running the browser suite offers, for the few tests that need something
// not every engine has. Such a test skips with a note naming what is missing, e.g.
//   it('…', async ({ skip }) => { skip(!capabilities.storageBuckets, lacks('storageBuckets')) … })
// Everything not listed here is expected to work in Chromium, Firefox and WebKit alike.
import { server } from 'vitest/browser'

const engine = /Firefox\//.test(navigator.userAgent)
  ? 'Firefox'
  : /Chrome\//.test(navigator.userAgent)
    ? 'Chromium'
    : 'WebKit'

// Firefox's group limit with the provider's lowered temporary-storage limit is 10 MB;
// unconstrained engines report gigabytes. Below this, filling the quota is quick.
const SMALL_QUOTA = 64 * 1024 * 1024
const quota = (await navigator.storage?.estimate?.())?.quota

export const capabilities = {
  /** Chromium's Storage Buckets API: `navigator.storageBuckets.open(name, { quota })`. */
  storageBuckets: 'storageBuckets' in navigator,
  /** An origin quota small enough to fill in a test (Firefox, see vite.config.ts). */
  smallOriginQuota: quota !== undefined && quota <= SMALL_QUOTA,
  /**
   * The `setTabOffline` command (test/support/tab-commands.ts): one tab off the network while
   * the test page stays on. Chromium has it through CDP, Firefox through WebDriver BiDi; the
   * WebKit provider's classic WebDriver has no network emulation. A property of the provider,
   * not of the page, so it goes by the provider's name.
   */
  tabOffline: server.provider !== 'webkitgtk-webdriver',
}

export type Capability = keyof typeof capabilities

const what: Record<Capability, string> = {
  storageBuckets: 'the Storage Buckets API (navigator.storageBuckets), which sets a per-bucket quota',
  smallOriginQuota:
    quota === undefined
      ? 'navigator.storage.estimate(), so its origin quota cannot be known'
      : `an origin quota small enough to fill in a test (it reports ${Math.round(quota / 2 ** 20)} MiB)`,
  tabOffline:
    'a way for its test automation to take one tab offline (WebKitWebDriver speaks classic WebDriver, ' +
    'which has no network emulation, and no WebDriver BiDi)',
}

/** The skip note for an engine without `capability`. */
export function lacks(capability: Capability): string {
  return `${engine} lacks ${what[capability]}`
}

/** The engine's rough quota, for tests that fill it. */
export const originQuota = quota
