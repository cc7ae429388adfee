// The chat-app suite (chat-app.ts) against the production build (`npm run build:demo` +
// `npm run preview:demo`), where the offline model runs in the page.
import { describeChatApp } from './chat-app.js'
import { startProductionPreview } from './support.js'

describeChatApp('production build', startProductionPreview)
