// vitest globalSetup: starts the model API test server once per project and hands its URL
// to the tests (`inject('apiServerUrl')`), in Node and in the browser alike.
import type { TestProject } from 'vitest/node'
import { startApiServer } from '../../src/testing/api-server/index.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startApiServer()
  project.provide('apiServerUrl', server.url)
  return () => server.close()
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the model API test server. */
    apiServerUrl: string
  }
}
