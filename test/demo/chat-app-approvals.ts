// The chat-app suite, part three: human in the loop. delete_note waits for the user's
// approval; the question survives a reload; Approve deletes the note and the (offline)
// model answers; Reject keeps it; a new message instead of an answer cancels the call.
import type { Page } from 'playwright'
import { expect, test } from 'vitest'
import type { ChatApp } from './chat-app-fixture.js'
import { openApp, send, transcript } from './support.js'

/** Clicks Approve or Reject on the waiting question and waits until the run has answered. */
export async function decide(page: Page, choice: 'Approve' | 'Reject'): Promise<void> {
  await page.click(`#messages li.approval button:text-is("${choice}")`)
  await page.waitForFunction(() => !document.querySelector('#messages li.approval') && !document.querySelector('.msg.streaming'))
  await page.waitForSelector('#send', { state: 'visible' })
}

const noteTitles = (page: Page): Promise<string[]> => page.$$eval('#notes-list strong', (rows) => rows.map((row) => row.textContent ?? ''))

export function approvalTests(app: ChatApp): void {
  const { freshApp, shot } = app
  test('delete_note asks first; the question survives a reload; Approve deletes the note and the model answers', async () => {
    const { page } = await freshApp({ query: '?compactAfter=1000' })
    await send(page, 'Save a note called Groceries: milk, eggs')
    await expect.poll(() => noteTitles(page)).toEqual(['Groceries'])
    await send(page, 'delete the groceries note')
    const question = page.locator('#messages li.approval')
    expect(await question.count()).toBe(1)
    expect(await question.textContent()).toContain('Delete the note “groceries”?')
    expect(await noteTitles(page)).toEqual(['Groceries']) // nothing deleted yet
    await shot(page, 'approval-asked')

    await openApp(page, page.url()) // reload while it waits
    await page.waitForSelector('#messages li.approval')
    expect(await page.locator('#messages li.approval').textContent()).toContain('Delete the note “groceries”?')
    expect(await transcript(page)).toContain('delete the groceries note')
    await shot(page, 'approval-after-reload')

    await decide(page, 'Approve')
    expect((await transcript(page)).at(-1)).toBe("Done. Deleted note 'groceries'.")
    await expect.poll(() => noteTitles(page)).toEqual([])
    await shot(page, 'approval-approved')
    // Stored whole: after another reload the turn is there, with no question left.
    await openApp(page, page.url())
    expect(await page.locator('#messages li.approval').count()).toBe(0)
    expect((await transcript(page)).at(-1)).toBe("Done. Deleted note 'groceries'.")
  })

  test('Reject keeps the note and the model says so; a new message instead of an answer cancels the call', async () => {
    const { page } = await freshApp({ query: '?compactAfter=1000' })
    await send(page, 'Save a note called Trip: book the train')
    await send(page, 'delete the trip note')
    await decide(page, 'Reject')
    expect((await transcript(page)).at(-1)).toBe('OK, I did not delete it. The note is still there.')
    expect(await noteTitles(page)).toEqual(['Trip'])

    await send(page, 'delete the trip note')
    expect(await page.locator('#messages li.approval').count()).toBe(1)
    await send(page, 'what notes do I have?')
    expect(await page.locator('#messages li.approval').count()).toBe(0)
    const rows = await transcript(page)
    expect(rows.some((row) => row.includes('delete_note') && row.includes('cancelled'))).toBe(true)
    expect(rows.at(-1)).toContain('Trip: book the train')
    expect(await noteTitles(page)).toEqual(['Trip'])
  })
}
