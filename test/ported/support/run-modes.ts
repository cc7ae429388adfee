// Running an agent non-streamed or streamed, so a ported case runs in both modes.
import { run, type Agent, type AgentItem, type RunOptions, type RunResult, type RunState } from '../../../src/index.js'

export type Mode = 'run' | 'stream'
export const modes: Mode[] = ['run', 'stream']

/** Runs to the end (or to a pause for approvals) in either mode; a streamed run's events are drained. */
export async function runIn(mode: Mode, agent: Agent, input: string | AgentItem[] | RunState, options: RunOptions = {}): Promise<RunResult> {
  if (mode === 'run') return run(agent, input, options)
  const stream = await run(agent, input, { ...options, stream: true })
  for await (const _event of stream) {
    // drain: the run only finishes once its events are consumed or dropped
  }
  return stream.completed
}
