import { openChannel } from '../sync/broadcast.js'
import { SerialQueue } from '../sync/serial-queue.js'
import { base64ToBytes, bytesToBase64, randomBytes } from './base64.js'
import { KeyStoreError, WrongKeyError } from './errors.js'
import { dataKeyId, generateDataKey, generateDeviceKey, lockDataKey, unwrapDataKey, unwrapKeyringKey, wrapKey } from './keys.js'
import { readKeyring, updateKeyring, type KeyringRecord, type KeyStoreDatabase, storageError } from './key-store-db.js'
import { checkIterations, derivePassphraseKey, MIN_PBKDF2_ITERATIONS, SALT_BYTES } from './passphrase.js'

/** A data key and its id. */
export interface DataKey {
  /** Id written into every envelope encrypted with {@link DataKey.key}. */
  id: string
  /** AES-GCM-256 key with the `encrypt` and `decrypt` usages. */
  key: CryptoKey
}

/**
 * Where `EncryptedSession` gets its keys. {@link Keyring} implements it; so can an app that
 * manages keys itself.
 *
 * Implementations must return the same `CryptoKey` for an id every time, and must keep
 * returning a key for every id they ever handed out from `currentKey` until no stored item
 * uses it any more.
 */
export interface DataKeyProvider {
  /** The key new items are encrypted with. */
  currentKey(): Promise<DataKey>
  /** The key with id `id`, or `undefined` when this provider does not hold it. */
  keyById(id: string): Promise<CryptoKey | undefined>
}

/** A rotation under way: items written with a key of `from` are re-encrypted with `to`. */
export interface RotationState {
  /** Ids of the keys being retired. */
  from: readonly string[]
  /** Id of the new current key. */
  to: string
  /** When the rotation began, ms since epoch. */
  startedAt: number
}

/** @internal What a key store hands to a new {@link Keyring}. */
export interface KeyringInit {
  db: KeyStoreDatabase
  name: string
  /** Non-extractable keyring key. */
  keyringKey: CryptoKey
  /** The key-encryption key that unlocked it, and the keyring key wrapped under it. */
  unlockedWith: { kek: CryptoKey; wrappedKey: string; kind: 'passphrase' | 'device' }
  record: KeyringRecord
}

/**
 * An unlocked key store: holds the data keys (non-extractable) that encrypt and decrypt
 * items, and changes the stored key material. Get one from `KeyStore.create`,
 * `KeyStore.unlock` or `KeyStore.unlockWithDevice`; pass it as `key` to `EncryptedSession`.
 */
export class Keyring implements DataKeyProvider {
  readonly #db: KeyStoreDatabase
  readonly #name: string
  readonly #keyringKey: CryptoKey
  #unlockedWith: KeyringInit['unlockedWith']
  #keys = new Map<string, CryptoKey>()
  #record: KeyringRecord
  readonly #channel: BroadcastChannel | undefined
  /** Record reads and adoptions run one at a time, so an older read never wins. */
  readonly #serial = new SerialQueue()

  /** @internal Use `KeyStore.create` / `unlock` / `unlockWithDevice`. */
  constructor(init: KeyringInit, keys: Map<string, CryptoKey>) {
    this.#db = init.db
    this.#name = init.name
    this.#keyringKey = init.keyringKey
    this.#unlockedWith = init.unlockedWith
    this.#record = init.record
    this.#keys = keys
    // Other tabs (and other Keyring objects of this page) reload when one of them changes
    // the stored keyring, so that after a rotation they write with the new key.
    this.#channel = openChannel(`idb-agents-keyring:${init.name}`, { unref: true })
    if (this.#channel) this.#channel.onmessage = () => void this.reload().catch(() => undefined)
  }

  /** Stops listening for key changes made by other tabs. The keyring stays usable. */
  close(): void {
    this.#channel?.close()
  }

  /** Id of the data key new items are encrypted with. */
  get currentKeyId(): string {
    return this.#record.current
  }

  /** Ids of every data key this keyring holds (the current one and any being retired). */
  get keyIds(): readonly string[] {
    return [...this.#keys.keys()]
  }

  /** The rotation under way, or `undefined`. */
  get rotation(): RotationState | undefined {
    const rotation = this.#record.rotation
    return rotation === undefined ? undefined : { ...rotation, from: [...rotation.from] }
  }

  /** How this keyring was unlocked. */
  get unlockedWith(): 'passphrase' | 'device' {
    return this.#unlockedWith.kind
  }

  /** {@inheritDoc DataKeyProvider.currentKey} */
  async currentKey(): Promise<DataKey> {
    const key = this.#keys.get(this.#record.current)
    if (key === undefined) throw new KeyStoreError('corrupt', `Key store "${this.#name}" lost its current key.`)
    return { id: this.#record.current, key }
  }

  /**
   * {@inheritDoc DataKeyProvider.keyById}
   * An unknown id triggers one {@link Keyring.reload}, since another tab may have begun a
   * rotation since this keyring was unlocked.
   */
  async keyById(id: string): Promise<CryptoKey | undefined> {
    const known = this.#keys.get(id)
    if (known !== undefined) return known
    if (!/^[0-9a-f]{16}$/.test(id)) return undefined
    await this.reload()
    return this.#keys.get(id)
  }

  /** Re-reads the stored keyring (after another tab rotated keys). */
  async reload(): Promise<void> {
    return this.#serial.run(async () => {
      const record = await readKeyring(this.#db, this.#name)
      this.#keys = await unwrapDataKeys(record, this.#keyringKey, this.#name, this.#keys)
      this.#record = record
    })
  }

  /**
   * Sets a new passphrase. Only the keyring key (32 bytes) is re-wrapped, whatever the
   * size of the history, and it is stored in one atomic put: if the page dies during the
   * call, either the old or the new passphrase opens the store, never neither. Works
   * whichever way this keyring was unlocked (so a remembered device can reset a
   * forgotten passphrase). A remembered device stays remembered.
   *
   * @param passphrase - the new passphrase (non-empty; NFC-normalised)
   * @param options.iterations - PBKDF2 iterations, at least 600,000
   * @throws {@link InvalidArgumentError} for an empty passphrase or too few iterations.
   * @throws {@link KeyStoreError} when IndexedDB fails; the old passphrase still works.
   */
  async changePassphrase(passphrase: string, options: { iterations?: number } = {}): Promise<void> {
    const iterations = checkIterations(options.iterations ?? MIN_PBKDF2_ITERATIONS)
    const salt = randomBytes(SALT_BYTES)
    const kek = await derivePassphraseKey(passphrase, salt, iterations)
    const wrappedKey = await this.#rewrapKeyringKey(kek)
    const entry = { salt: bytesToBase64(salt), iterations, wrappedKey }
    this.#record = await updateKeyring(this.#db, this.#name, (record) => ({ ...record, passphrase: entry }))
    if (this.#unlockedWith.kind === 'passphrase') this.#unlockedWith = { kek, wrappedKey, kind: 'passphrase' }
  }

  /**
   * "Remember this device": stores a new non-extractable device key in the key store and
   * the keyring key wrapped under it, so `KeyStore.unlockWithDevice()` opens the store
   * without the passphrase. Anyone with this browser profile can then read the history;
   * `KeyStore.forgetDevice()` undoes it in one call. Replaces an earlier device key.
   */
  async rememberDevice(): Promise<void> {
    const deviceKey = await generateDeviceKey()
    const wrappedKey = await this.#rewrapKeyringKey(deviceKey)
    try {
      await this.#db.put('device', { v: 1, key: deviceKey, wrappedKey }, 'device')
    } catch (error) {
      throw storageError(`Cannot remember this device in key store "${this.#name}"`, error)
    }
  }

  /**
   * Starts a key rotation, or returns the one already under way (so a rotation
   * interrupted by a reload resumes with the same new key). Generates a new data key,
   * stores it beside the old ones and makes it current, in one atomic put. Old keys stay
   * until {@link Keyring.completeRotation}, so every item stays readable meanwhile.
   * Prefer `rotateDataKey(keyring, sessions)`, which also re-encrypts the sessions.
   *
   * @returns the rotation under way
   */
  async beginRotation(): Promise<RotationState> {
    await this.reload()
    const existing = this.rotation
    if (existing !== undefined) return existing
    const extractable = await generateDataKey()
    const kid = await dataKeyId(extractable)
    const { key, wrapped } = await lockDataKey(extractable, this.#keyringKey)
    const record = await updateKeyring(this.#db, this.#name, (stored) => {
      if (stored.rotation !== undefined) return undefined // another tab began one first: join it
      return {
        ...stored,
        dataKeys: [...stored.dataKeys, { kid, wrapped, createdAt: Date.now() }],
        current: kid,
        rotation: { from: stored.dataKeys.map((k) => k.kid), to: kid, startedAt: Date.now() },
      }
    })
    if (record.current === kid) this.#keys.set(kid, key)
    await this.#adopt(record)
    this.#channel?.postMessage('changed')
    return this.rotation as RotationState
  }

  /**
   * Ends the rotation under way: deletes the retired keys from the key store (one atomic
   * put) and from this keyring. Call it only once every session encrypted with this
   * keyring was re-encrypted: an item still under a retired key becomes unreadable.
   * A no-op when no rotation is under way.
   */
  async completeRotation(): Promise<void> {
    const record = await updateKeyring(this.#db, this.#name, (stored) => {
      if (stored.rotation === undefined) return undefined
      const retired = new Set(stored.rotation.from)
      const { rotation: _done, ...rest } = stored
      return { ...rest, dataKeys: stored.dataKeys.filter((k) => !retired.has(k.kid)) }
    })
    await this.#adopt(record)
    this.#channel?.postMessage('changed')
  }

  async #adopt(record: KeyringRecord): Promise<void> {
    return this.#serial.run(async () => {
      this.#keys = await unwrapDataKeys(record, this.#keyringKey, this.#name, this.#keys)
      this.#record = record
    })
  }

  /** The keyring key wrapped under `kek`, via a short-lived extractable copy. */
  async #rewrapKeyringKey(kek: CryptoKey): Promise<string> {
    const { kek: unlockKek, wrappedKey } = this.#unlockedWith
    const extractable = await unwrapKeyringKey(wrappedKey, unlockKek, true)
    return wrapKey(extractable, kek)
  }
}

/**
 * Builds a keyring from a record and the key-encryption key that should open it.
 * @throws {@link WrongKeyError} when `kek` does not unwrap the keyring key.
 */
export async function openKeyring(
  db: KeyStoreDatabase,
  name: string,
  record: KeyringRecord,
  unlockedWith: KeyringInit['unlockedWith'],
): Promise<Keyring> {
  let keyringKey: CryptoKey
  try {
    keyringKey = await unwrapKeyringKey(unlockedWith.wrappedKey, unlockedWith.kek)
  } catch (error) {
    if (unlockedWith.kind === 'device') {
      throw new KeyStoreError('corrupt', `The remembered device key of key store "${name}" no longer opens it; call forgetDevice() and unlock with the passphrase.`, error)
    }
    throw new WrongKeyError(`Wrong passphrase for key store "${name}". Nothing was read or written; ask for the passphrase again.`, { cause: error })
  }
  const keys = await unwrapDataKeys(record, keyringKey, name, new Map())
  return new Keyring({ db, name, keyringKey, unlockedWith, record }, keys)
}

async function unwrapDataKeys(record: KeyringRecord, keyringKey: CryptoKey, name: string, known: Map<string, CryptoKey>): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>()
  for (const { kid, wrapped } of record.dataKeys) {
    const have = known.get(kid)
    if (have !== undefined) {
      keys.set(kid, have)
      continue
    }
    try {
      keys.set(kid, await unwrapDataKey(wrapped, keyringKey))
    } catch (error) {
      throw new KeyStoreError('corrupt', `Data key ${kid} in key store "${name}" is damaged and cannot be unwrapped; nothing was changed.`, error)
    }
  }
  return keys
}

/** Decodes a stored salt; a damaged one is a corrupt record. */
export function decodeSalt(salt: string, name: string): Uint8Array<ArrayBuffer> {
  const bytes = base64ToBytes(salt)
  if (bytes === undefined || bytes.length < SALT_BYTES) throw new KeyStoreError('corrupt', `The passphrase salt of key store "${name}" is damaged.`)
  return bytes
}
