// Sync between two browser profiles (issue 14's demo): `npm run demo` also serves the sync
// server (PGlite, here in a temporary folder); two Chromium contexts with storage of their
// own are the same user on two devices. Turning sync on in both shows the same chats, and
// what one writes appears in the other while it is open.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, newContext, openApp, screenshot, send, startDevServer, transcript, type Running } from './support.js'

let server: Running
let browser: Browser
let dataDir: string
const contexts: BrowserContext[] = []

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'idb-agents-demo-sync-'))
  ;[server, browser] = await Promise.all([startDevServer({ DEMO_SYNC_DATA_DIR: dataDir }), launchChromium()])
}, 60_000)

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()))
  await browser?.close()
  await server?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

/** A browser profile of its own (its own IndexedDB and localStorage) with the app open. */
async function profile(): Promise<Page> {
  const context = await newContext(browser)
  contexts.push(context)
  const page = await context.newPage()
  page.on('dialog', (dialog) => {
    void dialog.dismiss()
    throw new Error(`the app opened a browser dialog: ${dialog.message()}`)
  })
  await openApp(page, server.url)
  return page
}

async function turnSyncOn(page: Page): Promise<void> {
  await page.check('#sync-toggle')
  await page.waitForSelector('#sync-state[data-state="synced"]')
}

const sidebarTitles = (page: Page) => page.$$eval('#chat-list .open .title', (titles) => titles.map((t) => t.textContent))

describe('demo sync between two profiles (dev server)', { timeout: 90_000 }, () => {
  test('sync is off by default; two profiles with sync on show the same chats, and new turns arrive in the open chat', async () => {
    const laptop = await profile()
    const phone = await profile()
    expect(await laptop.isChecked('#sync-toggle')).toBe(false)
    expect(await laptop.textContent('#sync-state')).toBe('off')

    // A chat kept on the laptop alone before sync: it stays there, not on the server.
    await send(laptop, 'my favorite color is green')
    const localTitles = await sidebarTitles(laptop)
    expect(localTitles).toHaveLength(1)

    await turnSyncOn(laptop)
    expect(await sidebarTitles(laptop)).toEqual([]) // the synced chats: none yet
    await send(laptop, 'remember that the meeting is on Tuesday')
    await laptop.waitForSelector('#sync-state[data-state="synced"]')
    const laptopTitles = await sidebarTitles(laptop)
    expect(laptopTitles).toHaveLength(1)
    const laptopMessages = await transcript(laptop)
    expect(laptopMessages[0]).toBe('remember that the meeting is on Tuesday')

    // The phone, another profile: nothing until it turns sync on, then the laptop's chat.
    expect(await sidebarTitles(phone)).toEqual([])
    await turnSyncOn(phone)
    await phone.waitForFunction((n) => document.querySelectorAll('#chat-list .open').length === n, 1)
    expect(await sidebarTitles(phone)).toEqual(laptopTitles)
    await phone.click('#chat-list .open')
    await phone.waitForFunction((n) => document.querySelectorAll('#messages > li').length === n, laptopMessages.length)
    expect(await transcript(phone)).toEqual(laptopMessages)

    // The phone writes in the same chat; the laptop, with the chat open, shows it live.
    await send(phone, 'what is the meeting day?')
    const phoneMessages = await transcript(phone)
    expect(phoneMessages.length).toBeGreaterThan(laptopMessages.length)
    await laptop.waitForFunction((n) => document.querySelectorAll('#messages > li').length === n, phoneMessages.length)
    expect(await transcript(laptop)).toEqual(phoneMessages)
    await screenshot(laptop, 'dev-sync-laptop')
    await screenshot(phone, 'dev-sync-phone')

    // Sync off: the laptop's own chat is back; the synced one stays for when sync is on again.
    await laptop.uncheck('#sync-toggle')
    await laptop.waitForSelector('#sync-state[data-state="off"]')
    await laptop.waitForFunction((titles) => [...document.querySelectorAll('#chat-list .open .title')].map((t) => t.textContent).join('\n') === titles, localTitles.join('\n'))
    await turnSyncOn(laptop)
    expect(await sidebarTitles(laptop)).toEqual(laptopTitles)
  })
})
