import OpenAI from 'openai'
import { InvalidArgumentError, messageOf } from '../errors.js'
import { createOpenAIClient, type OpenAIClientOptions } from './client.js'
import type { Model, ModelProvider } from '../model/model.js'
import { OpenAIChatCompletionsModel } from './chat-completions-model.js'
import { OpenAIResponsesModel } from './responses-model.js'

/** Options of {@link OpenAIProvider}. */
export interface OpenAIProviderOptions extends OpenAIClientOptions {
  /** A ready client; wins over the connection options. */
  client?: OpenAI
  /**
   * Which API the models use: the Responses API, or Chat Completions for
   * OpenAI-compatible servers.
   * @default 'responses'
   */
  api?: 'responses' | 'chat_completions'
}

/**
 * The built-in {@link ModelProvider}: model names become {@link OpenAIResponsesModel}s (or
 * {@link OpenAIChatCompletionsModel}s with `api: 'chat_completions'`) on one `openai`
 * client, created on first use.
 */
export class OpenAIProvider implements ModelProvider {
  readonly #options: OpenAIProviderOptions
  #client: OpenAI | undefined

  /** @param options - a client, or how to create one */
  constructor(options: OpenAIProviderOptions = {}) {
    this.#options = options
    this.#client = options.client
  }

  getModel(name: string): Model {
    const client = (this.#client ??= this.#createClient())
    return this.#options.api === 'chat_completions'
      ? new OpenAIChatCompletionsModel(client, name)
      : new OpenAIResponsesModel(client, name)
  }

  #createClient(): OpenAI {
    const { client: _client, api: _api, ...options } = this.#options
    if (options.apiKey !== undefined || options.baseURL !== undefined) return createOpenAIClient(options)
    try {
      // Node and tools with OPENAI_API_KEY in the environment.
      return new OpenAI(options)
    } catch (error) {
      throw new InvalidArgumentError(
        `No OpenAI client is configured (${messageOf(error)}). Pass one with new Runner({ client: ` +
          "createOpenAIClient({ baseURL: '/api/openai/v1' }) }) or setDefaultOpenAIClient(client).",
      )
    }
  }
}
