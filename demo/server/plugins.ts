// The demo's vite plugins: the offline model, the dev proxy and the sync server (dev server), and the PWA
// (manifest + a precaching service worker made by workbox) for the production build.
import type { PluginOption } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import { offlineModelPlugin } from './offline-model-plugin.js'
import { openaiProxyPlugin } from './openai-proxy-plugin.js'
import { syncPlugin } from './sync-plugin.js'

export function demoPlugins(env: NodeJS.ProcessEnv = process.env): PluginOption[] {
  return [
    // Pre-bundled when the dev server starts, so a first visit never triggers vite's
    // "new dependencies optimized, reloading" in the middle of a chat.
    { name: 'idb-agents-demo:deps', config: () => ({ optimizeDeps: { include: ['idb', 'openai', 'zod/mini', 'marked', 'dompurify'] } }) },
    offlineModelPlugin(),
    // OPENAI_BASE_URL lets the tests point the proxy at the local test server.
    openaiProxyPlugin({ apiKey: env.OPENAI_API_KEY || undefined, upstream: env.OPENAI_BASE_URL || undefined }),
    // DEMO_SYNC_DATA_DIR lets the tests keep the sync server's PGlite in a temporary folder.
    syncPlugin({ dataDir: env.DEMO_SYNC_DATA_DIR || undefined }),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['icons/icon.svg'],
      manifest: {
        name: 'idb-agents chat demo',
        short_name: 'idb-agents',
        description: 'A notes agent whose conversations live in IndexedDB on this device. Works offline.',
        start_url: '.',
        scope: '.',
        display: 'standalone',
        background_color: '#f6f7f9',
        theme_color: '#2b4fd8',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        // Take control of the open page at once, so it works offline without a second visit.
        clientsClaim: true,
      },
      devOptions: { enabled: false },
    }),
  ]
}
