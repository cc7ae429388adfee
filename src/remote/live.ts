// Reading the server's live feed (`GET /v1/live`, Server-Sent Events) with fetch: the
// browser's EventSource cannot send an Authorization header.
import type { ChangesPage } from './protocol.js'

/** What a stream said before it ended: the reconnection delay the server asked for. */
export interface LiveEnd {
  retryMs: number | undefined
}

/**
 * Calls `onPage` with each `changes` event of `response`, in order, awaiting each before
 * reading on. Resolves when the stream ends (or sends `event: error`); rejects when reading
 * fails (the connection dropped, the signal aborted).
 */
export async function readLive(response: Response, onPage: (page: ChangesPage) => Promise<void>): Promise<LiveEnd> {
  const end: LiveEnd = { retryMs: undefined }
  if (!response.body) return end
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return end
      buffer += value
      for (let match = /\r?\n\r?\n/.exec(buffer); match; match = /\r?\n\r?\n/.exec(buffer)) {
        const block = buffer.slice(0, match.index)
        buffer = buffer.slice(match.index + match[0].length)
        const event = parseEvent(block)
        if (event.retry !== undefined) end.retryMs = event.retry
        if (event.name === 'error') return end
        if (event.name === 'changes' && event.data !== '') await onPage(JSON.parse(event.data) as ChangesPage)
      }
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

function parseEvent(block: string): { name: string; data: string; retry?: number } {
  let name = 'message'
  const data: string[] = []
  let retry: number | undefined
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') name = value
    else if (field === 'data') data.push(value)
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value)
  }
  return retry === undefined ? { name, data: data.join('\n') } : { name, data: data.join('\n'), retry }
}
