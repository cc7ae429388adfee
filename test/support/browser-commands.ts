// Commands that browser tests call through `commands` from 'vitest/browser'. They run in
// Node beside Playwright and reach Chromium's DevTools protocol for what a page cannot do
// by itself (shrinking the storage quota).
import type { BrowserCommand } from 'vitest/node'

interface PlaywrightCommandContext {
  page: import('playwright').Page
  context: import('playwright').BrowserContext
}

const overrideQuota: BrowserCommand<[quotaBytes: number | null]> = async (ctx, quotaBytes) => {
  const { page, context } = ctx as unknown as PlaywrightCommandContext
  const cdp = await context.newCDPSession(page)
  try {
    const origin = new URL(page.url()).origin
    await cdp.send('Storage.overrideQuotaForOrigin', quotaBytes === null ? { origin } : { origin, quotaSize: quotaBytes })
  } finally {
    await cdp.detach()
  }
}

export const browserCommands = { overrideQuota }

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Sets this origin's storage quota in bytes (Chromium DevTools protocol); `null` restores it. */
    overrideQuota: (quotaBytes: number | null) => Promise<void>
  }
}
