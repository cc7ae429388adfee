import { defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import { chromiumArgs, chromiumMissingMessage, chromiumPath } from './scripts/chromium.mjs'
import { browserCommands } from './test/support/browser-commands.ts'

// One file for three jobs: `vite` serves the demo (root demo/), `vite build` builds the
// library (src/index.ts and src/testing/index.ts), `vitest` runs the node and browser projects.
export default defineConfig(({ command, mode }) => {
  const isTest = mode === 'test' || process.env.VITEST !== undefined
  const isLibraryBuild = command === 'build' && mode !== 'demo'
  if (isTest) {
    const missing = chromiumMissingMessage()
    if (missing) throw new Error(missing)
  }
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
          },
        },
        {
          test: {
            name: 'browser',
            include: ['test/**/*.browser.test.ts'],
            testTimeout: 30_000,
            browser: {
              enabled: true,
              headless: true,
              screenshotFailures: false,
              provider: playwright({
                launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
              }),
              instances: [{ browser: 'chromium' }],
              commands: browserCommands,
            },
          },
        },
      ],
    },
  }
})
