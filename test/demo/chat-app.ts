// The demo as a chat app people keep using (issue 16), end to end in real Chromium. The
// same suite runs against the dev server (chat-app-dev.test.ts) and the production build
// (chat-app-build.test.ts). Model failures, slow streams and hostile markdown come from
// scripts on the local test server, reached through "Your proxy"; nothing leaves this machine.
import type { Browser, BrowserContext, Page } from 'playwright'
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { createServerScript, type ServerScript } from '../../src/testing/api-server/client.js'
import { launchChromium, newContext, openApp, screenshot, send, transcript, type, useProxy, type Running } from './support.js'

interface Fixture {
  context: BrowserContext
  page: Page
}

/** Registers the suite; `start` starts the server the app is served from. */
export function describeChatApp(label: string, start: () => Promise<Running>): void {
  let server: Running
  let browser: Browser
  const contexts: BrowserContext[] = []
  const scripts: ServerScript[] = []
  const shot = (page: Page, name: string) => screenshot(page, `${label === 'dev server' ? 'dev' : 'build'}-${name}`)

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([start(), launchChromium()])
  }, 120_000)

  afterEach(async (context) => {
    const open = contexts.splice(0)
    if (context.task.result?.state === 'fail') {
      const page = open.at(-1)?.pages().at(-1)
      if (page) await shot(page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}-${process.pid}`).catch(() => {})
    }
    await Promise.all(open.map((c) => c.close()))
    await Promise.all(scripts.splice(0).map((s) => s.dispose()))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  /** A fresh profile with the app open; a browser dialog (prompt, confirm, alert) fails the test. */
  async function freshApp(options: { query?: string; width?: number; height?: number; init?: () => void } = {}): Promise<Fixture> {
    const context = await newContext(browser, options)
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

  async function script(turns: Parameters<typeof createServerScript>[1]): Promise<ServerScript> {
    const created = await createServerScript(inject('apiServerUrl'), turns)
    scripts.push(created)
    return created
  }

  /** The user messages a request sent to the model. */
  const userTexts = (body: unknown): string[] =>
    ((body as { input?: Array<{ role?: string; content?: unknown }> }).input ?? [])
      .filter((item) => item.role === 'user')
      .map((item) => (typeof item.content === 'string' ? item.content : JSON.stringify(item.content)))

  const userBubbles = (page: Page, text: string) => page.locator('#messages li.msg.user .text', { hasText: text })

  describe(`the demo as a chat app (${label})`, { timeout: 120_000 }, () => {
    test('a failed send keeps the text; the error is a sentence with Details; Retry sends it once', async () => {
      const api = await script([{ status: 401, message: 'Incorrect API key provided: sk-fake..' }, 'Hello **again**!'])
      const { page } = await freshApp()
      await useProxy(page, api.baseURL)
      await send(page, 'Keep this text')
      const failed = page.locator('#messages li.msg.unsent')
      await expect.poll(() => failed.count()).toBe(1)
      expect(await failed.locator('.text').textContent()).toBe('Keep this text')
      expect(await failed.locator('.sentence').textContent()).toBe(
        'The model service refused the API key. Check the key, or your proxy’s credentials, in Connection settings.',
      )
      // The technical text is there, behind "Details".
      expect(await failed.locator('details pre').isVisible()).toBe(false)
      await failed.locator('details summary').click()
      expect(await failed.locator('details pre').textContent()).toMatch(/^\[model_http\] The model API answered 401/)
      await shot(page, 'error-with-details')
      await page.setViewportSize({ width: 375, height: 740 })
      await page.waitForTimeout(300) // the sidebar slides away as the layout changes
      await shot(page, 'phone-error')
      await page.setViewportSize({ width: 1100, height: 720 })

      await failed.getByRole('button', { name: 'Retry' }).click()
      await expect.poll(() => transcript(page)).toEqual(['Keep this text', 'Hello again!'])
      expect(await page.locator('#messages strong').textContent()).toBe('again')
      expect(await failed.count()).toBe(0)
      const requests = await api.requests()
      expect(requests).toHaveLength(2)
      expect(userTexts(requests[1]?.body)).toEqual(['Keep this text'])
      // Nothing stale is left: no error anywhere.
      expect(await page.locator('.problem').count()).toBe(0)
    })

    test('Escape stops the answer; the text stays with Retry, which sends it once', async () => {
      const api = await script([{ text: 'one two three four five six seven', stream: { stallAfter: 2 } }, 'The whole answer.'])
      const { page } = await freshApp()
      await useProxy(page, api.baseURL)
      await type(page, 'Tell me a long story')
      await page.waitForFunction(() => document.querySelector('.msg.streaming .text')?.textContent?.includes('two'))
      await page.keyboard.press('Escape')
      const stopped = page.locator('#messages li.msg.unsent')
      await expect.poll(() => stopped.count()).toBe(1)
      expect(await stopped.locator('.badge').textContent()).toBe('stopped')
      expect(await stopped.locator('.text').textContent()).toBe('Tell me a long story')
      expect(await page.isVisible('#send')).toBe(true)
      await stopped.getByRole('button', { name: 'Retry' }).click()
      await expect.poll(() => transcript(page)).toEqual(['Tell me a long story', 'The whole answer.'])
      const requests = await api.requests()
      expect(requests).toHaveLength(2)
      expect(userTexts(requests[1]?.body)).toEqual(['Tell me a long story'])
    })

    test('opening another chat while an answer streams loses nothing: the answer lands, drafts stay per chat', async () => {
      const api = await script([{ text: 'one two three four five six seven eight', stream: { chunkDelayMs: 120 } }])
      const { page } = await freshApp()
      await useProxy(page, api.baseURL)
      await type(page, 'A question that takes a while')
      await page.waitForFunction(() => document.querySelector('.msg.streaming .text')?.textContent?.includes('one'))
      const first = await page.textContent('#session-id')
      await page.click('#new-chat')
      await expect.poll(() => page.textContent('#session-id')).not.toBe(first)
      expect(await page.inputValue('#message')).toBe('')
      await page.fill('#message', 'a draft for the new chat')
      await page.click('#chat-list li .open')
      await expect.poll(() => page.textContent('#session-id')).toBe(first)
      await expect.poll(() => transcript(page)).toEqual(['A question that takes a while', 'one two three four five six seven eight'])
      expect(await page.locator('.msg.unsent').count()).toBe(0)
      await page.click('#new-chat')
      await expect.poll(() => page.inputValue('#message')).toBe('a draft for the new chat')
    })

    test('offline, on the compaction path: the message waits to send and lands once when back online', async () => {
      const { context, page } = await freshApp({ query: '?compactAfter=2' })
      await send(page, 'My favorite color is blue')
      await send(page, 'Hello')
      await send(page, 'Save a note called Groceries: milk')
      await expect.poll(() => page.locator('#messages li.compacted').count()).toBe(1)
      // The second turn answers the compaction that follows the fourth turn.
      const api = await script(['Welcome back.', 'The user likes blue.'])
      await useProxy(page, api.baseURL)

      await context.setOffline(true)
      await send(page, 'Sent while offline')
      const waiting = page.locator('#messages li.msg.waiting')
      await expect.poll(() => waiting.count(), { timeout: 20_000 }).toBe(1)
      expect(await waiting.locator('.text').textContent()).toBe('Sent while offline')
      expect(await waiting.locator('.badge').textContent()).toBe('waiting to send')
      expect(await page.inputValue('#message')).toBe('')
      expect(await page.locator('.msg.unsent').count()).toBe(0)
      await shot(page, 'waiting-to-send')

      await context.setOffline(false)
      await expect.poll(() => waiting.count(), { timeout: 20_000 }).toBe(0)
      await expect.poll(() => transcript(page).then((rows) => rows.slice(-2))).toEqual(['Sent while offline', 'Welcome back.'])
      expect(await userBubbles(page, 'Sent while offline').count()).toBe(1)
      const sent = (await api.requests()).filter((request) => userTexts(request.body).at(-1) === 'Sent while offline')
      expect(sent).toHaveLength(1)
      // Sent through the compacted history: the summary, then the newest turns.
      expect(JSON.stringify(sent[0]?.body)).toContain('Summary of the earlier conversation')
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      await expect.poll(() => userBubbles(page, 'Sent while offline').count()).toBe(1)
      expect(await page.locator('#messages li.msg.waiting').count()).toBe(0)
    })

    test('twenty natural phrasings of the notes actions reach the right tool; the color is remembered', async () => {
      const { page } = await freshApp({ query: '?compactAfter=1000' })
      const phrasings: Array<[string, string]> = [
        ['Save a note called Groceries: milk, eggs', 'save_note'],
        ['note to self: call mom', 'save_note'],
        ['Can you make a note that the dentist is on Friday?', 'save_note'],
        ['jot down: water the plants', 'save_note'],
        ['what notes do I have?', 'list_notes'],
        ['show me all my notes', 'list_notes'],
        ['do I have any notes?', 'list_notes'],
        ["what's in my notes?", 'list_notes'],
        ['find notes about milk', 'search_notes'],
        ['do I have a note about the dentist?', 'search_notes'],
        ['which notes mention mom?', 'search_notes'],
        ['look up plants in my notes', 'search_notes'],
        ['change the Groceries note to milk and bread', 'update_note'],
        ['add cheese to my groceries note', 'update_note'],
        ['edit my Call mom note: call mom on Sunday', 'update_note'],
        ['please update the note called Water the plants to say water them daily', 'update_note'],
        ['delete the groceries note', 'delete_note'],
        ['get rid of my Call mom note', 'delete_note'],
        ['remove the note called Water the plants', 'delete_note'],
        ['Could you erase the Dentist is on Friday note?', 'delete_note'],
      ]
      for (const [text, tool] of phrasings) {
        const before = await page.locator('#messages li.tool').count()
        await send(page, text)
        const lines = page.locator('#messages li.tool')
        await expect.poll(() => lines.count(), { message: text }).toBeGreaterThan(before)
        expect(await lines.last().getAttribute('data-tool'), text).toBe(tool)
        expect(await lines.last().locator('summary').textContent(), text).not.toContain('Error')
      }
      expect((await transcript(page)).filter((row) => row.includes('milk and bread, cheese')).length).toBeGreaterThan(0)
      await expect.poll(() => page.$$eval('#notes-list strong', (rows) => rows.length)).toBe(0)
      await send(page, 'Blue is my favorite color')
      await send(page, 'do you remember my favourite colour?')
      expect((await transcript(page)).at(-1)).toBe('Your favorite color is Blue!')
      await send(page, 'the weather is nice today')
      expect((await transcript(page)).at(-1)?.split(/\s+/).length).toBeLessThan(30)
    })

    test('markdown renders safely: no script runs, no onerror, links open safely, code blocks copy', async () => {
      const hostile = [
        'Here is **bold** and a [safe link](https://example.com/docs).',
        '',
        '<script>window.__pwned = "script"</script>',
        '<img src="x" onerror="window.__pwned = \'onerror\'">',
        '[bad link](javascript:window.__pwned="link")',
        '<a href="https://example.com" onclick="window.__pwned=\'click\'">raw anchor</a>',
        '',
        '```js',
        'console.log("copied")',
        '```',
      ].join('\n')
      const api = await script([hostile])
      const { context, page } = await freshApp()
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin })
      await send(page, 'Show me some markdown')
      const answer = page.locator('#messages li.msg.assistant').last()
      expect(await answer.locator('h2').textContent()).toBe('Markdown works')
      expect(await answer.locator('.code-block code').textContent()).toContain("new IndexedDBSession('alice')")
      await shot(page, 'markdown-code-block')
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, 'dark-mode')
      await page.emulateMedia({ colorScheme: 'light' })

      await useProxy(page, api.baseURL)
      await send(page, 'Try to break the page')
      const reply = page.locator('#messages li.msg.assistant').last()
      expect(await reply.locator('strong').textContent()).toBe('bold')
      expect(await page.locator('#messages script, #messages [onerror], #messages [onclick], #messages img').count()).toBe(0)
      expect(await page.locator('#messages a[href^="javascript:"]').count()).toBe(0)
      const links = await reply.locator('a').evaluateAll((anchors) => anchors.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')]))
      expect(links).toContainEqual(['safe link', 'https://example.com/docs', '_blank', 'noopener noreferrer'])
      for (const [, , target, rel] of links) expect([target, rel]).toEqual(['_blank', 'noopener noreferrer'])
      await reply.locator('a', { hasText: 'raw anchor' }).click({ modifiers: ['Control'] }).catch(() => {})
      expect(await page.evaluate(() => (window as { __pwned?: string }).__pwned)).toBeUndefined()
      await reply.locator('.code-block button').click()
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('console.log("copied")\n')
      expect(await reply.locator('.code-block button').textContent()).toBe('Copied')
    })

    test('regenerate makes a new version of the last answer; messages and chats show times and dates', async () => {
      const { page } = await freshApp()
      await send(page, 'My favorite color is blue')
      await send(page, "What's my favorite color?")
      expect(await page.locator('#messages button[aria-label="Regenerate answer"]').count()).toBe(1)
      await page.click('#messages button[aria-label="Regenerate answer"]')
      await page.waitForSelector('#send', { state: 'visible' })
      await expect.poll(() => page.textContent('#messages li[data-turn="2"] .versions')).toContain('2 / 2')
      expect((await transcript(page)).slice(-2)).toEqual(["What's my favorite color?", 'Your favorite color is blue!'])
      await page.click('#messages li[data-turn="2"] button[aria-label="Previous version"]')
      await expect.poll(() => page.textContent('#messages li[data-turn="2"] .versions')).toContain('1 / 2')
      expect(await userBubbles(page, "What's my favorite color?").count()).toBe(1)

      const times = await page.$$eval('#messages li.msg time', (rows) => rows.map((t) => [t.getAttribute('datetime'), t.textContent]))
      expect(times.length).toBe(4)
      for (const [iso, text] of times) {
        expect(Math.abs(Date.parse(iso ?? '') - Date.now())).toBeLessThan(10 * 60_000)
        expect(text).toMatch(/^\d{1,2}:\d{2}/)
      }
      const date = await page.$eval('#chat-list li[aria-current="true"] .when time', (t) => [t.getAttribute('datetime'), t.textContent])
      expect(date[1]).toMatch(/^\d{1,2}:\d{2}/)
    })

    test('rename and delete use in-page dialogs; an imported copy is named "(imported)"', async () => {
      const { page } = await freshApp()
      await send(page, 'My favorite food is pizza')
      await page.click('#chat-list li[aria-current="true"] .act[title="Rename"]')
      const dialog = page.locator('dialog.in-page[open]')
      await expect.poll(() => dialog.count()).toBe(1)
      expect(await dialog.locator('input').inputValue()).toBe('My favorite food is pizza')
      await dialog.locator('input').fill('Food')
      await shot(page, 'dialog-rename')
      await dialog.getByRole('button', { name: 'Rename' }).click()
      await expect.poll(() => page.$$eval('#chat-list .open .title', (rows) => rows.map((r) => r.textContent))).toEqual(['Food'])

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
      const file = await download.path()
      await page.setInputFiles('#import-file', file)
      await expect.poll(() => page.textContent('#chat-title')).toBe('Food (imported)')
      await page.setInputFiles('#import-file', file)
      await expect.poll(() => page.$$eval('#chat-list .open .title', (rows) => rows.map((r) => r.textContent).sort())).toEqual([
        'Food',
        'Food (imported)',
        'Food (imported)',
      ])
      expect(await transcript(page)).toEqual(['My favorite food is pizza', "Got it! I'll remember that your favorite food is pizza."])

      await page.click('#chat-list li[aria-current="true"] .act[title="Delete"]')
      await expect.poll(() => dialog.count()).toBe(1)
      await shot(page, 'dialog-delete')
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => page.locator('#chat-list li').count()).toBe(3)
      await page.click('#chat-list li[aria-current="true"] .act[title="Delete"]')
      await dialog.getByRole('button', { name: 'Delete' }).click()
      await expect.poll(() => page.locator('#chat-list li').count()).toBe(2)
    })

    test('"Scroll to bottom" appears while reading history and brings the newest message back', async () => {
      const { page } = await freshApp({ height: 560 })
      for (let i = 0; i < 3; i++) await send(page, 'Show me some markdown')
      const button = page.getByRole('button', { name: 'Scroll to the newest message' })
      expect(await button.isVisible()).toBe(false)
      await page.$eval('#messages', (list) => list.scrollTo({ top: 0 }))
      await expect.poll(() => button.isVisible()).toBe(true)
      await shot(page, 'scroll-to-bottom')
      await button.click()
      await expect.poll(() => page.$eval('#messages', (l) => l.scrollHeight - l.scrollTop - l.clientHeight)).toBeLessThan(50)
      await expect.poll(() => button.isVisible()).toBe(false)
    })

    test('vault: Lock now holds across reloads on a remembered device; change passphrase, forget device, turn off', async () => {
      const { page } = await freshApp()
      await send(page, 'My favorite color is green')
      await send(page, 'Save a note called Diary: quiet day')
      await page.click('#vault-button')
      await page.fill('#vault-passphrase', 'first passphrase')
      await page.fill('#vault-confirm', 'first passphrase')
      await page.check('#vault-remember')
      await page.click('#vault-enable')
      await expect.poll(() => page.textContent('#vault-button'), { timeout: 15_000 }).toBe('Vault: encrypted')

      await page.click('#vault-button')
      await expect.poll(() => page.textContent('#vault-device-state')).toContain('This device is remembered')
      await shot(page, 'dialog-vault')
      await page.click('#vault-lock')
      await expect.poll(() => page.isVisible('#lock-screen')).toBe(true)
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      expect(await page.isVisible('#lock-screen')).toBe(true) // remembered, yet locked until the passphrase
      await page.fill('#unlock-passphrase', 'first passphrase')
      await page.click('#unlock-form button[type="submit"]')
      await expect.poll(() => page.isVisible('#lock-screen'), { timeout: 15_000 }).toBe(false)
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      expect(await page.isVisible('#lock-screen')).toBe(false) // unlocked by the passphrase: the device opens it again

      await page.click('#vault-button')
      await page.click('#vault-forget')
      await expect.poll(() => page.textContent('#vault-device-state')).toContain('not remembered')
      await page.click('#vault-change summary')
      await page.fill('#vault-current', 'not it at all')
      await page.fill('#vault-new', 'second passphrase')
      await page.fill('#vault-new-confirm', 'second passphrase')
      await page.click('#vault-change-submit')
      await expect.poll(() => page.textContent('#vault-error'), { timeout: 15_000 }).toBe('Wrong passphrase. Nothing was changed; try again.')
      await page.fill('#vault-current', 'first passphrase')
      await page.click('#vault-change-submit')
      await expect.poll(() => page.textContent('#vault-error'), { timeout: 15_000 }).toBe('Passphrase changed. Use the new one from now on.')
      await page.click('#vault-form button[value="cancel"]')
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      expect(await page.isVisible('#lock-screen')).toBe(true) // the device was forgotten
      await page.fill('#unlock-passphrase', 'first passphrase')
      await page.click('#unlock-form button[type="submit"]')
      await expect.poll(() => page.textContent('#unlock-error'), { timeout: 15_000 }).toBe('Wrong passphrase. Nothing was read or changed; try again.')
      await page.fill('#unlock-passphrase', 'second passphrase')
      await page.click('#unlock-form button[type="submit"]')
      await expect.poll(() => page.isVisible('#lock-screen'), { timeout: 15_000 }).toBe(false)

      await page.click('#vault-button')
      await page.click('#vault-off-section summary')
      await page.fill('#vault-off-passphrase', 'second passphrase')
      await page.click('#vault-turn-off')
      const confirm = page.locator('dialog.in-page[open]')
      await expect.poll(() => confirm.count(), { timeout: 15_000 }).toBe(1)
      await confirm.getByRole('button', { name: 'Turn off' }).click()
      await expect.poll(() => page.textContent('#vault-button'), { timeout: 15_000 }).toBe('Vault: off')
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      expect(await page.isVisible('#lock-screen')).toBe(false)
      await expect.poll(() => transcript(page)).toContain("Got it! I'll remember that your favorite color is green.")
      await expect.poll(() => page.$$eval('#notes-list strong', (rows) => rows.map((r) => r.textContent))).toEqual(['Diary'])
      await expect.poll(() => page.$$eval('#chat-list .open .title', (rows) => rows.map((r) => r.textContent))).toEqual(['My favorite color is green'])
      await send(page, "What's my favorite color?")
      expect((await transcript(page)).at(-1)).toBe('Your favorite color is green!')
    })

    test('with the vault on, offline input is never stored in clear: it stays unsent with Retry, which sends it once', async () => {
      const api = await script(['Sent after all.'])
      const { context, page } = await freshApp()
      await page.click('#vault-button')
      await page.fill('#vault-passphrase', 'private passphrase')
      await page.fill('#vault-confirm', 'private passphrase')
      await page.click('#vault-enable')
      await expect.poll(() => page.textContent('#vault-button'), { timeout: 15_000 }).toBe('Vault: encrypted')
      await useProxy(page, api.baseURL)
      await context.setOffline(true)
      await send(page, 'Private and offline')
      const unsent = page.locator('#messages li.msg.unsent')
      await expect.poll(() => unsent.count(), { timeout: 20_000 }).toBe(1)
      expect(await unsent.locator('.sentence').textContent()).toBe('You are offline, so the model cannot be reached.')
      expect(await page.locator('#messages li.msg.waiting').count()).toBe(0)
      const stored = await page.evaluate(async () => {
        const names = (await indexedDB.databases()).map((db) => db.name ?? '')
        let all = JSON.stringify({ ...localStorage })
        for (const name of names) {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const request = indexedDB.open(name)
            request.onsuccess = () => resolve(request.result)
            request.onerror = () => reject(request.error)
          })
          const stores = [...db.objectStoreNames]
          if (stores.length > 0) {
            const tx = db.transaction(stores)
            for (const store of stores) all += JSON.stringify(await new Promise((resolve) => (tx.objectStore(store).getAll().onsuccess = (e) => resolve((e.target as IDBRequest).result))))
          }
          db.close()
        }
        return all
      })
      expect(stored).not.toContain('Private and offline')
      await context.setOffline(false)
      await expect.poll(() => unsent.locator('.sentence').textContent()).toBe('You are back online: Retry to send it.')
      await unsent.getByRole('button', { name: 'Retry' }).click()
      await expect.poll(() => transcript(page)).toEqual(['Private and offline', 'Sent after all.'])
      expect(await api.requests()).toHaveLength(1)
    })

    test('the storage meter has an accessible name and refreshes as the user chats', async () => {
      const { page } = await freshApp({
        init: () => {
          const estimate = navigator.storage.estimate.bind(navigator.storage)
          const counted = window as unknown as { __estimates: number }
          counted.__estimates = 0
          navigator.storage.estimate = () => (counted.__estimates++, estimate())
        },
      })
      const meter = page.getByRole('meter', { name: 'Storage used by this app' })
      expect(await meter.isVisible()).toBe(true)
      expect(await meter.getAttribute('aria-valuetext')).toMatch(/MB of/)
      const estimates = () => page.evaluate(() => (window as unknown as { __estimates: number }).__estimates)
      const before = await estimates()
      await send(page, 'Save a note called Big: ' + 'lorem ipsum '.repeat(2000))
      await expect.poll(estimates).toBeGreaterThan(before)
    })
  })
}
