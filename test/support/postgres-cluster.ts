// A throwaway PostgreSQL cluster from the machine's own binaries (Debian's `postgresql`
// package): initdb into a temporary directory, start on a free local port, stop and delete
// afterwards. As root, the binaries run as the `postgres` user (PostgreSQL refuses root).
import { execFile } from 'node:child_process'
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export type Cluster = { url: string; stop: () => Promise<void> } | { skip: string }

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Turn off fsync and synchronous commit: fine for tests, not for benchmarks. @default true */
  fast?: boolean
}

/** The newest `initdb` under /usr/lib/postgresql, or `$PG_BIN/initdb`. */
async function findBinDir(): Promise<string | undefined> {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : undefined
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = (await readdir(root)).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))
  return versions.map((version) => join(root, version, 'bin')).find((dir) => existsSync(join(dir, 'initdb')))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function postgresIds(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
  } catch {
    return undefined
  }
}

/**
 * Starts a cluster, or says why it cannot (`{ skip }`) when the binaries are absent.
 * `IDB_AGENTS_TEST_DATABASE_URL` points at an existing server instead.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const given = process.env.IDB_AGENTS_TEST_DATABASE_URL
  if (given) return { url: given, stop: async () => {} }
  const bin = await findBinDir()
  if (!bin) return { skip: 'PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)' }
  const asRoot = userInfo().uid === 0
  const ids = asRoot ? await postgresIds() : undefined
  if (asRoot && !ids) return { skip: 'running as root and there is no "postgres" user to run PostgreSQL as' }

  const dir = await mkdtemp(join(tmpdir(), 'idb-agents-pg-'))
  if (ids) await chown(dir, ids.uid, ids.gid)
  await chmod(dir, 0o700)
  const as = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args)
  const data = join(dir, 'data')
  const port = await freePort()
  const settings = ['-c listen_addresses=127.0.0.1', `-p ${port}`, `-k ${dir}`, '-c max_connections=100']
  if (options.fast ?? true) settings.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off')
  try {
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'])
    await as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', settings.join(' '), '-w', 'start'])
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}
