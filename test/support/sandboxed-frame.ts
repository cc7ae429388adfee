// Runs a module script in a real `<iframe sandbox="allow-scripts">`: an opaque origin, which
// may not fetch modules from the test server (no CORS for origin `null`). So the page fetches
// the modules the script needs (as the dev server serves them, with every module they import),
// and hands them to the frame as `data:` URLs through an import map, each under its own URL.
// The script imports them by those URLs (`modules[path]`) and reports with `report(value)`.

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\n]+)\2/g

/** Every module `entries` reach, by absolute URL, with their import specifiers made absolute. */
async function moduleGraph(entries: string[]): Promise<Map<string, string>> {
  const sources = new Map<string, string>()
  const queue = entries.map((path) => new URL(path, location.href).href)
  while (queue.length > 0) {
    const url = queue.shift()!
    if (sources.has(url)) continue
    sources.set(url, '')
    const response = await fetch(url)
    if (!response.ok) throw new Error(`fetching ${url} for the sandboxed frame: HTTP ${response.status}`)
    const code = (await response.text()).replace(SPECIFIER, (whole, keyword: string, quote: string, specifier: string) => {
      if (!/^(\.{0,2}\/|https?:)/.test(specifier)) return whole
      const absolute = new URL(specifier, url).href
      queue.push(absolute)
      return `${keyword}${quote}${absolute}${quote}`
    })
    sources.set(url, code)
  }
  return sources
}

function dataUrl(code: string): string {
  const bytes = new TextEncoder().encode(code)
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return `data:text/javascript;base64,${btoa(binary)}`
}

/**
 * Runs `script` (the body of an async function with `modules` — path → URL — and `report`)
 * in a sandboxed iframe, and resolves with the first value it reports.
 */
export async function runInSandboxedFrame(paths: string[], script: string, timeoutMs = 20_000): Promise<unknown> {
  const graph = await moduleGraph(paths)
  const imports = Object.fromEntries([...graph].map(([url, code]) => [url, dataUrl(code)]))
  const modules = Object.fromEntries(paths.map((path) => [path, new URL(path, location.href).href]))
  const frame = document.createElement('iframe')
  frame.setAttribute('sandbox', 'allow-scripts')
  const html = (text: string) => text.replaceAll('</script', '<\\/script')
  frame.srcdoc =
    `<script type="importmap">${html(JSON.stringify({ imports }))}</script>` +
    `<script type="module">${html(`
      const report = (value) => parent.postMessage({ sandboxed: value }, '*')
      const modules = ${JSON.stringify(modules)}
      ;(async () => { ${script} })().catch((error) => report({ failed: String(error && error.stack || error) }))
    `)}</script>`
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the sandboxed frame reported nothing')), timeoutMs)
      addEventListener('message', function listen(event: MessageEvent) {
        if (event.source !== frame.contentWindow || typeof event.data !== 'object' || !('sandboxed' in event.data)) return
        removeEventListener('message', listen)
        clearTimeout(timer)
        resolve(event.data.sandboxed)
      })
      document.body.append(frame)
    })
  } finally {
    frame.remove()
  }
}
