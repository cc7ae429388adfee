// Shared helpers of the runner tests (node and browser).
import type OpenAI from 'openai'
import { expect } from 'vitest'
import type { AgentItem } from '../../src/items/types.js'
import { createOpenAIClient } from '../../src/openai/client.js'
import type { Session } from '../../src/session/session.js'

/** Wraps a session and records every addItems batch. */
export class RecordingSession implements Session {
  readonly batches: AgentItem[][] = []
  failNextAdd: Error | undefined

  constructor(readonly inner: Session) {}

  get sessionId(): string {
    return this.inner.sessionId
  }
  getSessionId(): Promise<string> {
    return this.inner.getSessionId()
  }
  getItems(limit?: number): Promise<AgentItem[]> {
    return this.inner.getItems(limit)
  }
  async addItems(items: AgentItem[]): Promise<void> {
    const failure = this.failNextAdd
    this.failNextAdd = undefined
    if (failure) throw failure
    await this.inner.addItems(items)
    this.batches.push(structuredClone(items))
  }
  /** popItem calls; a run must never rewind the session (python #3852). */
  pops = 0
  popItem(): Promise<AgentItem | undefined> {
    this.pops += 1
    return this.inner.popItem()
  }
  clearSession(): Promise<void> {
    return this.inner.clearSession()
  }
}

/** Every function_call has its output and every output its call (no orphan either way). */
export function expectWholeTurns(items: readonly AgentItem[]): void {
  const calls = items.filter((i) => i.type === 'function_call').map((i) => i.call_id)
  const outputs = items.filter((i) => i.type === 'function_call_output').map((i) => i.call_id)
  expect([...outputs].sort()).toEqual([...calls].sort())
}

/** The texts of the user messages in `items`. */
export function userTexts(items: readonly AgentItem[]): string[] {
  return items.filter((i) => i.role === 'user').map((i) => (typeof i.content === 'string' ? i.content : JSON.stringify(i.content)))
}

/** The text of every assistant message in `items`. */
export function assistantTexts(items: readonly AgentItem[]): string[] {
  return items
    .filter((i) => i.role === 'assistant')
    .map((i) => (typeof i.content === 'string' ? i.content : (i.content as { text?: string }[]).map((p) => p.text ?? '').join('')))
}

/** `items` without their `id` fields (ids differ between two models answering alike). */
export function withoutIds(items: readonly AgentItem[]): AgentItem[] {
  return items.map(({ id: _id, ...rest }) => rest as AgentItem)
}

/** The notes agent of the seed's exercise: context type and tools. */
export interface Note {
  title: string
  content: string
}
export interface NotesContext {
  userId: string
  notes: Note[]
}

/**
 * An `openai` client for a remote-looking proxy (not loopback) whose requests would reach
 * `localBaseURL`; `fetched()` counts the requests it made.
 */
export function remoteClientCounting(localBaseURL: string): { client: OpenAI; fetched: () => number } {
  let count = 0
  const remote = 'https://models.example.test/v1'
  const client = createOpenAIClient({
    baseURL: remote,
    fetch: (input, init) => {
      count += 1
      return fetch(String(input).replace(remote, localBaseURL), init)
    },
  })
  return { client, fetched: () => count }
}
