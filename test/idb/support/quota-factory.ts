// An IDBFactory around fake-indexeddb whose storage can be made "full": then every readwrite
// transaction that puts or adds anything aborts at commit with a QuotaExceededError, its
// requests having succeeded and its writes rolled back, while delete-only transactions
// commit — what Chromium does at a full quota (free-space.browser.test.ts measures it).
// The abort at commit uses fake-indexeddb's own abort steps (`_abort`, which rolls back).

export interface QuotaControl {
  /** Pass as `indexedDB` to the code under test. */
  readonly factory: IDBFactory
  /** While true, writes are refused. */
  full: boolean
  /** When true, a committed transaction that deleted something makes room (`full` turns false). */
  roomAfterDelete: boolean
  /**
   * Called synchronously after each committed transaction that deleted something, with its
   * connection: a transaction it begins there runs before any the code under test begins later
   * (another tab's write, say).
   */
  afterDelete?: ((db: IDBDatabase) => void) | undefined
  /** How many of the next delete-only transactions abort with QuotaExceededError (Firefox refuses the first). */
  refuseDeletes: number
  /** Readwrite transactions begun so far. */
  writeTransactions: number
  /** Readwrite transactions committed that only deleted. */
  deleteOnlyCommits: number
  /** Transactions refused so far. */
  refused: number
}

export function quotaFactory(inner: IDBFactory = indexedDB): QuotaControl {
  const control: Omit<QuotaControl, 'factory'> = {
    full: false,
    roomAfterDelete: false,
    refuseDeletes: 0,
    writeTransactions: 0,
    deleteOnlyCommits: 0,
    refused: 0,
  }

  function watch(tx: IDBTransaction): void {
    control.writeTransactions += 1
    let wrote = false
    let deleted = false
    const stores = new Set<IDBObjectStore>()
    const objectStore = tx.objectStore.bind(tx)
    tx.objectStore = (name: string) => {
      const store = objectStore(name)
      if (stores.has(store)) return store
      stores.add(store)
      for (const method of ['put', 'add'] as const) {
        const original = store[method].bind(store) as (value: unknown, key?: IDBValidKey) => IDBRequest<IDBValidKey>
        store[method] = ((value: unknown, key?: IDBValidKey) => {
          wrote = true
          return original(value, key)
        }) as IDBObjectStore['put']
      }
      const remove = store.delete.bind(store)
      store.delete = (query: IDBValidKey | IDBKeyRange) => {
        deleted = true
        return remove(query)
      }
      return store
    }
    const dispatch = tx.dispatchEvent.bind(tx)
    tx.dispatchEvent = (event: Event) => {
      const refuse = wrote ? control.full : deleted && control.refuseDeletes > 0
      if (event.type !== 'complete' || !refuse) return dispatch(event)
      if (!wrote) control.refuseDeletes -= 1
      control.refused += 1
      const abort = (tx as unknown as { _abort?: (name: string) => void })._abort
      if (typeof abort !== 'function') throw new Error('quotaFactory needs fake-indexeddb (its transactions have _abort)')
      abort.call(tx, 'QuotaExceededError')
      return false
    }
    tx.addEventListener('complete', () => {
      if (!deleted) return
      if (!wrote) control.deleteOnlyCommits += 1
      if (control.roomAfterDelete) control.full = false
      control.afterDelete?.(tx.db)
    })
  }

  const factory = {
    open(name: string, version?: number): IDBOpenDBRequest {
      const request = inner.open(name, version)
      // Registered before the caller's handlers, so it runs first.
      request.addEventListener('success', () => {
        const db = request.result
        const transaction = db.transaction.bind(db)
        db.transaction = ((stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) => {
          const tx = transaction(stores, mode, options)
          if (mode === 'readwrite') watch(tx)
          return tx
        }) as IDBDatabase['transaction']
      })
      return request
    },
    deleteDatabase: (name: string) => inner.deleteDatabase(name),
    cmp: (a: unknown, b: unknown) => inner.cmp(a, b),
    databases: () => inner.databases(),
  }
  return Object.assign(control, { factory: factory as IDBFactory })
}
