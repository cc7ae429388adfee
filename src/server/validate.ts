import * as z from 'zod/mini'
import { InvalidItemError } from '../errors.js'
import { toStoredItems } from '../items/validate.js'
import { HttpError } from './http.js'
import type { StoreOp } from './ops.js'
import type { SyncOp } from './protocol.js'

// Request bodies checked before anything is applied: a push with one malformed op or one
// bad item is refused whole, with every problem named.

/** Most ops in one push. */
export const MAX_OPS_PER_PUSH = 1000

const id = z.string().check(z.minLength(1), z.maxLength(512))
const count = z.int().check(z.nonnegative())
const amount = z.number().check(z.nonnegative())
const usage = z.strictObject({ requests: amount, inputTokens: amount, outputTokens: amount, totalTokens: amount })
const turnRef = z.union([z.strictObject({ opId: id, index: count }), z.strictObject({ seq: count })])
const base = { opId: id, sessionId: id }

const opSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('append'), branchId: z.optional(id), items: z.array(z.unknown()).check(z.minLength(1)), expectedLength: z.optional(count) }),
  z.strictObject({ ...base, kind: z.literal('replace'), branchId: z.optional(id), items: z.array(z.unknown()), expectedLength: z.optional(count) }),
  z.strictObject({ ...base, kind: z.literal('pop'), branchId: z.optional(id), seq: count }),
  z.strictObject({ ...base, kind: z.literal('clear'), branchId: z.optional(id) }),
  z.strictObject({
    ...base,
    kind: z.literal('createBranch'),
    branchId: id,
    fromTurn: z.int().check(z.gte(1)),
    name: z.optional(z.string().check(z.maxLength(1024))),
    sourceBranchId: z.optional(id),
  }),
  z.strictObject({ ...base, kind: z.literal('switchBranch'), branchId: id }),
  z.strictObject({ ...base, kind: z.literal('deleteBranch'), branchId: id }),
  z.strictObject({ ...base, kind: z.literal('setTitle'), title: z.nullable(z.string()) }),
  z.strictObject({ ...base, kind: z.literal('usage'), turn: z.nullable(turnRef), usage }),
  z.strictObject({ ...base, kind: z.literal('deleteSession') }),
])

const pushSchema = z.strictObject({ ops: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_OPS_PER_PUSH)) })

const putKeySchema = z.strictObject({ value: z.unknown(), expectedVersion: z.nullable(z.int().check(z.gte(1))) })

/** A validated op: its id, and the op the store applies (items copied by `toStoredItems`). */
export interface ParsedOp {
  opId: string
  sessionId: string
  op: StoreOp
}

function issues(error: z.core.$ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))].join('')
    return `${path.replace(/^\./, '') || 'body'}: ${explain(issue)}`
  })
}

// zod/mini ships no messages ("Invalid input" for everything): say what was wrong.
function explain(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((key) => `"${key}"`).join(', ')}`
    case 'invalid_union':
      return 'note' in issue && issue.note === 'No matching discriminator'
        ? `must be one of ${(issue as { options?: unknown[] }).options?.map((option) => JSON.stringify(option)).join(', ')}`
        : 'matches none of the allowed shapes'
    case 'invalid_value':
      return `must be ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? `needs at least ${issue.minimum} ${issue.origin === 'array' ? 'entries' : 'characters'}` : `must be at least ${issue.minimum}`
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string' ? `allows at most ${issue.maximum} ${issue.origin === 'array' ? 'entries' : 'characters'}` : `must be at most ${issue.maximum}`
    default:
      return `is invalid (${issue.code})`
  }
}

function invalid(problems: string[]): HttpError {
  const shown = problems.slice(0, 10).join('; ')
  const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''
  return new HttpError(400, { code: 'invalid_request', message: `The request is malformed: ${shown}${more}. Nothing was stored.`, issues: problems })
}

/**
 * Checks a push body and every op in it.
 * @throws {@link HttpError} 400 `invalid_request` (every malformed op) or `invalid_item` (the first bad item)
 */
export function parsePush(body: unknown): ParsedOp[] {
  const push = pushSchema.safeParse(body)
  if (!push.success) throw invalid(issues(push.error, ''))
  const problems: string[] = []
  const parsed: ParsedOp[] = []
  const seen = new Set<string>()
  push.data.ops.forEach((raw, opIndex) => {
    const result = opSchema.safeParse(raw)
    if (!result.success) {
      problems.push(...issues(result.error, `ops[${opIndex}]`))
      return
    }
    const { opId, ...op } = result.data as SyncOp
    if (seen.has(opId)) problems.push(`ops[${opIndex}].opId: "${opId}" appears twice in this push`)
    seen.add(opId)
    parsed.push({ opId, sessionId: op.sessionId, op: op as StoreOp })
  })
  if (problems.length > 0) throw invalid(problems)
  parsed.forEach((entry, opIndex) => {
    if (entry.op.kind !== 'append' && entry.op.kind !== 'replace') return
    try {
      entry.op.items = toStoredItems(entry.op.items)
    } catch (error) {
      if (!(error instanceof InvalidItemError)) throw error
      throw new HttpError(400, {
        code: 'invalid_item',
        message: `ops[${opIndex}]: ${error.message.replace('Nothing from this batch was written.', 'Nothing of this push was stored.')}`,
        opIndex,
        opId: entry.opId,
        index: error.index,
        path: error.path,
      })
    }
  })
  return parsed
}

/** Checks a `PUT /v1/keys/:name` body. */
export function parsePutKey(body: unknown): { value: unknown; expectedVersion: number | null } {
  const result = putKeySchema.safeParse(body)
  if (!result.success) throw invalid(issues(result.error, ''))
  if (result.data.value === undefined) throw invalid(['value: required'])
  return { value: result.data.value, expectedVersion: result.data.expectedVersion }
}

const KEY_NAME = /^[A-Za-z0-9._-]{1,128}$/

/** Checks a key record name: 1–128 letters, digits, `.`, `_`, `-`. */
export function parseKeyName(name: string): string {
  if (!KEY_NAME.test(name)) throw invalid([`name: "${name}" must be 1-128 letters, digits, ".", "_" or "-"`])
  return name
}

/** Reads an optional non-negative integer query parameter. */
export function intParam(url: URL, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw invalid([`${name}: must be an integer from 0 to ${max}, got "${raw}"`])
  return Number(raw)
}

/** Reads an optional string query parameter (1–512 characters). */
export function textParam(url: URL, name: string): string | undefined {
  const raw = url.searchParams.get(name)
  if (raw === null) return undefined
  if (raw.length === 0 || raw.length > 512) throw invalid([`${name}: must be 1-512 characters`])
  return raw
}
