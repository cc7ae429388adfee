// The demo against `npm run demo` (vite dev server), driven in real Chromium with the
// offline demo model. Screenshots of the main views go to test-results/demo/.
import { readFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright'
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { createServerScript } from '../../src/testing/api-server/client.js'
import { launchChromium, newContext, openApp, openNewChat, screenshot, send, startDevServer, transcript, type Running } from './support.js'
import { decide } from './chat-app-approvals.js'

let server: Running
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startDevServer(), launchChromium()])
}, 30_000)

// Each test gets its own profile; close it after, keeping a picture when the test failed.
afterEach(async (context) => {
  const open = contexts.splice(0)
  if (context.task.result?.state === 'fail') {
    const page = open.at(-1)?.pages().at(-1)
    // The pid keeps concurrent runs (another terminal, CI) from overwriting each other's picture.
    if (page) await screenshot(page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}-${process.pid}`).catch(() => {})
  }
  await Promise.all(open.map((c) => c.close()))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/**
 * A fresh browser profile (its own IndexedDB) with the app open.
 * @param options.query - appended to the app's URL (`?compactAfter=4`)
 * @param options.init - runs in the page before the app's scripts
 */
async function freshApp(options: { query?: string; init?: () => void } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser)
  contexts.push(context)
  if (options.init) await context.addInitScript(options.init)
  const page = await context.newPage()
  page.on('dialog', (dialog) => {
    void dialog.dismiss()
    throw new Error(`the app opened a browser dialog: ${dialog.message()}`)
  })
  await openApp(page, `${server.url}${options.query ?? ''}`)
  return { context, page }
}

async function reload(page: Page): Promise<void> {
  await page.reload()
  await page.waitForSelector('body[data-ready="true"]')
}

const sidebarTitles = (page: Page) => page.$$eval('#chat-list .open .title', (titles) => titles.map((t) => t.textContent))
const noteTitles = (page: Page) => page.$$eval('#notes-list strong', (rows) => rows.map((r) => r.textContent))

describe('demo on the dev server, offline demo model', { timeout: 90_000 }, () => {
  test('defaults to the offline model when the server has no key; a multi-turn chat survives a reload; the connection panel', async () => {
    const { page } = await freshApp()
    await expect.poll(() => page.textContent('#connection-label')).toBe('Offline demo model (dev server)')
    await screenshot(page, '01-empty-chat')
    await send(page, 'My favorite color is blue')
    await send(page, "What's my favorite color?")
    const before = await transcript(page)
    expect(before).toEqual([
      'My favorite color is blue',
      "Got it! I'll remember that your favorite color is blue.",
      "What's my favorite color?",
      'Your favorite color is blue!',
    ])
    await reload(page)
    expect(await transcript(page)).toEqual(before)
    await expect.poll(() => sidebarTitles(page)).toEqual(['My favorite color is blue'])
    expect(await page.textContent('#session-id')).toMatch(/^alice\//)

    // The connection panel offers all four modes; direct use shows the key warning.
    await page.click('#connection-button')
    for (const mode of ['offline', 'dev-proxy', 'custom-proxy', 'direct']) expect(await page.isVisible(`input[name="mode"][value="${mode}"]`)).toBe(true)
    expect(await page.isDisabled('input[name="mode"][value="dev-proxy"]')).toBe(true) // no key on this server
    await page.check('input[name="mode"][value="direct"]')
    expect(await page.isVisible('.warning')).toBe(true)
    await screenshot(page, '03-connection-settings')
    await page.click('#connection-form button[value="cancel"]')
    expect(await page.textContent('#connection-label')).toBe('Offline demo model (dev server)')
  })

  test('notes are saved by the tools, survive a reload and are listed; a phone-sized screen', async () => {
    const { page } = await freshApp()
    await send(page, 'Save a note called Groceries: milk, eggs, bread')
    await send(page, 'Save a note called Trip: book the train')
    await expect.poll(() => noteTitles(page)).toEqual(['Groceries', 'Trip'])
    await reload(page)
    await openNewChat(page)
    await send(page, 'List my notes')
    const rows = await transcript(page)
    expect(rows[1]).toContain('list_notes()')
    expect(rows[2]).toBe('Here you go:\nGroceries: milk, eggs, bread\nTrip: book the train')
    expect(await page.locator('#messages li.msg.assistant').nth(0).locator('li').count()).toBe(2) // a markdown list
    await send(page, 'Search notes for milk')
    await send(page, 'Update note Trip: book the 9:10 train')
    await send(page, 'Delete note Groceries')
    await decide(page, 'Approve') // delete_note asks first
    expect((await transcript(page)).at(-1)).toBe("Done. Deleted note 'Groceries'.")
    await expect.poll(() => noteTitles(page)).toEqual(['Trip'])
    await screenshot(page, '02-notes-and-tools')

    // The same app on a 375px-wide phone: nothing overflows, the sidebar slides in.
    await page.setViewportSize({ width: 375, height: 740 })
    await page.waitForTimeout(250) // the sidebar slides away as the layout changes
    await screenshot(page, '07-phone-chat')
    expect(await page.isVisible('#menu-toggle')).toBe(true)
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
    await page.click('#menu-toggle')
    await expect.poll(() => page.getAttribute('#menu-toggle', 'aria-expanded')).toBe('true')
    await page.waitForTimeout(250) // the slide-in transition
    await screenshot(page, '08-phone-sidebar')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getAttribute('#menu-toggle', 'aria-expanded')).toBe('false')
  })

  test('alice and bob are isolated: conversations and notes', async () => {
    const { page } = await freshApp()
    await send(page, 'My name is Alice')
    await send(page, 'Save a note called Secret: alice only')
    await page.selectOption('#user', 'bob')
    await expect.poll(() => page.textContent('#session-id')).toMatch(/^bob\//)
    await expect.poll(() => sidebarTitles(page)).toEqual([])
    await expect.poll(() => noteTitles(page)).toEqual([])
    await send(page, "What's my name?")
    expect((await transcript(page)).at(-1)).toBe("You haven't told me your name yet.")
    await send(page, 'List my notes')
    expect((await transcript(page)).at(-1)).toBe('No notes saved yet.')
    await page.selectOption('#user', 'alice')
    await expect.poll(() => sidebarTitles(page)).toEqual(['My name is Alice'])
    await expect.poll(() => noteTitles(page)).toEqual(['Secret'])
    await reload(page)
    expect(await page.inputValue('#user')).toBe('alice')
  })

  test('vault: on, reload, a wrong passphrase is refused, the right one shows the history', async () => {
    const { page } = await freshApp()
    await send(page, 'My favorite color is green')
    await send(page, 'Save a note called Diary: nothing happened')
    const before = await transcript(page)
    await page.click('#vault-button')
    await page.fill('#vault-passphrase', 'correct horse battery')
    await page.fill('#vault-confirm', 'correct horse battery')
    await screenshot(page, '04-vault-dialog')
    await page.click('#vault-enable')
    await expect.poll(() => page.textContent('#vault-button'), { timeout: 10_000 }).toBe('Vault: encrypted')
    // Nothing readable is left in IndexedDB: items, titles and notes are ciphertext.
    const stored = await page.evaluate(async () => {
      const dump = async (name: string): Promise<string> => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name)
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
        const names = [...db.objectStoreNames]
        const tx = db.transaction(names)
        const all = await Promise.all(names.map((n) => new Promise((resolve) => (tx.objectStore(n).getAll().onsuccess = (e) => resolve((e.target as IDBRequest).result)))))
        db.close()
        return JSON.stringify(all)
      }
      return (await dump('idb-agents-demo')) + (await dump('idb-agents-demo-notes'))
    })
    expect(stored).not.toMatch(/green|Diary|nothing happened/)
    expect(stored).toContain('sealed:v1:')

    await reload(page)
    await expect.poll(() => page.isVisible('#lock-screen')).toBe(true)
    await page.fill('#unlock-passphrase', 'wrong horse')
    await page.click('#unlock-form button[type="submit"]')
    await expect.poll(() => page.textContent('#unlock-error'), { timeout: 10_000 }).toBe('Wrong passphrase. Nothing was read or changed; try again.')
    await screenshot(page, '05-vault-wrong-passphrase')
    await page.fill('#unlock-passphrase', 'correct horse battery')
    await page.click('#unlock-form button[type="submit"]')
    await expect.poll(() => page.isVisible('#lock-screen'), { timeout: 10_000 }).toBe(false)
    await expect.poll(() => transcript(page)).toEqual(before)
    await expect.poll(() => sidebarTitles(page)).toEqual(['My favorite color is green'])
    await expect.poll(() => noteTitles(page)).toEqual(['Diary'])
    // The encrypted conversation goes on, and branches.
    await send(page, "What's my favorite color?")
    expect((await transcript(page)).at(-1)).toBe('Your favorite color is green!')
    await page.click('#messages li.msg.user[data-turn="1"] button[aria-label="Edit message"]')
    await page.fill('#messages li.msg.user textarea', 'My favorite color is teal')
    await page.click('#messages li.msg.user button.primary')
    await expect.poll(() => transcript(page)).toEqual(['My favorite color is teal', "Got it! I'll remember that your favorite color is teal."])
    expect(await page.textContent('#messages li[data-turn="1"] .versions')).toContain('2 / 2')
  })

  test('export, delete, import: the conversation comes back equal', async () => {
    const { page } = await freshApp()
    await send(page, 'My favorite food is pizza')
    await send(page, 'Save a note called Recipe: dough, tomato')
    const before = await transcript(page)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    const file = await download.path()
    const exported = JSON.parse(await readFile(file, 'utf8')) as { session: { id: string }; exportedAt: number }
    expect(exported.session.id).toBe(await page.textContent('#session-id'))

    await page.click('#chat-list li[aria-current="true"] .act[title="Delete"]')
    await page.locator('dialog.in-page[open]').getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => sidebarTitles(page)).toEqual([])
    await page.setInputFiles('#import-file', file)
    await expect.poll(() => sidebarTitles(page)).toEqual(['My favorite food is pizza'])
    await expect.poll(() => transcript(page)).toEqual(before)
    const [again] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    const reexported = JSON.parse(await readFile(await again.path(), 'utf8')) as typeof exported
    expect({ ...reexported, exportedAt: 0 }).toEqual({ ...exported, exportedAt: 0 })
  })

  test('editing an earlier message makes a new version; the switcher goes back and forth', async () => {
    const { page } = await freshApp()
    await send(page, 'My favorite color is red')
    await send(page, "What's my favorite color?")
    await page.click('#messages li.msg.user[data-turn="1"] button[aria-label="Edit message"]')
    await page.fill('#messages li.msg.user textarea', 'My favorite color is purple')
    await page.click('#messages li.msg.user button.primary')
    await page.waitForSelector('#send', { state: 'visible' })
    await expect.poll(() => transcript(page)).toEqual(['My favorite color is purple', "Got it! I'll remember that your favorite color is purple."])
    await send(page, "What's my favorite color?")
    expect((await transcript(page)).at(-1)).toBe('Your favorite color is purple!')
    expect(await page.textContent('#messages li[data-turn="1"] .versions')).toContain('2 / 2')
    await screenshot(page, '06-versions')
    await page.click('#messages li[data-turn="1"] button[aria-label="Previous version"]')
    await expect.poll(() => transcript(page)).toEqual([
      'My favorite color is red',
      "Got it! I'll remember that your favorite color is red.",
      "What's my favorite color?",
      'Your favorite color is red!',
    ])
    await page.click('#messages li[data-turn="1"] button[aria-label="Next version"]')
    await expect.poll(() => (transcript(page)).then((rows) => rows.at(-1))).toBe('Your favorite color is purple!')
  })

  test('compaction: a long chat is summarized for the model; the marker shows where, the chat shows everything; edits branch off it', async () => {
    // Compact once 4 items could be folded; the newest 2 turns are kept verbatim.
    const { page } = await freshApp({ query: '?compactAfter=4' })
    await send(page, 'My favorite color is blue')
    await send(page, 'Hello')
    expect(await page.$('#messages li.compacted')).toBeNull()
    await send(page, 'Save a note called Groceries: milk') // 3 items: call, output, answer
    const marker = page.locator('#messages li.compacted')
    await expect.poll(() => marker.count()).toBe(1)
    expect(await marker.getAttribute('role')).toBe('note')
    expect(await marker.textContent()).toContain('Earlier messages were summarized for the model')
    // The marker sits before the two turns the model still sees verbatim; nothing is hidden.
    expect(await page.$eval('#messages li.compacted + li', (row) => row.textContent)).toContain('Hello')
    const shown = (await transcript(page)).filter((row) => row !== '')
    expect(shown.slice(0, 2)).toEqual(['My favorite color is blue', "Got it! I'll remember that your favorite color is blue."])
    // The model is sent the summary (the folded first turn lives only there) and still knows.
    await send(page, "What's my favorite color?")
    expect((await transcript(page)).at(-1)).toBe('Your favorite color is blue!')
    await marker.locator('summary').click()
    expect(await marker.locator('pre').textContent()).toContain('my favorite color is blue')
    await screenshot(page, '08-compaction-marker')
    await reload(page)
    await expect.poll(() => page.locator('#messages li.compacted').count()).toBe(1)
    expect((await transcript(page)).filter((row) => row !== '')).toHaveLength(9)

    // Editing branches the transcript; compaction follows the main path only, so the branch has no marker.
    await page.click('#messages li.msg.user[data-turn="2"] button[aria-label="Edit message"]')
    await page.fill('#messages li.msg.user textarea', 'My favorite color is green')
    await page.click('#messages li.msg.user button.primary')
    await page.waitForSelector('#send', { state: 'visible' })
    await expect.poll(() => transcript(page)).toEqual([
      'My favorite color is blue',
      "Got it! I'll remember that your favorite color is blue.",
      'My favorite color is green',
      "Got it! I'll remember that your favorite color is green.",
    ])
    await send(page, "What's my favorite color?")
    expect((await transcript(page)).at(-1)).toBe('Your favorite color is green!')
    await page.click('#messages li[data-turn="2"] button[aria-label="Previous version"]')
    await expect.poll(() => page.locator('#messages li.compacted').count()).toBe(1)
    expect((await transcript(page)).at(-1)).toBe('Your favorite color is blue!')
  })

  test('private window: without IndexedDB the app runs in memory and says history will not be kept', async () => {
    const { page } = await freshApp({
      init: () => Object.defineProperty(globalThis, 'indexedDB', { get: () => undefined, configurable: true }),
    })
    const banner = page.locator('#banner')
    expect(await banner.isVisible()).toBe(true)
    expect(await banner.textContent()).toContain('history will not be kept')
    expect(await page.isDisabled('#vault-button')).toBe(true)
    // The empty chat says so too, instead of promising the history stays.
    expect(await page.textContent('#messages li.hint')).toContain('in memory only: they are gone when you reload')
    await send(page, 'My favorite color is teal')
    await send(page, "What's my favorite color?")
    expect((await transcript(page)).at(-1)).toBe('Your favorite color is teal!')
    await send(page, 'Save a note called Private: not kept')
    await expect.poll(() => noteTitles(page)).toEqual(['Private'])
    await expect.poll(() => sidebarTitles(page)).toEqual(['My favorite color is teal'])
    await screenshot(page, '09-private-window')
    await reload(page)
    expect(await banner.isVisible()).toBe(true)
    expect(await page.$$('#messages li.msg')).toHaveLength(0)
    expect(await noteTitles(page)).toEqual([])
  })

  test('a second tab shows new messages live', async () => {
    const { context, page } = await freshApp()
    await send(page, 'Hello from tab one')
    const second = await context.newPage()
    await openApp(second, server.url)
    await expect.poll(() => transcript(second)).toEqual(await transcript(page))
    await send(page, 'My favorite animal is an owl')
    await expect.poll(() => transcript(second).then((rows) => rows.at(-1))).toBe("Got it! I'll remember that your favorite animal is an owl.")
    await send(page, 'Save a note called Owls: they hoot')
    await expect.poll(() => noteTitles(second)).toEqual(['Owls'])
  })
})

describe('demo dev proxy', { timeout: 60_000 }, () => {
  test('forwards to the API with the server-side key; the browser never sends one', async () => {
    const script = await createServerScript(inject('apiServerUrl'), ['Hello from the scripted API.'])
    const proxied = await startDevServer({ OPENAI_API_KEY: 'sk-test-server-side', OPENAI_BASE_URL: script.baseURL })
    try {
      const context = await newContext(browser)
      contexts.push(context)
      const page = await context.newPage()
      const sentAuth: Array<string | undefined> = []
      page.on('request', (request) => {
        if (request.url().includes('/api/openai/')) sentAuth.push(request.headers().authorization)
      })
      await openApp(page, proxied.url)
      await expect.poll(() => page.textContent('#connection-label')).toBe('gpt-4.1-mini via dev proxy')
      await send(page, 'Hi')
      expect((await transcript(page)).at(-1)).toBe('Hello from the scripted API.')
      const [request] = await script.requests()
      expect(request?.headers.authorization).toBe('Bearer sk-test-server-side')
      expect(sentAuth).toEqual([undefined])
    } finally {
      await proxied.close()
      await script.dispose()
    }
  })
})
