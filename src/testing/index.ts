// `idb-agents/testing`: tools for testing apps and custom sessions built on idb-agents.
export {}
