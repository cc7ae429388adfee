// The chat-app suite, part two: what makes it a chat app people keep using. The offline
// model understands natural phrasings; markdown renders safely; regenerate, times and dates,
// in-page dialogs, "(imported)" copies, scroll to bottom, the vault dialog, the storage meter.
import { expect, test } from 'vitest'
import { userBubbles, type ChatApp } from './chat-app-fixture.js'
import { decide } from './chat-app-approvals.js'
import { send, transcript, useProxy } from './support.js'

export function featureTests(app: ChatApp): void {
  const { freshApp, script, shot } = app
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
      if (tool === 'delete_note') await decide(page, 'Approve') // delete_note waits for the user's approval
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
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.server().url).origin })
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
}
