// One run at a time per session, across every tab and worker of the origin, with the Web
// Locks API: the lock is held for the whole turn and released by the browser when the
// callback settles, when the tab closes, or when it crashes. Without Web Locks (Safari
// before 15.4, some embedded webviews, Node) runs queue within this realm only.

/** How runs are serialized here: across tabs (`'web-locks'`) or within this realm only (`'in-tab'`). */
export type RunLockMode = 'web-locks' | 'in-tab'

/** Options of {@link withRunLock}. */
export interface RunLockOptions {
  /**
   * Stops waiting for the lock: the returned promise rejects with the signal's reason and
   * the task never runs. Once the task has started, abort it through the same signal; the
   * lock is released when it settles.
   */
  signal?: AbortSignal | undefined
}

type Locks = Pick<LockManager, 'request' | 'query'>

function webLocks(): Locks | undefined {
  const locks = typeof navigator === 'undefined' ? undefined : (navigator as { locks?: Locks }).locks
  return typeof locks?.request === 'function' ? locks : undefined
}

/** Whether runs of one session are serialized across tabs here, or only within this tab. */
export function runLockMode(): RunLockMode {
  return webLocks() ? 'web-locks' : 'in-tab'
}

/** The Web Lock name runs of session `sessionId` hold (also usable with `navigator.locks.query()`). */
export function runLockName(sessionId: string): string {
  return `idb-agents:run:${sessionId}`
}

/**
 * Runs `task` while holding session `sessionId`'s run lock, so no other run of that
 * session, in this tab or any other tab or worker of the origin, overlaps it. `run()` does
 * this for you; use it for your own multi-step writes that must not interleave with a run.
 *
 * The lock is released when `task` settles (resolved, thrown, or aborted) and when the tab
 * holding it closes or crashes. Locks are not re-entrant: calling `run()` (without
 * `runLock: false`) inside `task` for the same session waits forever.
 *
 * Where the Web Locks API is missing ({@link runLockMode} is `'in-tab'`), runs queue in this
 * tab only: two tabs can still run one session at once. Each `addItems` still lands whole,
 * but the two turns may interleave and neither model call sees the other's turn.
 *
 * @param sessionId - the session whose runs are serialized
 * @param task - the work to do while holding the lock
 * @returns what `task` returns
 * @throws the signal's reason when aborted while waiting; whatever `task` throws
 */
export async function withRunLock<T>(sessionId: string, task: () => Promise<T>, options: RunLockOptions = {}): Promise<T> {
  const { signal } = options
  signal?.throwIfAborted()
  const name = runLockName(sessionId)
  const locks = webLocks()
  if (!locks) return queueInTab(name, task, signal)
  let started = false
  try {
    return await locks.request(name, signal ? { signal } : {}, () => {
      started = true
      return task()
    })
  } catch (error) {
    // Opaque origins (sandboxed iframes, data: URLs) refuse Web Locks with SecurityError
    // before anything ran: fall back rather than fail the run.
    if (!started && (error as { name?: unknown } | null)?.name === 'SecurityError') return queueInTab(name, task, signal)
    if (!started && signal?.aborted) throw signal.reason
    throw error
  }
}

/**
 * True when some tab or worker of the origin holds or waits for session `sessionId`'s run
 * lock, e.g. to show "answering in another tab". Only this tab's runs are seen where
 * {@link runLockMode} is `'in-tab'`.
 */
export async function isRunLocked(sessionId: string): Promise<boolean> {
  const name = runLockName(sessionId)
  const locks = webLocks()
  if (!locks) return queues.has(name)
  const { held = [], pending = [] } = await locks.query()
  return [...held, ...pending].some((lock) => lock.name === name)
}

// The in-tab fallback: per lock name, a promise settling when the last queued task is done.
const queues = new Map<string, Promise<void>>()

function queueInTab<T>(name: string, task: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const previous = queues.get(name) ?? Promise.resolve()
  let release!: () => void
  const done = new Promise<void>((resolve) => (release = resolve))
  const tail = previous.then(() => done)
  queues.set(name, tail)
  void tail.then(() => {
    if (queues.get(name) === tail) queues.delete(name)
  })
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      // The next task still waits for `previous` through `tail`, so releasing now is safe.
      release()
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    void previous.then(async () => {
      if (signal?.aborted) return
      signal?.removeEventListener('abort', onAbort)
      try {
        resolve(await task())
      } catch (error) {
        reject(error)
      } finally {
        release()
      }
    })
  })
}
