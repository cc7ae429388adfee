// Runner test tools, browser-safe: the in-process ScriptedModel and the HTTP client of the
// model API test server. The server itself is Node-only: `src/testing/api-server/index.ts`.
export { ScriptedModel, type ScriptedResponder } from './scripted-model.js'
export type {
  ScriptedDisconnect,
  ScriptedHttpError,
  ScriptedReply,
  ScriptedStreamOptions,
  ScriptedToolCall,
  ScriptedTurn,
} from './script.js'
export { createServerScript, type ServerScript } from './api-server/client.js'
export type { RecordedRequest } from './api-server/server.js'
