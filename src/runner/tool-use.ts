// What happens after tools ran, as `toolUseBehavior` in `@openai/agents`: call the model
// again with their outputs, or stop and use a tool's output as the final output.
import type { FunctionCallItem, FunctionCallOutputItem } from '../items/types.js'

/**
 * What a run does once the model's tool calls of a turn have their outputs (`@openai/agents`'
 * names):
 * - `'run_llm_again'`: call the model again with the outputs, until it answers in text;
 * - `'stop_on_first_tool'`: stop; the first call's output is the final output;
 * - `{ stopAtToolNames }`: stop when one of these tools was called; the output of the first
 *   such call (in the model's order) is the final output. Otherwise run the model again.
 *
 * A tool call that was rejected (see `needsApproval`) did not run: its output is the
 * rejection, and the run calls the model again whatever this says.
 */
export type ToolUseBehavior = 'run_llm_again' | 'stop_on_first_tool' | { stopAtToolNames: string[] }

/**
 * The output that ends the run, or `undefined` to call the model again.
 * @param ran - the call ids whose tools actually ran (not rejected, not cancelled)
 */
export function finalToolOutput(
  behavior: ToolUseBehavior,
  calls: readonly FunctionCallItem[],
  outputs: readonly FunctionCallOutputItem[],
  ran: ReadonlySet<string>,
): string | undefined {
  if (behavior === 'run_llm_again') return undefined
  const stopping =
    behavior === 'stop_on_first_tool' ? calls.slice(0, 1) : calls.filter((call) => behavior.stopAtToolNames.includes(call.name)).slice(0, 1)
  const call = stopping[0]
  if (!call || !ran.has(call.call_id)) return undefined
  const output = outputs.find((item) => item.call_id === call.call_id)?.output
  if (output === undefined) return undefined
  return typeof output === 'string' ? output : JSON.stringify(output)
}
