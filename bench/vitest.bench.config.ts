import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs'

// `npm run bench`: benchmarks print ratios (ours ÷ anchor) with console.table; they never
// assert on time. Browser benchmarks run in real Chromium, Node ones under Node 20.
// One benchmark file at a time, the Node ones before the browser ones: two benchmarks
// sharing the machine's two cores measure each other, and two runs then disagree.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    silent: false,
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'bench-node',
          sequence: { groupOrder: 0 },
          environment: 'node',
          include: ['bench/**/*.node.bench.ts'],
          testTimeout: 300_000,
          setupFiles: ['test/support/node-setup.ts'],
          globalSetup: ['test/support/api-server-global-setup.ts', 'bench/support/postgres-global-setup.ts'],
        },
      },
      {
        test: {
          name: 'bench-browser',
          sequence: { groupOrder: 1 },
          include: ['bench/**/*.browser.bench.ts'],
          testTimeout: 300_000,
          globalSetup: ['test/support/api-server-global-setup.ts', 'test/support/sync-server-global-setup.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
})
