// Two devices with storage of their own: each a page in a fresh browser context of a
// second Chromium (test/support/providers/playwright-devices.ts), syncing through the real
// server (test/support/sync-server-global-setup.ts). Chromium only: the other engines'
// providers cannot open a second, separate context (the one-page fallback,
// two-devices.browser.test.ts, runs everywhere).
import { afterAll, describe, expect, inject, it } from 'vitest'
import { commands, server } from 'vitest/browser'

const url = inject('syncServerUrl')
const call = (id: string, method: string, ...args: unknown[]) => commands.deviceCall(id, method, args)
const unique = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`

describe.runIf(server.provider === 'playwright')('two browser contexts (separate storage) through the sync server', () => {
  afterAll(() => commands.closeDevices())

  it('offline appends on both, then reconnect: equal, every turn whole; then a live write arrives on the other', async () => {
    const user = unique('contexts')
    const laptop = await commands.openDevice()
    const phone = await commands.openDevice()
    await call(laptop, 'open', url, user, 'chat', false)
    await call(phone, 'open', url, user, 'chat', false)
    await call(laptop, 'add', ['shared?', 'shared!'])
    await call(laptop, 'sync')
    await call(phone, 'sync')
    expect(await call(phone, 'texts')).toEqual(['shared?', 'shared!'])

    await call(laptop, 'setNetwork', false)
    await call(phone, 'setNetwork', false)
    await call(laptop, 'add', ['laptop?', 'laptop!'])
    await call(phone, 'add', ['phone?', 'phone!'])
    await expect(call(phone, 'sync')).rejects.toThrow(/kept on this device/)
    expect(await call(phone, 'pending')).toBe(1)
    await call(laptop, 'setNetwork', true)
    await call(phone, 'setNetwork', true)
    await call(phone, 'sync')
    await call(laptop, 'sync')
    await call(phone, 'sync')
    const order = ['shared?', 'shared!', 'phone?', 'phone!', 'laptop?', 'laptop!']
    expect(await call(laptop, 'texts')).toEqual(order)
    expect(await call(phone, 'texts')).toEqual(order)
    expect(await call(laptop, 'turns')).toEqual([['shared?', 2], ['phone?', 2], ['laptop?', 2]])

    // Live: the phone's write reaches the laptop by itself.
    await call(laptop, 'close')
    await call(phone, 'close')
    await call(laptop, 'open', url, user, 'chat', true)
    await call(phone, 'open', url, user, 'chat', true)
    await call(phone, 'add', ['live?', 'live!'])
    await call(laptop, 'waitForCount', 8, 10_000)
    expect(await call(laptop, 'texts')).toEqual([...order, 'live?', 'live!'])
  })
})
