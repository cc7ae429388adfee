// Calls a sync handler in-process, as a device would over HTTP.
import { randomUUID } from 'node:crypto'
import type { AgentItem } from '../../../src/index.js'
import type { AppendOp, SyncHandler, SyncOp } from '../../../src/server/index.js'

export interface Reply<T> {
  status: number
  body: T
  headers: Headers
}

// Replies are read as loosely typed JSON: tests check shapes with expect().
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any

/** A device of `user` talking to `handler`; `user: null` sends no credentials. */
export function device(handler: SyncHandler, user: string | null) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<Loose>> => {
    const init: RequestInit = { method, headers: { ...(user === null ? {} : { authorization: `Bearer ${user}` }), ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
    }
    const response = await handler(new Request(`http://sync.test${path}`, init))
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Loose), headers: response.headers }
  }
  return {
    user,
    call,
    push: (...ops: SyncOp[]) => call('POST', '/v1/push', { ops }),
    items: (sessionId: string, query = '') => call('GET', `/v1/sessions/${encodeURIComponent(sessionId)}/items${query}`),
    session: (sessionId: string) => call('GET', `/v1/sessions/${encodeURIComponent(sessionId)}`),
    snapshot: (sessionId: string) => call('GET', `/v1/sessions/${encodeURIComponent(sessionId)}/snapshot`),
    usage: (sessionId: string, query = '') => call('GET', `/v1/sessions/${encodeURIComponent(sessionId)}/usage${query}`),
    list: (query = '') => call('GET', `/v1/sessions${query}`),
    changes: (after = 0, query = '') => call('GET', `/v1/changes?after=${after}${query}`),
  }
}

export type Device = ReturnType<typeof device>

const opId = () => randomUUID()
export const user = (text: string): AgentItem => ({ role: 'user', content: text })
export const assistant = (text: string): AgentItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] })

/** Op builders with fresh op ids. */
export const op = {
  append: (sessionId: string, items: unknown[], extra: { branchId?: string; expectedLength?: number; opId?: string } = {}): AppendOp => ({
    opId: opId(),
    sessionId,
    kind: 'append',
    items,
    ...extra,
  }),
  pop: (sessionId: string, seq: number, branchId?: string): SyncOp => ({ opId: opId(), sessionId, kind: 'pop', seq, ...(branchId ? { branchId } : {}) }),
  clear: (sessionId: string): SyncOp => ({ opId: opId(), sessionId, kind: 'clear' }),
  createBranch: (sessionId: string, branchId: string, fromTurn: number, name?: string): SyncOp => ({
    opId: opId(),
    sessionId,
    kind: 'createBranch',
    branchId,
    fromTurn,
    ...(name === undefined ? {} : { name }),
  }),
  switchBranch: (sessionId: string, branchId: string): SyncOp => ({ opId: opId(), sessionId, kind: 'switchBranch', branchId }),
  deleteBranch: (sessionId: string, branchId: string): SyncOp => ({ opId: opId(), sessionId, kind: 'deleteBranch', branchId }),
  setTitle: (sessionId: string, title: string | null): SyncOp => ({ opId: opId(), sessionId, kind: 'setTitle', title }),
  usage: (sessionId: string, turn: { opId: string; index: number } | { seq: number } | null, tokens = 10): SyncOp => ({
    opId: opId(),
    sessionId,
    kind: 'usage',
    turn,
    usage: { requests: 1, inputTokens: tokens, outputTokens: tokens, totalTokens: 2 * tokens },
  }),
  deleteSession: (sessionId: string): SyncOp => ({ opId: opId(), sessionId, kind: 'deleteSession' }),
}

/** The item texts of an items page. */
export const texts = (entries: Array<{ item: { content?: unknown } }>): unknown[] => entries.map((entry) => entry.item.content)
