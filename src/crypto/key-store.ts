import { InvalidArgumentError } from '../errors.js'
import { resolveFactory } from '../idb/database.js'
import { sameJson } from '../items/json.js'
import { bytesToBase64, randomBytes } from './base64.js'
import { KeyStoreError } from './errors.js'
import { checkDeviceRecord, checkKeyringRecord, openKeyDatabase, readKeyring, storageError, type KeyringRecord, type KeyStoreDatabase } from './key-store-db.js'
import { decodeSalt, openKeyring, type Keyring } from './keyring.js'
import { dataKeyId, generateDataKey, generateKeyringKey, wrapKey } from './keys.js'
import { checkIterations, derivePassphraseKey, MIN_PBKDF2_ITERATIONS, passphraseBytes, SALT_BYTES } from './passphrase.js'

/** Options of {@link KeyStore.create}. */
/** Options of {@link KeyStore.open}. */
export interface KeyStoreOptions {
  /**
   * The IndexedDB factory holding the key store, e.g. the Storage Bucket's `bucket.indexedDB`
   * the sessions live in, so that keys and history are kept (or evicted) together.
   * @default globalThis.indexedDB
   */
  indexedDB?: IDBFactory
}

/** Options of {@link KeyStore.create}. */
export interface CreateKeyStoreOptions {
  /**
   * PBKDF2-SHA256 iterations for the passphrase; never fewer than 600,000.
   * @default 600000
   */
  iterations?: number
}

/**
 * The key material of encrypted sessions, in its own IndexedDB database (so it does not
 * depend on the session store's schema; `${dbName}-keys` beside the session database
 * `dbName` is a good name). Holds one keyring: a keyring key wrapped by a passphrase key
 * (PBKDF2-SHA256, ≥ 600,000 iterations, random per-store salt) and optionally by a
 * device key, and the data keys wrapped by the keyring key.
 *
 * ```ts
 * const store = await KeyStore.open('conversations-keys')
 * const keyring = (await store.exists())
 *   ? (await store.unlockWithDevice()) ?? (await store.unlock(passphrase))
 *   : await store.create(passphrase)
 * const session = new EncryptedSession(new IndexedDBSession('user_123', { dbName: 'conversations' }), { key: keyring })
 * ```
 */
export class KeyStore {
  /** Name of the IndexedDB database. */
  readonly name: string
  readonly #db: KeyStoreDatabase
  readonly #factory: IDBFactory | undefined

  private constructor(name: string, db: KeyStoreDatabase, factory: IDBFactory | undefined) {
    this.name = name
    this.#db = db
    this.#factory = factory
  }

  /**
   * Opens the key store database `name`, creating it (empty) on first use.
   * @param options - the IndexedDB factory (a Storage Bucket's)
   * @throws {@link StorageDataLostError} once, when the browser discarded the key store as
   *   damaged (its keys are gone; open it again to create a new keyring)
   * @throws {@link KeyStoreError} (`storage`) when IndexedDB cannot be opened;
   *   {@link UpgradeBlockedError} when another tab blocks its creation.
   */
  static async open(name: string, options: KeyStoreOptions = {}): Promise<KeyStore> {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('the key store name must be a non-empty string.')
    return new KeyStore(name, await openKeyDatabase(name, options.indexedDB), options.indexedDB)
  }

  /** True when a keyring was created in this store. */
  async exists(): Promise<boolean> {
    try {
      return (await this.#db.count('keyring')) > 0
    } catch (error) {
      throw storageError(`Cannot read key store "${this.name}"`, error)
    }
  }

  /** True when this device is remembered (see `Keyring.rememberDevice`). */
  async hasDeviceKey(): Promise<boolean> {
    try {
      return (await this.#db.count('device')) > 0
    } catch (error) {
      throw storageError(`Cannot read key store "${this.name}"`, error)
    }
  }

  /**
   * Creates the keyring: a new random data key and keyring key, locked by `passphrase`.
   * Everything is computed first and stored in one transaction.
   *
   * @throws {@link KeyStoreError} (`already_exists`) when the store already holds a
   *   keyring (it is left untouched; use {@link KeyStore.unlock});
   *   {@link InvalidArgumentError} for an empty passphrase or too few iterations.
   */
  async create(passphrase: string, options: CreateKeyStoreOptions = {}): Promise<Keyring> {
    const iterations = checkIterations(options.iterations ?? MIN_PBKDF2_ITERATIONS)
    passphraseBytes(passphrase)
    // Fail fast, before the slow derivation; the `add` below still guards against a race.
    if (await this.exists()) throw alreadyExists(this.name)
    const salt = randomBytes(SALT_BYTES)
    const kek = await derivePassphraseKey(passphrase, salt, iterations)
    const keyringKey = await generateKeyringKey()
    const dataKey = await generateDataKey()
    const kid = await dataKeyId(dataKey)
    const wrappedKey = await wrapKey(keyringKey, kek)
    const record: KeyringRecord = {
      v: 1,
      passphrase: { salt: bytesToBase64(salt), iterations, wrappedKey },
      dataKeys: [{ kid, wrapped: await wrapKey(dataKey, keyringKey), createdAt: Date.now() }],
      current: kid,
    }
    try {
      // `add` fails with ConstraintError when a keyring exists: never overwrite one.
      await this.#db.add('keyring', record, 'keyring')
    } catch (error) {
      if (error instanceof DOMException && error.name === 'ConstraintError') {
        throw alreadyExists(this.name, error)
      }
      throw storageError(`Cannot create the keyring in key store "${this.name}"`, error)
    }
    return this.#track(await openKeyring(this.#db, this.name, record, { kek, wrappedKey, kind: 'passphrase' }))
  }

  /**
   * Unlocks the keyring with its passphrase. The key is verified here, before anything
   * can be written: AES-KW unwrapping of the keyring key fails its integrity check for
   * any other passphrase.
   *
   * @throws {@link WrongKeyError} for a wrong passphrase (nothing read or written);
   *   {@link KeyStoreError} `not_found` when no keyring was created, `corrupt` when the
   *   record is damaged.
   */
  async unlock(passphrase: string): Promise<Keyring> {
    passphraseBytes(passphrase)
    const record = await readKeyring(this.#db, this.name)
    const { salt, iterations, wrappedKey } = record.passphrase
    const kek = await derivePassphraseKey(passphrase, decodeSalt(salt, this.name), iterations)
    return this.#track(await openKeyring(this.#db, this.name, record, { kek, wrappedKey, kind: 'passphrase' }))
  }

  /**
   * Unlocks the keyring with the remembered device key, without the passphrase.
   * @returns the keyring, or `undefined` when this device is not remembered.
   * @throws {@link KeyStoreError} `corrupt` when the device record is damaged.
   */
  async unlockWithDevice(): Promise<Keyring | undefined> {
    let keyring: unknown
    let device: unknown
    try {
      const tx = this.#db.transaction(['keyring', 'device'], 'readonly')
      ;[keyring, device] = await Promise.all([tx.objectStore('keyring').get('keyring'), tx.objectStore('device').get('device'), tx.done])
    } catch (error) {
      throw storageError(`Cannot read key store "${this.name}"`, error)
    }
    if (device === undefined) return undefined
    const { key, wrappedKey } = checkDeviceRecord(device, this.name)
    if (keyring === undefined) throw new KeyStoreError('not_found', `Key store "${this.name}" holds no keyring.`)
    return this.#track(await openKeyring(this.#db, this.name, checkKeyringRecord(keyring, this.name), { kek: key, wrappedKey, kind: 'device' }))
  }

  /**
   * Forgets this device: deletes the device key in one call, so the passphrase is needed
   * again. Keyrings already unlocked keep working until dropped. A no-op when not remembered.
   */
  async forgetDevice(): Promise<void> {
    try {
      await this.#db.delete('device', 'device')
    } catch (error) {
      throw storageError(`Cannot forget the device key in key store "${this.name}"`, error)
    }
  }

  /**
   * The keyring as stored, for keeping it elsewhere (e.g. on the sync server with
   * `uploadKeyring`, so another device unlocks with the passphrase). It holds wrapped keys
   * only: the keyring key wrapped by the passphrase key (PBKDF2), the data keys wrapped by
   * the keyring key — no passphrase and no key in clear. The remembered device key is not
   * part of it.
   * @throws {@link KeyStoreError} `not_found` when no keyring was created, `corrupt` when damaged
   */
  async exportKeyring(): Promise<KeyringExport> {
    return structuredClone(await readKeyring(this.#db, this.name))
  }

  /**
   * Stores a keyring exported on another device (see {@link KeyStore.exportKeyring}) in this
   * empty store; then {@link KeyStore.unlock} opens it with the same passphrase. Importing
   * the keyring this store already holds is a no-op.
   * @throws {@link KeyStoreError} `corrupt` when `keyring` is not an exported keyring;
   *   `already_exists` when the store holds another keyring (nothing changed).
   */
  async importKeyring(keyring: KeyringExport): Promise<void> {
    const record = checkKeyringRecord(structuredClone(keyring), this.name)
    try {
      const tx = this.#db.transaction('keyring', 'readwrite')
      const existing = await tx.store.get('keyring')
      if (existing === undefined) await tx.store.add(record, 'keyring')
      await tx.done
      if (existing !== undefined && !sameJson(existing, record)) throw alreadyExists(this.name)
    } catch (error) {
      if (error instanceof KeyStoreError) throw error
      throw storageError(`Cannot store the keyring in key store "${this.name}"`, error)
    }
  }

  /** Keyrings this store unlocked: their change listeners end with the store. */
  readonly #keyrings = new Set<Keyring>()

  #track(keyring: Keyring): Keyring {
    this.#keyrings.add(keyring)
    return keyring
  }

  #closeKeyrings(): void {
    for (const keyring of this.#keyrings) keyring.close()
    this.#keyrings.clear()
  }

  /** Closes the database connection; keyrings it unlocked keep their keys but stop following other tabs' key changes. */
  close(): void {
    this.#closeKeyrings()
    this.#db.close()
  }

  /**
   * Deletes the whole key store database. Everything encrypted with its keys becomes
   * unreadable for good: use it to wipe a lost or shared device.
   * @throws {@link StorageUnavailableError} when IndexedDB cannot be used here any more;
   *   {@link KeyStoreError} (`storage`) when the browser refuses the deletion
   */
  async destroy(): Promise<void> {
    this.#closeKeyrings()
    this.#db.close()
    try {
      await deleteDatabase(resolveFactory({ dbName: this.name, factory: this.#factory }), this.name)
    } catch (error) {
      throw storageError(`Cannot delete key store "${this.name}"`, error)
    }
  }
}

function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  })
}

/**
 * A keyring as {@link KeyStore.exportKeyring} gives it: JSON with wrapped keys only
 * (no passphrase, no key in clear). Treat it as opaque.
 */
export type KeyringExport = KeyringRecord

function alreadyExists(name: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError('already_exists', `Key store "${name}" already holds a keyring; unlock it instead. Nothing was changed.`, cause)
}
