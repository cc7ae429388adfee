// Small timing helpers for benchmarks. Benchmarks print figures; they never assert on time.

async function timeBatch(fn: () => Promise<unknown>, batch: number): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < batch; i++) await fn()
  return (performance.now() - start) / batch
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * Time per call, in milliseconds, of each function: the median over `rounds` rounds of
 * `batch` back-to-back calls (batches beat the browser's coarse 0.1 ms timer). Rounds of
 * the functions alternate, so background load hits all of them alike; one untimed
 * warm-up batch each comes first.
 */
export async function compareMs(fns: Array<() => Promise<unknown>>, rounds: number, batch = 20): Promise<number[]> {
  for (const fn of fns) await timeBatch(fn, batch)
  const times: number[][] = fns.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [i, fn] of fns.entries()) times[i]!.push(await timeBatch(fn, batch))
  }
  return times.map(median)
}

/** Formats `ours / anchor` as a ratio like `1.07×`. */
export function ratio(ours: number, anchor: number): string {
  return `${(ours / anchor).toFixed(2)}×`
}

/** Deletes a database, waiting until it is gone. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}

/** One printed benchmark line. */
export interface BenchRow {
  name: string
  ours: number
  anchor: number
  anchorName: string
  goal: string
}

/** Prints rows as an aligned table: ours, anchor, ratio, goal. */
export function report(title: string, rows: BenchRow[]): void {
  const lines = rows.map(
    (row) =>
      `  ${row.name.padEnd(46)} ours ${row.ours.toFixed(3).padStart(9)} ms  ${row.anchorName} ${row.anchor
        .toFixed(3)
        .padStart(9)} ms  ratio ${ratio(row.ours, row.anchor).padStart(7)}  (goal ${row.goal})`,
  )
  console.log(`\n${title}\n${lines.join('\n')}\n`)
}

/** Time per call of one function, in milliseconds (see {@link compareMs}). */
export async function medianMs(fn: () => Promise<unknown>, rounds: number, batch = 20): Promise<number> {
  const [ms] = await compareMs([fn], rounds, batch)
  return ms!
}
