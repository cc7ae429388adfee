// The passphrase-wrapped keyring kept on the sync server, so a second device of the user
// unlocks the same end-to-end encrypted history with the passphrase alone. The server
// stores the exported record as opaque JSON: wrapped keys only, never a passphrase or a key.
import type { KeyringExport, KeyStore } from '../crypto/key-store.js'
import { sameJson } from '../items/json.js'
import { SyncClient, type SyncClientOptions } from './client.js'
import { ConflictError } from './errors.js'

/** Where the keyring goes on the sync server. */
export interface KeyringSyncOptions extends SyncClientOptions {
  /** The key record's name on the server. @default 'keyring' */
  name?: string
}

/** Options of {@link uploadKeyring}. */
export interface UploadKeyringOptions extends KeyringSyncOptions {
  /**
   * Replace a different keyring the server holds (after this device changed the passphrase
   * or rotated keys). The server's keyring is overwritten: make sure it holds no data key
   * this device lacks (another device's rotation), or items sealed with it become unreadable
   * on new devices.
   * @default false
   */
  replace?: boolean
}

/**
 * Stores this device's keyring (see `KeyStore.exportKeyring`) on the sync server, unless the
 * server holds the same one already.
 * @returns the record's version on the server
 * @throws `ConflictError` (`version_mismatch`) when the server holds another keyring (made
 *   on another device, or changed by a rotation or a new passphrase) and `replace` is not
 *   set, or when it changed again while being replaced: nothing was written; use that one
 *   with {@link downloadKeyring} on a store without a keyring, or pass `replace: true`.
 * @throws `KeyStoreError` `not_found` when `keyStore` holds no keyring; the sync client's
 *   typed errors (`SyncOfflineError`, `SyncUnauthorizedError`, …)
 */
export async function uploadKeyring(keyStore: KeyStore, options: UploadKeyringOptions): Promise<number> {
  const client = new SyncClient(options)
  const name = options.name ?? 'keyring'
  const keyring = await keyStore.exportKeyring()
  const held = await client.getKey(name)
  if (held !== undefined) {
    if (sameJson(held.value, keyring)) return held.version
    if (options.replace === true) return (await client.putKey(name, keyring, held.version)).version
    throw new ConflictError(
      'version_mismatch',
      `The sync server already holds another keyring "${name}" (version ${held.version}): use that one on this device with downloadKeyring on an empty key store, or pass replace: true to store this device's instead.`,
      { currentVersion: held.version },
    )
  }
  return (await client.putKey(name, keyring, null)).version
}

/**
 * Stores the keyring kept on the sync server in `keyStore` (a store without a keyring, e.g.
 * on a new device); then `keyStore.unlock(passphrase)` opens it.
 * @returns `false` when the server holds no keyring (nothing changed)
 * @throws `KeyStoreError` `already_exists` when `keyStore` holds another keyring, `corrupt`
 *   when the server's record is not a keyring; the sync client's typed errors
 */
export async function downloadKeyring(keyStore: KeyStore, options: KeyringSyncOptions): Promise<boolean> {
  const held = await new SyncClient(options).getKey(options.name ?? 'keyring')
  if (held === undefined) return false
  await keyStore.importKeyring(held.value as KeyringExport)
  return true
}
