// vitest globalSetup for the benchmarks: a throwaway PostgreSQL cluster with the default
// durability settings (fsync and synchronous commit on), unlike the tests' fast one.
import type { TestProject } from 'vitest/node'
import { provideCluster } from '../../test/support/postgres-global-setup.js'

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideCluster(project, { fast: false }, 'benchmarks')
}
