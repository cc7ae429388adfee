import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import type { BrowserProviderOption } from 'vitest/node'
import { playwright } from '@vitest/browser-playwright'
import { firefoxPath, webkit as webkitPaths, type Engine } from './scripts/browsers.mjs'
import { chromiumArgs, chromiumPath, chromiumProfileDir } from './scripts/chromium.mjs'
import { firefox } from './test/support/providers/firefox.js'
import { webkit } from './test/support/providers/webkit.js'
import { demoPlugins } from './demo/server/plugins.js'
import { firefoxTabs } from './test/support/providers/firefox-tabs.js'
import { playwrightTabs } from './test/support/providers/playwright-tabs.js'
import { playwrightDevices } from './test/support/providers/playwright-devices.js'
import { webkitTabs } from './test/support/providers/webkit-tabs.js'

// One file for three jobs: `vite` serves the demo (root demo/), `vite build` builds the
// library (src/index.ts and src/testing/index.ts), `vitest` runs the node and browser projects.
export default defineConfig(({ command, mode }) => {
  // `--mode demo` is the demo even inside vitest (test/demo/ starts its dev server and build).
  const isTest = (mode === 'test' || process.env.VITEST !== undefined) && mode !== 'demo'
  const isLibraryBuild = command === 'build' && mode !== 'demo'
  return {
    root: isTest || isLibraryBuild ? '.' : 'demo',
    // The demo's offline model, dev proxy and PWA (demo/server/plugins.ts); none for tests or the library.
    plugins: isTest || isLibraryBuild ? [] : demoPlugins(),
    build: isLibraryBuild
      ? {
          lib: {
            entry: {
              index: 'src/index.ts',
              'testing/index': 'src/testing/index.ts',
              'testing/vitest/index': 'src/testing/vitest/index.ts',
              'testing/api-server/index': 'src/testing/api-server/index.ts',
              'server/index': 'src/server/index.ts',
            },
            formats: ['es'],
          },
          // Readable output: apps minify it with their own build. Error names do not depend on
          // class names (each error class sets `name`), so either way `err.name` is right.
          minify: false,
          rollupOptions: {
            external: [/^idb(\/|$)/, /^openai(\/|$)/, /^zod(\/|$)/, /^vitest(\/|$)/, /^pg(\/|$)/, /^@electric-sql\/pglite(\/|$)/, /^node:/],
            output: { keepNames: true },
          },
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
            globalSetup: ['test/support/api-server-global-setup.ts', 'test/support/build-global-setup.ts', 'test/support/postgres-global-setup.ts'],
            // Node runs beside the Chromium project on two cores: a page answering in 2 s is
            // slow, not wrong. A poll still fails when the state never comes.
            expect: { poll: { timeout: 10_000 } },
            testTimeout: 20_000,
          },
        },
        ...browserProjects(),
      ],
    },
  }
})

// The browser suite once per engine, each with its own provider (Vitest wants one provider
// per project). Projects are named by engine (`--project firefox`); their results show as
// `browser (firefox)`. Chromium runs beside the node project; Firefox and WebKit, whose
// providers open one page at a time, run after it, one engine after the other.
function browserProjects(): TestProjectInlineConfiguration[] {
  const providers: Record<Engine, BrowserProviderOption> = {
    // A disk-backed profile, so IndexedDB really goes to disk (an incognito context keeps it
    // in memory); a persistent context runs test files one after another.
    chromium: playwright({
      launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
      persistentContext: chromiumProfileDir,
    }),
    // Puppeteer gives Firefox a fresh on-disk profile per run. Its temporary storage is capped
    // at 50 MB (the pref is in KB), so the origin's quota is 10 MB and quota tests can fill it.
    firefox: firefox({ executablePath: firefoxPath, prefs: { 'dom.quotaManager.temporaryStorage.fixedLimit': 50 * 1024 } }),
    // MiniBrowser keeps website data in memory in automation mode.
    webkit: webkit(webkitPaths),
  }
  // Issue 7 (test/sync): extra tabs and per-tab offline emulation, one driver per provider
  // behind the same commands (test/support/tab-commands.ts).
  // Chromium also opens devices with storage of their own (issue 14: two-contexts.browser.test.ts).
  const tabCommands = { chromium: { ...playwrightTabs, ...playwrightDevices }, firefox: firefoxTabs, webkit: webkitTabs } satisfies Record<Engine, unknown>
  return (Object.keys(providers) as Engine[]).map((engine) => ({
    test: {
      name: engine,
      include: ['test/**/*.browser.test.ts'],
      testTimeout: 30_000,
      globalSetup: ['test/support/api-server-global-setup.ts', 'test/support/sync-server-global-setup.ts'],
      fileParallelism: false,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: providers[engine],
        instances: [{ browser: engine, name: `browser (${engine})` }],
        commands: tabCommands[engine],
      },
    },
  }))
}
