// An IDBFactory around another (fake-indexeddb in Node, the browser's own in a browser) that
// plays the browser discarding a damaged database, as Chromium does after a crash killed it
// mid-write: the next open of that database finds it gone (deleted here) and its
// `upgradeneeded` event reports `dataLoss: 'total'` with a `dataLossMessage`.

export interface DataLossControl {
  /** Pass as `indexedDB` to the code under test. */
  readonly factory: IDBFactory
  /** The next open of `dbName` finds it discarded, with `message` as the browser's words. */
  loseOnNextOpen(dbName: string, message: string): void
}

export function dataLossFactory(inner: IDBFactory): DataLossControl {
  const losing = new Map<string, string>()
  const factory = {
    open(name: string, version?: number): IDBOpenDBRequest {
      const message = losing.get(name)
      if (message === undefined) return inner.open(name, version)
      losing.delete(name)
      // Requests on one database run in order: the open waits for the delete.
      inner.deleteDatabase(name)
      const request = inner.open(name, version)
      // Registered before the caller's handlers, so it runs first and they see the report.
      request.addEventListener('upgradeneeded', (event) => {
        Object.defineProperty(event, 'dataLoss', { value: 'total' })
        Object.defineProperty(event, 'dataLossMessage', { value: message })
      })
      return request
    },
    deleteDatabase: (name: string) => inner.deleteDatabase(name),
    cmp: (a: unknown, b: unknown) => inner.cmp(a, b),
    databases: () => inner.databases(),
  }
  return {
    factory: factory as IDBFactory,
    loseOnNextOpen(dbName, message) {
      losing.set(dbName, message)
    },
  }
}
