// Answers are markdown: parsed by marked, then sanitized by DOMPurify before anything
// reaches the page, so no raw HTML from a model (a <script>, an onerror attribute, a
// javascript: link) ever runs. Links open in a new tab without access to this one; images
// become links (loading them would tell a remote server that the chat was opened); code
// blocks get a Copy button.
import DOMPurify, { type Config } from 'dompurify'
import { Marked } from 'marked'
import { h } from './dom.js'

const parser = new Marked({ gfm: true, breaks: true, async: false })

const purifier = DOMPurify(window)
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer')
  }
})

const CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'object', 'embed', 'svg', 'math', 'video', 'audio', 'source', 'picture', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'class', 'id', 'name'],
  RETURN_DOM_FRAGMENT: true,
}

/** Copies `text` to the clipboard, saying so on `button` for a moment. */
export function copyTo(button: HTMLButtonElement, text: string, label = 'Copy'): void {
  void navigator.clipboard.writeText(text).then(
    () => (button.textContent = 'Copied'),
    () => (button.textContent = 'Copy failed'),
  )
  setTimeout(() => (button.textContent = label), 1500)
}

function codeBlock(pre: HTMLPreElement): HTMLElement {
  const code = pre.querySelector('code')
  const language = /\blanguage-([\w+-]+)/.exec(code?.getAttribute('data-lang') ?? '')?.[1] ?? ''
  const copy = h('button', { type: 'button', class: 'copy-code', 'aria-label': language ? `Copy ${language} code` : 'Copy code' }, 'Copy')
  copy.addEventListener('click', () => copyTo(copy, code?.textContent ?? pre.textContent ?? ''))
  const block = h('div', { class: 'code-block' }, h('div', { class: 'code-head' }, h('span', {}, language || 'code'), copy))
  pre.replaceWith(block)
  block.append(pre)
  return block
}

/** Safe DOM for a markdown text. */
export function renderMarkdown(text: string): DocumentFragment {
  // The language class is kept under another name: class attributes are not allowed through.
  const html = (parser.parse(text) as string).replace(/<code class="(language-[\w+-]+)">/g, '<code data-lang="$1">')
  const fragment = purifier.sanitize(html, CONFIG)
  for (const img of fragment.querySelectorAll('img')) {
    const src = img.getAttribute('src') ?? ''
    const link = h('a', { href: src, target: '_blank', rel: 'noopener noreferrer' }, img.getAttribute('alt') || src)
    img.replaceWith(/^https?:/i.test(src) ? link : document.createTextNode(img.getAttribute('alt') ?? ''))
  }
  for (const pre of fragment.querySelectorAll('pre')) codeBlock(pre)
  return fragment
}
