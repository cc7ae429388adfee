// The sync module's public surface (change events are exported from src/index.ts directly).
export { isRunLocked, runLockMode, runLockName, withRunLock, type RunLockMode, type RunLockOptions } from './run-lock.js'
export {
  DEFAULT_PENDING_DB_NAME,
  PendingInputStore,
  type PendingClaim,
  type PendingInput,
  type PendingInputDB,
  type PendingInputStoreOptions,
  type PendingTarget,
} from '../idb/pending-input.js'
export { PendingInputKeptError } from '../runner/run-guard.js'
export {
  retryPending,
  retryPendingWhenOnline,
  type PendingSent,
  type RetryPendingOptions,
  type RetryWhenOnlineOptions,
} from '../runner/retry-pending.js'
export { requestPersistentStorage, storageStatus, type StorageStatus } from './storage-health.js'
export { onStorageUpgradeNeeded, type StorageUpgradeEvent } from '../idb/upgrades.js'
