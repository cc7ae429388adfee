// How much room the origin has, and whether the browser may evict it.

/** What the browser says about this origin's storage. Fields it does not report are `undefined`. */
export interface StorageStatus {
  /** Bytes used by the origin (all its storage, not only idb-agents), as the browser estimates. */
  usage: number | undefined
  /** Bytes the origin may use before writes fail with `StorageQuotaError`. */
  quota: number | undefined
  /** `usage / quota`, from 0 to 1; warn the user well before 1. */
  usageRatio: number | undefined
  /**
   * True when storage is persistent: the browser evicts it only when the user asks. False
   * when it is "best effort" and may be evicted (under storage pressure, or by Safari after
   * 7 days without use; see {@link requestPersistentStorage}).
   */
  persisted: boolean | undefined
}

function storageManager(): Partial<StorageManager> | undefined {
  return typeof navigator === 'undefined' ? undefined : (navigator as { storage?: Partial<StorageManager> }).storage
}

/**
 * Usage, quota and persistence of this origin's storage (`navigator.storage.estimate()` and
 * `persisted()`). Never throws: where the Storage API is missing (insecure contexts, old
 * browsers) the fields are `undefined`.
 *
 * Near the quota, writes fail with `StorageQuotaError` and change nothing already stored;
 * delete old sessions (`deleteSession`) and the next write works again.
 */
export async function storageStatus(): Promise<StorageStatus> {
  const storage = storageManager()
  const [estimate, persisted] = await Promise.all([
    storage?.estimate?.call(storage).catch(() => undefined),
    storage?.persisted?.call(storage).catch(() => undefined),
  ])
  const usage = estimate?.usage
  const quota = estimate?.quota
  return {
    usage,
    quota,
    usageRatio: usage !== undefined && quota ? Math.min(1, usage / quota) : undefined,
    persisted,
  }
}

/**
 * Asks the browser to make this origin's storage persistent (`navigator.storage.persist()`),
 * so conversations are not evicted. Call it after a user gesture or once the user has
 * shown they care about their history (e.g. their first saved conversation).
 *
 * Why it matters: browsers treat site storage as a cache they may clear. Safari (macOS and
 * iOS, with Intelligent Tracking Prevention) deletes everything a site's scripts stored,
 * IndexedDB included, after 7 days of use of Safari without a visit to that site. Two things
 * exempt a site: persistent storage granted through this call, and a web app installed to
 * the Home Screen / Dock (an installed PWA has its own storage, counted in days of the app's
 * use, not Safari's). Chromium grants persistence without a prompt to sites the user engages
 * with, has installed or bookmarked; Firefox asks the user.
 *
 * @returns true when storage is (now) persistent; false when refused or unsupported
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = storageManager()
  if (typeof storage?.persist !== 'function') return false
  try {
    if ((await storage.persisted?.call(storage)) === true) return true
    return await storage.persist()
  } catch {
    return false
  }
}
