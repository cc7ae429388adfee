// `idb-agents/testing`: tools for testing apps and custom sessions built on idb-agents.
export {
  describeSessionConformance,
  type SessionConformanceOptions,
  type SessionFactory,
} from './conformance.js'
export * from './runner.js'
