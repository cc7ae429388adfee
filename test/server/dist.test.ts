// The built library is what users run: build it, check its errors keep their class names,
// and run `scripts/sync-server.mjs` (what `npm run sync-server` starts) on the build.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Inside the project, so the build's bare imports (zod, pg, …) resolve from node_modules.
const outDir = resolve(`node_modules/.cache/idb-agents-dist-test-${process.pid}`)
const dataDir = mkdtemp(join(tmpdir(), 'idb-agents-sync-server-'))

beforeAll(async () => {
  await build({ configFile: resolve('vite.config.ts'), mode: 'production', logLevel: 'silent', build: { outDir, emptyOutDir: true } })
}, 120_000)
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true })
  await rm(await dataDir, { recursive: true, force: true })
})

describe('the library build', () => {
  it('keeps class names, so errors report their own name', async () => {
    const main = (await import(pathToFileURL(join(outDir, 'index.js')).href)) as typeof import('../../src/index.js')
    const server = (await import(pathToFileURL(join(outDir, 'server/index.js')).href)) as typeof import('../../src/server/index.js')
    expect(new main.InvalidArgumentError('x').name).toBe('InvalidArgumentError')
    expect(new main.StorageQuotaError().name).toBe('StorageQuotaError')
    expect(new server.ConflictError('not_newest', 'x').name).toBe('ConflictError')
    expect(new server.NotFoundError('x').name).toBe('NotFoundError')
    expect(server.PostgresSession.name).toBe('PostgresSession')
  })

  it('runs the reference sync server: PGlite in a data directory, dev Bearer users, a clean stop', async () => {
    const child = spawn(process.execPath, ['scripts/sync-server.mjs'], {
      env: { ...process.env, PORT: '0', SYNC_DATA_DIR: await dataDir, DATABASE_URL: '', IDB_AGENTS_SERVER_ENTRY: pathToFileURL(join(outDir, 'server/index.js')).href },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      let output = ''
      const url = await new Promise<string>((found, failed) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          const match = /sync server: (http:\/\/[^\s]+)\/v1 \(PGlite in [^]*DEV ONLY/.exec(output)
          if (match) found(match[1]!)
        })
        child.once('exit', (code) => failed(new Error(`sync-server exited (${code}): ${output}`)))
      })
      const headers = { authorization: 'Bearer carol', 'content-type': 'application/json' }
      const ops = [{ opId: 'first', sessionId: 'notes', kind: 'append', items: [{ role: 'user', content: 'hello server' }] }]
      const pushed = await fetch(`${url}/v1/push`, { method: 'POST', headers, body: JSON.stringify({ ops }) })
      expect(pushed.status).toBe(200)
      const items = await (await fetch(`${url}/v1/sessions/notes/items`, { headers })).json()
      expect(items).toMatchObject({ length: 1, items: [{ seq: 0, item: { role: 'user', content: 'hello server' } }] })
      const preflight = await fetch(`${url}/v1/push`, { method: 'OPTIONS' })
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/)
      expect((await fetch(`${url}/v1/sessions`)).status).toBe(401)
      child.kill('SIGINT')
      const [code] = (await once(child, 'exit')) as [number | null]
      expect(code).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 120_000)
})
