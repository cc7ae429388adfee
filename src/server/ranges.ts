// A branch's seq ranges in SQL. The pure helpers over ranges are the browser store's
// (a branch shows the concatenation of its ranges `[start, end)`, as in IndexedDB).
import type { SeqRange } from '../idb/schema.js'

export type { SeqRange }
export { appendRange, dropLast, firstPositions, lastPositions, lastSeq, positionOf, rangesLength, subtractRanges } from '../idb/seq-ranges.js'

/**
 * A SQL condition selecting `column` inside any of `ranges`, with its parameters numbered
 * from `firstParam`. `FALSE` for no ranges.
 */
export function rangesCondition(column: string, ranges: readonly SeqRange[], firstParam: number): { sql: string; params: number[] } {
  if (ranges.length === 0) return { sql: 'FALSE', params: [] }
  const parts: string[] = []
  const params: number[] = []
  for (const [start, end] of ranges) {
    const at = firstParam + params.length
    parts.push(`(${column} >= $${at} AND ${column} < $${at + 1})`)
    params.push(start, end)
  }
  return { sql: `(${parts.join(' OR ')})`, params }
}
