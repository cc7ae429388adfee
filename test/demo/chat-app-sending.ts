// The chat-app suite, part one: nothing typed is lost. A failed or stopped message stays with
// Retry (sent once); offline input waits and is sent by retryPendingWhenOnline when the network
// is back, on the compaction path too; a run goes on while another chat is open.
import { expect, test } from 'vitest'
import { userBubbles, userTexts, type ChatApp } from './chat-app-fixture.js'
import { openNewChat, send, transcript, type, useProxy } from './support.js'

export function sendingTests(app: ChatApp): void {
  const { freshApp, script, shot } = app
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
    await page.emulateMedia({ colorScheme: 'dark' })
    await shot(page, 'phone-dark-error')
    await page.emulateMedia({ colorScheme: 'light' })
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
    await openNewChat(page)
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

  test('waiting input of a chat that is not open is sent too when the network is back', async () => {
    const api = await script(['First answer.', 'Second answer.'])
    const { context, page } = await freshApp()
    await useProxy(page, api.baseURL)
    await send(page, 'First message')
    await context.setOffline(true)
    await send(page, 'Waiting in chat one')
    await expect.poll(() => page.locator('#messages li.msg.waiting').count(), { timeout: 20_000 }).toBe(1)
    await openNewChat(page)
    await context.setOffline(false)
    await expect.poll(async () => (await api.requests()).length, { timeout: 20_000 }).toBe(2)
    await page.click('#chat-list li .open')
    await expect.poll(() => transcript(page)).toEqual(['First message', 'First answer.', 'Waiting in chat one', 'Second answer.'])
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
}
