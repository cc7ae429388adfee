// The test server itself: control endpoints, isolation between scripts, CORS, exhaustion.
import { describe, expect, inject, it } from 'vitest'
import { Agent } from '../../src/runner/agent.js'
import { ModelHttpError } from '../../src/model/errors.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { Runner } from '../../src/runner/runner.js'
import { createServerScript } from '../../src/testing/api-server/client.js'

const serverUrl = inject('apiServerUrl')

describe('model API test server', () => {
  it('keeps scripts apart and records requests per script', async () => {
    const [a, b] = await Promise.all([createServerScript(serverUrl, ['from a']), createServerScript(serverUrl, ['from b'])])
    const agent = new Agent({ name: 'x' })
    const [ra, rb] = await Promise.all([
      new Runner({ client: createOpenAIClient({ baseURL: a.baseURL }) }).run(agent, 'to a'),
      new Runner({ client: createOpenAIClient({ baseURL: b.baseURL }) }).run(agent, 'to b'),
    ])
    expect([ra.finalOutput, rb.finalOutput]).toEqual(['from a', 'from b'])
    expect((await a.requests()).map((r) => (r.body as { input: { content: string }[] }).input[0]!.content)).toEqual(['to a'])
    expect(await b.requests()).toHaveLength(1)
  })

  it('answers an exhausted script with a 400 that names it, so the test fails clearly', async () => {
    const script = await createServerScript(serverUrl, [])
    const error = await new Runner({ client: createOpenAIClient({ baseURL: script.baseURL }) })
      .run(new Agent({ name: 'x' }), 'hi')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelHttpError)
    expect((error as Error).message).toMatch(new RegExp(`script ${script.id} has no turn left`))
  })

  it('answers CORS preflights with the requested headers allowed', async () => {
    const response = await fetch(`${serverUrl}/s/any/v1/responses`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, x-stainless-os' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization, x-stainless-os')
    expect(response.headers.get('access-control-expose-headers')).toMatch(/x-request-id/)
  })

  it('appends turns and forgets disposed scripts', async () => {
    const script = await createServerScript(serverUrl, [])
    await script.append('late')
    const runner = new Runner({ client: createOpenAIClient({ baseURL: script.baseURL }) })
    expect((await runner.run(new Agent({ name: 'x' }), 'hi')).finalOutput).toBe('late')
    await script.dispose()
    await expect(script.requests()).rejects.toThrow(/404/)
  })
})
