import { defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import { chromiumArgs, chromiumPath, chromiumProfileDir } from './scripts/chromium.mjs'

// One file for three jobs: `vite` serves the demo (root demo/), `vite build` builds the
// library (src/index.ts and src/testing/index.ts), `vitest` runs the node and browser projects.
export default defineConfig(({ command, mode }) => {
  const isTest = mode === 'test' || process.env.VITEST !== undefined
  const isLibraryBuild = command === 'build' && mode !== 'demo'
  return {
    root: isTest || isLibraryBuild ? '.' : 'demo',
    build: isLibraryBuild
      ? {
          lib: {
            entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
            formats: ['es'],
          },
          rollupOptions: { external: [/^idb(\/|$)/, /^openai(\/|$)/, /^zod(\/|$)/, /^vitest(\/|$)/, /^node:/] },
          outDir: 'dist',
          emptyOutDir: true,
        }
      : { outDir: '../dist-demo', emptyOutDir: true },
    test: {
      projects: [
        {
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/**/*.test.ts'],
            exclude: ['test/**/*.browser.test.ts', 'node_modules/**'],
            setupFiles: ['test/support/node-setup.ts'],
            globalSetup: ['test/support/api-server-global-setup.ts'],
          },
        },
        {
          test: {
            name: 'browser',
            include: ['test/**/*.browser.test.ts'],
            testTimeout: 30_000,
            globalSetup: ['test/support/api-server-global-setup.ts'],
            // A disk-backed profile, so IndexedDB really goes to disk (an incognito context keeps
            // it in memory); a persistent context runs test files one after another.
            fileParallelism: false,
            browser: {
              enabled: true,
              headless: true,
              screenshotFailures: false,
              provider: playwright({
                launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
                persistentContext: chromiumProfileDir,
              }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }
})
