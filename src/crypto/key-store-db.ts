// The key store's own IndexedDB database: two stores of one record each, so that every
// change of key material (create, passphrase change, rotation step, remember/forget
// device) is a single put or delete in a single transaction. No crypto runs inside a
// transaction: callers compute wrapped keys first (see PITFALLS.md).
import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb'
import * as z from 'zod/mini'
import { IdbAgentsError, messageOf } from '../errors.js'
import { openDatabase, type DatabaseSpec } from '../idb/database.js'
import { KeyStoreError } from './errors.js'
import { MIN_PBKDF2_ITERATIONS } from './passphrase.js'

/** A data key, wrapped by the keyring key. */
export interface StoredDataKey {
  /** Fingerprint id of the key (see `dataKeyId`). */
  kid: string
  /** AES-KW-wrapped raw key, base64. */
  wrapped: string
  /** When it was generated, ms since epoch. */
  createdAt: number
}

/** The keyring record (key `'keyring'` of store `keyring`). */
export interface KeyringRecord {
  v: 1
  /** The keyring key wrapped by the PBKDF2-SHA256 passphrase key. */
  passphrase: { salt: string; iterations: number; wrappedKey: string }
  /** Every data key still needed to read stored items. */
  dataKeys: StoredDataKey[]
  /** Id of the data key new items are encrypted with. */
  current: string
  /** Set while a rotation is under way: the old keys stay until it completes. */
  rotation?: { from: string[]; to: string; startedAt: number } | undefined
}

/** The remembered device (key `'device'` of store `device`). */
export interface DeviceRecord {
  v: 1
  /** Non-extractable AES-KW key; IndexedDB stores CryptoKeys by structured clone. */
  key: CryptoKey
  /** The keyring key wrapped by `key`. */
  wrappedKey: string
}

/** Typed schema of the key store database. */
export interface KeyStoreSchema extends DBSchema {
  keyring: { key: 'keyring'; value: KeyringRecord }
  device: { key: 'device'; value: DeviceRecord }
}

/** An open key store database. */
export type KeyStoreDatabase = IDBPDatabase<KeyStoreSchema>

const KEY_DB_VERSION = 1

const keyringShape = z.object({
  v: z.literal(1),
  passphrase: z.object({
    salt: z.string(),
    iterations: z.number().check(z.int(), z.gte(MIN_PBKDF2_ITERATIONS)),
    wrappedKey: z.string(),
  }),
  dataKeys: z.array(z.object({ kid: z.string(), wrapped: z.string(), createdAt: z.number() })).check(z.minLength(1)),
  current: z.string(),
  rotation: z.optional(z.object({ from: z.array(z.string()), to: z.string(), startedAt: z.number() })),
})

const KEY_STORE_DB: DatabaseSpec<KeyStoreSchema> = {
  version: KEY_DB_VERSION,
  upgrade(database) {
    database.createObjectStore('keyring')
    database.createObjectStore('device')
  },
}

/**
 * Opens (creating on first use) the key store database `name`, on a connection of its own.
 * @throws {@link StorageDataLostError} when the browser discarded the key store
 * @throws {@link StorageUnavailableError}, {@link UpgradeBlockedError}, {@link KeyStoreError} (`storage`)
 */
export async function openKeyDatabase(name: string, factory?: IDBFactory): Promise<KeyStoreDatabase> {
  try {
    return await openDatabase({ dbName: name, factory }, KEY_STORE_DB)
  } catch (error) {
    throw storageError(`Cannot open the key store database "${name}"`, error)
  }
}

/** Wraps an IndexedDB failure; typed errors pass through unchanged. */
export function storageError(what: string, error: unknown): Error {
  if (error instanceof IdbAgentsError) return error
  return new KeyStoreError('storage', `${what}: ${messageOf(error)}. Nothing was changed.`, error)
}

/** Checks a keyring record read back from IndexedDB. */
export function checkKeyringRecord(record: unknown, name: string): KeyringRecord {
  const parsed = keyringShape.safeParse(record)
  const current = parsed.success ? parsed.data.dataKeys.find((k) => k.kid === parsed.data.current) : undefined
  if (!parsed.success || current === undefined) {
    throw new KeyStoreError(
      'corrupt',
      `The keyring in key store "${name}" was not written by this version of idb-agents or is damaged; it was left as it is.`,
      parsed.success ? undefined : parsed.error,
    )
  }
  return parsed.data as KeyringRecord
}

/** Checks a device record read back from IndexedDB. */
export function checkDeviceRecord(record: unknown, name: string): DeviceRecord {
  const value = record as Partial<DeviceRecord> | null
  if (typeof value !== 'object' || value === null || value.v !== 1 || !(value.key instanceof CryptoKey) || typeof value.wrappedKey !== 'string') {
    throw new KeyStoreError('corrupt', `The remembered device key in key store "${name}" is damaged; call forgetDevice() and unlock with the passphrase.`)
  }
  return value as DeviceRecord
}

/** Reads the keyring record, or throws `not_found`. */
export async function readKeyring(db: KeyStoreDatabase, name: string): Promise<KeyringRecord> {
  let record: unknown
  try {
    record = await db.get('keyring', 'keyring')
  } catch (error) {
    throw storageError(`Cannot read key store "${name}"`, error)
  }
  if (record === undefined) {
    throw new KeyStoreError('not_found', `Key store "${name}" holds no keyring yet; create one with KeyStore.create(passphrase).`)
  }
  return checkKeyringRecord(record, name)
}

/**
 * Read-modify-write of the keyring record in one transaction. `change` must be
 * synchronous (no crypto): it returns the new record, or `undefined` to write nothing.
 */
export async function updateKeyring(
  db: KeyStoreDatabase,
  name: string,
  change: (record: KeyringRecord) => KeyringRecord | undefined,
): Promise<KeyringRecord> {
  let tx: IDBPTransaction<KeyStoreSchema, ['keyring'], 'readwrite'> | undefined
  try {
    tx = db.transaction('keyring', 'readwrite')
    tx.done.catch(() => undefined) // awaited below; observed here so an abort is never unhandled
    const record = checkKeyringRecord(await tx.store.get('keyring'), name)
    const next = change(record)
    if (next !== undefined) await tx.store.put(next, 'keyring')
    await tx.done
    return next ?? record
  } catch (error) {
    try {
      tx?.abort()
    } catch {
      // already finished
    }
    throw storageError(`Cannot update key store "${name}"`, error)
  }
}
