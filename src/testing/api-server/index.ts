// Node-only entry of the model API test server (it imports node:http). Browser code imports
// `createServerScript` from `idb-agents/testing` instead and reaches the server over HTTP.
export { startApiServer, type ApiServer, type ApiServerOptions, type RecordedRequest } from './server.js'
export { createServerScript, type ServerScript } from './client.js'
