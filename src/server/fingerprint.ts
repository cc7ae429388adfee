import { createHash } from 'node:crypto'
import type { StoreOp } from './ops.js'

/**
 * What makes two ops with one id "the same op": their JSON, with the items as the text
 * they are stored as. Ops come out of validation with their keys in one fixed order, and
 * items keep the order the client sent, so a client that resends its op as it first sent
 * it gets the stored result back.
 */
export function fingerprint(op: StoreOp, itemsJson: string | undefined): string {
  const hash = createHash('sha256').update(JSON.stringify({ ...op, items: undefined }))
  if (itemsJson !== undefined) hash.update('\n').update(itemsJson)
  return hash.digest('base64url')
}
