// `idb-agents/testing`: tools for testing apps built on idb-agents, in any test runner
// (node:test, Jest, vitest) and in the browser. The conformance suites, which need vitest,
// are `idb-agents/testing/vitest`; the model API test server, which needs Node, is
// `idb-agents/testing/api-server`.
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
