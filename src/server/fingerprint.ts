import { createHash } from 'node:crypto'

/**
 * A hash of a JSON value that ignores object key order: a retried op whose JSON was
 * rebuilt with keys in another order is still the same op.
 */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('base64url')
}

/** JSON with object keys sorted, `undefined` members left out (as JSON.stringify does). */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonical(value[i])
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  let out = '{'
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonical(record[key])}`
  }
  return `${out}}`
}
