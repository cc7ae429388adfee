import type { SeqRange } from './schema.js'

// Pure helpers over a branch's list of sequence-number ranges. A branch's positions
// 0..length-1 map onto the concatenation of its ranges.

/** Number of items the ranges cover. */
export function rangesLength(ranges: readonly SeqRange[]): number {
  let total = 0
  for (const [start, end] of ranges) total += end - start
  return total
}

/** The sequence numbers at positions `[from, length)`, as ranges, oldest first. */
export function lastPositions(ranges: readonly SeqRange[], count: number): SeqRange[] {
  const picked: SeqRange[] = []
  let needed = count
  for (let i = ranges.length - 1; i >= 0 && needed > 0; i--) {
    const [start, end] = ranges[i]!
    const take = Math.min(needed, end - start)
    picked.unshift([end - take, end])
    needed -= take
  }
  return picked
}

/** The first `count` positions, as ranges (a prefix of the history). */
export function firstPositions(ranges: readonly SeqRange[], count: number): SeqRange[] {
  const picked: SeqRange[] = []
  let needed = count
  for (const [start, end] of ranges) {
    if (needed <= 0) break
    const take = Math.min(needed, end - start)
    picked.push([start, start + take])
    needed -= take
  }
  return picked
}

/** `ranges` with `count` new sequence numbers starting at `start` appended. */
export function appendRange(ranges: readonly SeqRange[], start: number, count: number): SeqRange[] {
  if (count === 0) return [...ranges]
  const last = ranges[ranges.length - 1]
  if (last && last[1] === start) return [...ranges.slice(0, -1), [last[0], start + count]]
  return [...ranges, [start, start + count]]
}

/** `ranges` without their newest position. */
export function dropLast(ranges: readonly SeqRange[]): SeqRange[] {
  const last = ranges[ranges.length - 1]
  if (!last) return []
  const [start, end] = last
  return end - 1 > start ? [...ranges.slice(0, -1), [start, end - 1]] : ranges.slice(0, -1)
}

/** The newest sequence number, or `undefined` when empty. */
export function lastSeq(ranges: readonly SeqRange[]): number | undefined {
  const last = ranges[ranges.length - 1]
  return last ? last[1] - 1 : undefined
}

/** The position of `seq`, or -1 when the ranges do not show it. */
export function positionOf(ranges: readonly SeqRange[], seq: number): number {
  let position = 0
  for (const [start, end] of ranges) {
    if (seq >= start && seq < end) return position + seq - start
    position += end - start
  }
  return -1
}

/** The parts of `ranges` that none of `others` covers: what only this branch still shows. */
export function subtractRanges(ranges: readonly SeqRange[], others: readonly SeqRange[]): SeqRange[] {
  let remaining: SeqRange[] = [...ranges]
  for (const [cutStart, cutEnd] of others) {
    const next: SeqRange[] = []
    for (const [start, end] of remaining) {
      if (cutEnd <= start || cutStart >= end) {
        next.push([start, end])
        continue
      }
      if (start < cutStart) next.push([start, cutStart])
      if (cutEnd < end) next.push([cutEnd, end])
    }
    remaining = next
  }
  return remaining
}

/**
 * The position of every sequence number some branch shows: its index in that branch.
 * Branches share prefixes, so a number sits at the same position in every branch showing
 * it; should a damaged record say otherwise, the first branch listed wins.
 */
export function positionsBySeq(branches: Iterable<{ ranges: readonly SeqRange[] }>): Map<number, number> {
  const positions = new Map<number, number>()
  for (const { ranges } of branches) {
    let position = 0
    for (const [start, end] of ranges) {
      for (let seq = start; seq < end; seq++, position++) if (!positions.has(seq)) positions.set(seq, position)
    }
  }
  return positions
}
