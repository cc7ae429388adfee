// vitest globalSetup for the benchmarks: a throwaway PostgreSQL cluster with the default
// durability settings (fsync and synchronous commit on), unlike the tests' fast one.
import type { TestProject } from 'vitest/node'
import { startCluster } from '../../test/support/postgres-cluster.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster({ fast: false })
  if ('skip' in cluster) {
    console.warn(`[idb-agents] PostgreSQL benchmarks skipped: ${cluster.skip}`)
    project.provide('postgresUrl', '')
    project.provide('postgresSkipReason', cluster.skip)
    return async () => {}
  }
  project.provide('postgresUrl', cluster.url)
  project.provide('postgresSkipReason', '')
  return cluster.stop
}
