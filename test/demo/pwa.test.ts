// The production build (`npm run build:demo` + `npm run preview:demo`): a PWA that loads
// and works with the network off once its service worker is in control. No dev server
// here, so the offline model runs in the page.
import type { Browser } from 'playwright'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, newContext, openApp, screenshot, send, startProductionPreview, transcript, type Running } from './support.js'

let server: Running
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startProductionPreview(), launchChromium()])
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('demo production build', { timeout: 90_000 }, () => {
  test('is installable: manifest with icons, a service worker in control', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await openApp(page, server.url)
    const href = await page.getAttribute('link[rel="manifest"]', 'href')
    expect(href).toBeTruthy()
    const manifest = (await (await page.request.get(new URL(href!, server.url).href)).json()) as { display: string; icons: Array<{ sizes: string }> }
    expect(manifest.display).toBe('standalone')
    expect(manifest.icons.map((icon) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']))
    await page.evaluate(() => navigator.serviceWorker.ready)
    await context.close()
  })

  test('loads with the network off and the offline model still answers; history intact', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await openApp(page, server.url)
    await expect.poll(() => page.textContent('#connection-label')).toBe('Offline demo model (in this page)')
    await send(page, 'My favorite color is orange')
    await send(page, 'Save a note called Packing: charger')
    const before = await transcript(page)
    // Installed and in control of the page (it claims clients as soon as it activates).
    await page.evaluate(() => navigator.serviceWorker.ready)
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 10_000 }).toBe(true)

    await context.setOffline(true)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    expect(await transcript(page)).toEqual(before)
    await send(page, "What's my favorite color?")
    await send(page, 'List my notes')
    const rows = await transcript(page)
    expect(rows.at(-1)).toBe('Here you go:\nPacking: charger')
    expect(rows).toContain('Your favorite color is orange!')
    await screenshot(page, '09-offline-production-build')
    await context.close()
  })
})
