import { describe, expect, it } from 'vitest'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'
import { PostgresSession } from '../../src/server/index.js'
import { describeBranching } from '../session/support/history-suites.js'
import { describeEngines, uniqueUser } from './support/engines.js'

describeEngines('PostgresSession', (engine) => {
  const userId = uniqueUser('session')
  describeSessionConformance(`PostgresSession (${engine.name})`, (id) => new PostgresSession(id, { store: engine.store(), userId }), {
    withDefaultLimit: (id, limit) => new PostgresSession(id, { store: engine.store(), userId, settings: { limit } }),
  })
  describeBranching(`PostgresSession (${engine.name})`, (id) => new PostgresSession(id, { store: engine.store(), userId }))
})
