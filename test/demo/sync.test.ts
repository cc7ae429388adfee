// Sync between two browser profiles (issue 14's demo): `npm run demo` also serves the sync
// server (PGlite, here in a temporary folder); two Chromium contexts with storage of their
// own are the same user on two devices. Turning sync on in both shows the same chats, and
// what one writes appears in the other while it is open.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, newContext, openApp, screenshot, send, startDevServer, startProductionPreview, transcript, type Running } from './support.js'

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
async function profile(options: { user?: string; query?: string } = {}): Promise<Page> {
  const context = await newContext(browser)
  contexts.push(context)
  if (options.user) await context.addInitScript((user) => localStorage.setItem('idb-agents-demo:user', user), options.user)
  const page = await context.newPage()
  page.on('dialog', (dialog) => {
    void dialog.dismiss()
    throw new Error(`the app opened a browser dialog: ${dialog.message()}`)
  })
  await openApp(page, `${server.url}${options.query ?? ''}`)
  return page
}

/** Turns sync on and waits until the synced chats are shown. */
async function turnSyncOn(page: Page): Promise<void> {
  await page.check('#sync-toggle')
  await page.waitForSelector('body[data-ready="true"] #sync-state[data-state="synced"]')
}

const sidebarTitles = (page: Page) => page.$$eval('#chat-list .open .title', (titles) => titles.map((t) => t.textContent))

describe('demo sync between two profiles (dev server)', { timeout: 90_000 }, () => {
  test('sync is off by default; two profiles with sync on show the same chats, new turns arrive in the open chat, an offline rename is sent once back online', async () => {
    const laptop = await profile()
    const phone = await profile()
    expect(await laptop.isChecked('#sync-toggle')).toBe(false)
    expect(await laptop.textContent('#sync-state')).toBe('off')
    expect(await laptop.textContent('#sync-status')).toContain('those from before stay on this device, apart')

    // A chat kept on the laptop alone before sync: it stays there, not on the server.
    await send(laptop, 'my favorite color is green')
    await expect.poll(() => sidebarTitles(laptop)).toHaveLength(1)
    const localTitles = await sidebarTitles(laptop)

    await turnSyncOn(laptop)
    await expect.poll(() => sidebarTitles(laptop)).toEqual([]) // the synced chats: none yet
    // …and the panel says where the chat from before is, so it does not look lost.
    expect(await laptop.textContent('#sync-status')).toContain('One chat from before sync stays on this device, apart: sync off shows it, or copy it to sync.')
    await send(laptop, 'remember that the meeting is on Tuesday')
    await laptop.waitForSelector('#sync-state[data-state="synced"]')
    await expect.poll(() => sidebarTitles(laptop)).toHaveLength(1)
    const laptopTitles = await sidebarTitles(laptop)
    const laptopMessages = await transcript(laptop)
    expect(laptopMessages[0]).toBe('remember that the meeting is on Tuesday')

    // The phone, another profile: nothing until it turns sync on, then the laptop's chat.
    expect(await sidebarTitles(phone)).toEqual([])
    await turnSyncOn(phone)
    expect(await phone.textContent('#sync-status')).not.toContain('from before sync')
    await phone.waitForFunction((n) => document.querySelectorAll('#chat-list .open').length === n, 1)
    await expect.poll(() => sidebarTitles(phone)).toEqual(laptopTitles)
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

    // Offline, the phone renames the chat: kept on the phone (offline), sent once back online.
    await phone.context().setOffline(true)
    await phone.click('#chat-list li[aria-current="true"] .act[title="Rename"]')
    const dialog = phone.locator('dialog.in-page[open]')
    await dialog.locator('input').fill('Meeting')
    await dialog.getByRole('button', { name: 'Rename' }).click()
    await phone.waitForSelector('#sync-state[data-state="offline"]')
    await expect.poll(() => sidebarTitles(phone)).toEqual(['Meeting'])
    expect(await sidebarTitles(laptop)).toEqual(laptopTitles)
    await screenshot(phone, 'dev-sync-offline')
    await phone.context().setOffline(false)
    await phone.waitForSelector('#sync-state[data-state="synced"]')
    await laptop.waitForFunction(() => document.querySelector('#chat-list .open .title')?.textContent === 'Meeting')

    // The vault and sync exclude each other for now: the vault button says why.
    expect(await laptop.isDisabled('#vault-button')).toBe(true)
    expect(await laptop.getAttribute('#vault-button', 'title')).toContain('Turn sync off to use the vault')

    // Sync off: the laptop's own chat is back; the synced one stays for when sync is on again.
    await laptop.uncheck('#sync-toggle')
    await laptop.waitForSelector('body[data-ready="true"] #sync-state[data-state="off"]')
    await laptop.waitForFunction((titles) => [...document.querySelectorAll('#chat-list .open .title')].map((t) => t.textContent).join('\n') === titles, localTitles.join('\n'))
    expect(await laptop.isDisabled('#vault-button')).toBe(false)
    await turnSyncOn(laptop)
    await expect.poll(() => sidebarTitles(laptop)).toEqual(['Meeting'])
  })

  test("a compacted chat: the other profile's turn reaches the model, not only the transcript; a delete reaches the other profile", async () => {
    // bob, apart from the first test's alice. The laptop compacts once 4 items could be folded.
    const laptop = await profile({ user: 'bob', query: '?compactAfter=4' })
    const phone = await profile({ user: 'bob' })
    await turnSyncOn(laptop)
    await turnSyncOn(phone)
    await send(laptop, 'My favorite color is blue')
    await send(laptop, 'Hello')
    await send(laptop, 'Save a note called Groceries: milk')
    await laptop.waitForSelector('#messages li.compacted')

    await phone.waitForFunction(() => document.querySelectorAll('#chat-list .open').length === 1)
    await phone.click('#chat-list .open')
    await phone.waitForFunction(() => document.querySelector('#messages > li:last-child')?.textContent?.includes('Groceries'))
    await send(phone, 'My favorite color is purple')
    const phoneMessages = await transcript(phone)
    await laptop.waitForFunction((text) => document.querySelector('#messages > li:last-child')?.textContent?.includes(text), "I'll remember that your favorite color is purple")

    // The laptop's compacted view missed the phone's turn: it is dropped, and the model sees it.
    await send(laptop, "What's my favorite color?")
    expect((await transcript(laptop)).at(-1)).toBe('Your favorite color is purple!')
    // The same messages on both (the laptop also shows its compaction marker, a row without text).
    const shown = (await transcript(laptop)).filter((row) => row !== '')
    expect(shown.slice(0, phoneMessages.length)).toEqual(phoneMessages)

    // Deleted on the phone: gone from the laptop too (the dialog says so).
    await phone.click('#chat-list li[aria-current="true"] .act[title="Delete"]')
    const dialog = phone.locator('dialog.in-page[open]')
    expect(await dialog.textContent()).toContain('from the sync server and your other devices')
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => sidebarTitles(phone)).toEqual([])
    await expect.poll(() => sidebarTitles(laptop)).toEqual([])
  })
})

describe('demo sync: chats from before sync, and imports', { timeout: 90_000 }, () => {
  test('chats kept before sync are copied to it on request, versions and all, once; an import under sync reaches the other profile', async () => {
    // bob again: the test above left his synced chats empty (it deleted the one it made).
    const laptop = await profile({ user: 'bob' })
    await send(laptop, 'My favorite color is blue')
    await send(laptop, "What's my favorite color?")
    await laptop.click('#messages button[aria-label="Regenerate answer"]')
    await expect.poll(() => laptop.textContent('#messages li[data-turn="2"] .versions')).toContain('2 / 2')
    const kept = await transcript(laptop)
    const [download] = await Promise.all([laptop.waitForEvent('download'), laptop.click('#export')])
    const exported = await download.path()

    await turnSyncOn(laptop)
    await expect.poll(() => sidebarTitles(laptop)).toEqual([])
    expect(await laptop.textContent('#sync-status')).toContain('One chat from before sync stays on this device, apart: sync off shows it, or copy it to sync.')
    expect(await laptop.textContent('#sync-copy')).toBe('Copy it to sync')
    expect(await laptop.textContent('#messages li.hint')).toContain('kept on this device and on the sync server')
    await screenshot(laptop, 'dev-sync-copy')
    await laptop.click('#sync-copy')
    await expect.poll(() => sidebarTitles(laptop)).toEqual(['My favorite color is blue'])
    // Once the copy is pushed, nothing more is offered (the button also hides while pending).
    await laptop.waitForSelector('#sync-state[data-state="synced"]')
    expect(await laptop.isHidden('#sync-copy')).toBe(true)
    expect(await laptop.textContent('#sync-status')).not.toContain('from before sync')
    expect(await laptop.textContent('#sync-status')).not.toContain('could not be copied')

    // The other profile gets the copy with both versions of the answer.
    const phone = await profile({ user: 'bob' })
    await turnSyncOn(phone)
    await expect.poll(() => sidebarTitles(phone)).toEqual(['My favorite color is blue'])
    await phone.click('#chat-list .open')
    await expect.poll(() => transcript(phone)).toEqual(kept)
    expect(await phone.textContent('#messages li[data-turn="2"] .versions')).toContain('2 / 2')
    await phone.click('#messages li[data-turn="2"] button[aria-label="Previous version"]')
    await expect.poll(() => phone.textContent('#messages li[data-turn="2"] .versions')).toContain('1 / 2')

    // Imported under sync on the phone: written through sync, so the laptop lists it too.
    await phone.setInputFiles('#import-file', exported)
    await expect.poll(() => phone.textContent('#chat-title')).toBe('My favorite color is blue (imported)')
    await expect.poll(() => sidebarTitles(laptop).then((titles) => titles.sort())).toEqual(['My favorite color is blue', 'My favorite color is blue (imported)'])

    // Copied once: sync off and on again offers nothing more to copy; the original is still here.
    await laptop.uncheck('#sync-toggle')
    await laptop.waitForSelector('body[data-ready="true"] #sync-state[data-state="off"]')
    await expect.poll(() => sidebarTitles(laptop)).toEqual(['My favorite color is blue'])
    await turnSyncOn(laptop) // waits for "synced"
    expect(await laptop.isHidden('#sync-copy')).toBe(true)
    expect(await laptop.textContent('#sync-status')).not.toContain('from before sync')
  })
})

describe('demo sync in the production build', { timeout: 120_000 }, () => {
  let preview: Running | undefined
  afterAll(() => preview?.close())

  test('without the dev server the setting is off, disabled, and says what it needs', async () => {
    preview = await startProductionPreview()
    const context = await newContext(browser)
    contexts.push(context)
    const page = await context.newPage()
    await openApp(page, preview.url)
    expect(await page.isDisabled('#sync-toggle')).toBe(true)
    expect(await page.textContent('#sync-state')).toBe('off')
    expect(await page.textContent('#sync-status')).toContain('Sync needs the sync server, which `npm run demo` (the dev server) serves')
  })
})
