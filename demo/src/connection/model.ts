// Turns connection settings into the runner's Model.
import { createOpenAIClient, OpenAIResponsesModel, type Model } from '../../../src/index.js'
import { LocalDemoModel } from '../offline-model/local-model.js'
import { SetupError } from '../ui/problems.js'
import { DEMO_MODEL_URL, DEV_PROXY_URL, parseHeaders, type ConnectionSettings, type ServerCaps } from './settings.js'

export interface ResolvedModel {
  model: Model
  /** Shown in the top bar. */
  label: string
}

const localModel = new LocalDemoModel()

export function resolveModel(settings: ConnectionSettings, caps: ServerCaps): ResolvedModel {
  switch (settings.mode) {
    case 'offline':
      // One brain, two transports: over HTTP from the dev server while online, else in the page.
      if (caps.model && navigator.onLine) {
        return { model: new OpenAIResponsesModel(createOpenAIClient({ baseURL: DEMO_MODEL_URL, maxRetries: 0 }), 'idb-agents-demo'), label: 'Offline demo model (dev server)' }
      }
      return { model: localModel, label: 'Offline demo model (in this page)' }
    case 'dev-proxy':
      return { model: new OpenAIResponsesModel(createOpenAIClient({ baseURL: DEV_PROXY_URL }), settings.model), label: `${settings.model} via dev proxy` }
    case 'custom-proxy': {
      if (!settings.proxyURL) throw new SetupError('Enter your proxy URL in Connection settings to send messages.')
      const client = createOpenAIClient({ baseURL: settings.proxyURL, defaultHeaders: parseHeaders(settings.proxyHeaders) })
      return { model: new OpenAIResponsesModel(client, settings.model), label: `${settings.model} via your proxy` }
    }
    case 'direct': {
      if (!settings.apiKey) throw new SetupError('Enter your OpenAI API key in Connection settings to send messages.')
      const client = createOpenAIClient({ apiKey: settings.apiKey, dangerouslyAllowBrowser: true })
      return { model: new OpenAIResponsesModel(client, settings.model), label: `${settings.model} direct (key in this page)` }
    }
  }
}
