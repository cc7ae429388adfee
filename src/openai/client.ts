import OpenAI from 'openai'

/**
 * The `openai` client a session makes when none was given: `new OpenAI()`, which reads
 * `OPENAI_API_KEY` (Node) and refuses in a browser. `explain` turns that refusal into the
 * session's own typed error, saying how to pass a client.
 */
export function defaultOpenAIClient(explain: (cause: unknown) => Error): OpenAI {
  try {
    return new OpenAI()
  } catch (error) {
    throw explain(error)
  }
}
