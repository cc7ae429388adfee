import { Usage } from '../model/usage.js'

/**
 * What tools and dynamic instructions see of a run: the app's own context object (the
 * Python SDK's `RunContextWrapper[T].context`), the usage so far and the run's signal.
 *
 * @typeParam TContext - the app's context type, e.g. `{ userId: string; notes: Note[] }`
 */
export class RunContext<TContext = unknown> {
  /** The object passed as `run(…, { context })`; shared by reference, tools may change it. */
  readonly context: TContext
  /** Token usage so far in this run. */
  readonly usage: Usage
  /** The run's abort signal, for tools that do their own I/O. */
  readonly signal: AbortSignal | undefined

  /**
   * @param context - the app's context object
   * @param signal - the run's abort signal
   */
  constructor(context: TContext, signal?: AbortSignal, usage: Usage = new Usage()) {
    this.context = context
    this.signal = signal
    this.usage = usage
  }
}
