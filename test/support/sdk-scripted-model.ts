// A minimal @openai/agents Model for tests that run the SDK's own runner on our sessions.
import { Usage as SdkUsage, type AgentOutputItem, type Model as SdkModel, type ModelRequest as SdkModelRequest, type ModelResponse as SdkModelResponse } from '@openai/agents'

/** Answers from a list of outputs, one per request, recording the input it was sent. */
export class SdkScriptedModel implements SdkModel {
  readonly requests: SdkModelRequest[] = []
  constructor(private readonly outputs: AgentOutputItem[][]) {}
  async getResponse(request: SdkModelRequest): Promise<SdkModelResponse> {
    this.requests.push(structuredClone({ input: request.input }) as SdkModelRequest)
    const output = this.outputs.shift()
    if (!output) throw new Error('SdkScriptedModel: script exhausted')
    return { usage: new SdkUsage(), output, responseId: `resp_${this.requests.length}` }
  }
  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not scripted')
  }
}

/** One assistant message saying `text`, as a model output. */
export const say = (text: string): AgentOutputItem[] => [
  { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] },
]
