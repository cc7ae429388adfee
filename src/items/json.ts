// Comparing stored items. Items are plain JSON (see validate.ts), so two items are the same
// exactly when their JSON is, whatever the order of their keys.

/** True when `a` and `b` are the same JSON value (object keys in any order). */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b)
}

/** JSON with every object's keys sorted: equal for values {@link sameJson} calls the same. */
export function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, entry: unknown) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(entry).sort()) {
      Object.defineProperty(sorted, key, { value: (entry as Record<string, unknown>)[key], enumerable: true, writable: true, configurable: true })
    }
    return sorted
  })
}

/** True when `items` begins with exactly `prefix` (compared as JSON). */
export function startsWithItems(items: readonly unknown[], prefix: readonly unknown[]): boolean {
  if (prefix.length > items.length) return false
  for (let i = 0; i < prefix.length; i++) if (!sameJson(items[i], prefix[i])) return false
  return true
}

/** Length of `items` as JSON: the basis of token estimates. */
export function jsonLength(items: readonly unknown[]): number {
  return JSON.stringify(items).length
}
