// vitest globalSetup: one throwaway PostgreSQL cluster for the node project's server tests
// (`inject('postgresUrl')`). Where PostgreSQL is not installed, the PostgreSQL half of those
// tests is skipped and the reason printed; the PGlite half still runs.
import type { TestProject } from 'vitest/node'
import { startCluster, type ClusterOptions } from './postgres-cluster.js'

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideCluster(project, {}, 'tests')
}

/** Starts a cluster and provides its URL (or why there is none) to `project`; returns its stop. */
export async function provideCluster(project: TestProject, options: ClusterOptions, what: string): Promise<() => Promise<void>> {
  const cluster = await startCluster(options)
  if ('skip' in cluster) {
    console.warn(`[idb-agents] PostgreSQL ${what} skipped: ${cluster.skip}`)
    project.provide('postgresUrl', '')
    project.provide('postgresSkipReason', cluster.skip)
    return async () => {}
  }
  project.provide('postgresUrl', cluster.url)
  project.provide('postgresSkipReason', '')
  return cluster.stop
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgresql://…` of the throwaway test cluster; `''` when PostgreSQL is absent. */
    postgresUrl: string
    /** Why there is no cluster, or `''`. */
    postgresSkipReason: string
  }
}
