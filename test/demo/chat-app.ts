// The demo as a chat app people keep using (issue 16), end to end in real Chromium. The
// same suite runs against the dev server (chat-app-dev.test.ts) and the production build
// (chat-app-build.test.ts).
import { describe } from 'vitest'
import { approvalTests } from './chat-app-approvals.js'
import { featureTests } from './chat-app-features.js'
import { useChatApp } from './chat-app-fixture.js'
import { sendingTests } from './chat-app-sending.js'
import type { Running } from './support.js'

/** Registers the suite; `start` starts the server the app is served from. */
export function describeChatApp(label: string, start: () => Promise<Running>): void {
  describe(`the demo as a chat app (${label})`, { timeout: 120_000 }, () => {
    const app = useChatApp(label, start)
    sendingTests(app)
    featureTests(app)
    approvalTests(app)
  })
}
