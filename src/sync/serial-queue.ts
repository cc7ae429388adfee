/**
 * Runs tasks one after the other, in the order they were queued, whether earlier ones
 * succeeded or failed: what every decorator uses to make its calls take effect in the order
 * they were made.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve()

  /** Runs `task` after every task queued before it; resolves or rejects as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once every task queued so far has settled (for reads that must see them). */
  async settled(): Promise<void> {
    await this.#tail
  }
}
