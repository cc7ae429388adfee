// Chromium's Storage Buckets API, which TypeScript's DOM types do not know yet.
interface StorageBucketOptions {
  persisted?: boolean
  quota?: number
  expires?: number
}
interface StorageBucket {
  readonly name: string
  readonly indexedDB: IDBFactory
}
interface StorageBucketManager {
  open(name: string, options?: StorageBucketOptions): Promise<StorageBucket>
  delete(name: string): Promise<void>
}
interface Navigator {
  readonly storageBuckets: StorageBucketManager
}
