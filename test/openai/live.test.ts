// Optional smoke test against the real API; runs only when OPENAI_API_KEY is set.
import { describe, expect, it } from 'vitest'
import { Agent } from '../../src/runner/agent.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import { Runner } from '../../src/runner/runner.js'
import { MemorySession } from '../../src/session/memory.js'

const apiKey = process.env.OPENAI_API_KEY

describe('live OpenAI API', () => {
  it.skipIf(!apiKey)('remembers the favorite color across two runs', { timeout: 60_000 }, async () => {
    const runner = new Runner({ client: createOpenAIClient({ apiKey: apiKey! }), model: process.env.OPENAI_MODEL ?? 'gpt-4.1-mini' })
    const agent = new Agent({ name: 'Memory Bot', instructions: 'You are a helpful assistant. Answer in one short sentence.' })
    const session = new MemorySession()
    await runner.run(agent, 'My favorite color is blue.', { session })
    const result = await runner.run(agent, "What's my favorite color?", { session })
    expect(result.finalOutput!.toLowerCase()).toContain('blue')
    expect(await session.getItems()).toHaveLength(4)
  })
})
