import * as z from 'zod/mini'
import type * as z4 from 'zod/v4/core'
import type { JsonObject, JsonValue } from '../items/types.js'

/** The JSON schema of a zod schema (full zod or zod/mini), without `$schema`. */
export function jsonSchemaOf(schema: z4.$ZodType): JsonObject {
  const json = z.toJSONSchema(schema) as JsonObject
  delete json.$schema
  return json
}

/** Why `schema` cannot be used in strict mode, or `undefined` when it can. */
export function strictProblem(schema: JsonValue | undefined, path: string): string | undefined {
  if (Array.isArray(schema)) {
    for (const entry of schema) {
      const problem = strictProblem(entry, path)
      if (problem) return problem
    }
    return undefined
  }
  if (typeof schema !== 'object' || schema === null) return undefined
  const properties = schema.properties
  if (schema.type === 'object' && typeof properties === 'object' && properties !== null && !Array.isArray(properties)) {
    const required = Array.isArray(schema.required) ? schema.required : []
    for (const key of Object.keys(properties)) {
      if (!required.includes(key)) return `parameter "${path}${key}" is optional`
      const problem = strictProblem(properties[key], `${path}${key}.`)
      if (problem) return problem
    }
    if (schema.additionalProperties !== false) return `object "${path || '(arguments)'}" allows extra properties`
  }
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf', '$defs', 'definitions'] as const) {
    const nested = schema[key]
    if (key === '$defs' || key === 'definitions') {
      if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
        const problem = strictProblem(Object.values(nested), path)
        if (problem) return problem
      }
    } else {
      const problem = strictProblem(nested, path)
      if (problem) return problem
    }
  }
  return undefined
}
