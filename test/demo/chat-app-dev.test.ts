// The chat-app suite (chat-app.ts) against `npm run demo`, the vite dev server.
import { describeChatApp } from './chat-app.js'
import { startDevServer } from './support.js'

describeChatApp('dev server', () => startDevServer())
