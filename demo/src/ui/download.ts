// Saves a JSON document as a file the browser downloads, named after a title.
import { h } from './dom.js'

/** Downloads `doc` as `<title>.json`; returns the file name. */
export function downloadJson(doc: unknown, title: string): string {
  const name = `${title.replace(/[^\w-]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'chat'}.json`
  const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }))
  h('a', { href: url, download: name }).click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
