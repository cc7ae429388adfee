// Titles and branch names of encrypted sessions: sealed with the session's current data
// key by default, opened with whichever key they name. What the store and the session
// list see of them is "sealed", never ciphertext shown as text.
import { DecryptionError, WrongKeyError, type SealedLabelKind } from '../crypto/errors.js'
import type { DataKeyProvider } from '../crypto/keyring.js'
import { openLabel, sealLabel, type LabelBinding } from '../crypto/label.js'
import { toKeyProvider } from '../crypto/static-key.js'
import type { TitleOpener } from '../idb/admin.js'
import type { BranchInfo } from '../session/capabilities.js'
import type { SealedLabel } from '../session/labels.js'

/**
 * What `listSessions` needs to show the sealed titles of encrypted sessions:
 *
 * ```ts
 * const { sessions } = await listSessions({ dbName, titles: sealedTitles(keyring) })
 * ```
 *
 * A title sealed under a key `key` does not hold stays sealed (`titleSealed: true`, no
 * `title`): a database may hold the sessions of several keyrings. One that fails
 * authentication (changed, or moved from another session) is listed with a `problem`.
 *
 * @param key - the keyring (or `CryptoKey`) the sessions were encrypted with
 * @throws {@link InvalidArgumentError} for anything but a keyring, a `DataKeyProvider` or an AES-GCM-256 `CryptoKey`.
 */
export function sealedTitles(key: DataKeyProvider | CryptoKey): TitleOpener {
  const keys = toKeyProvider(key)
  return {
    async open(title, sessionId) {
      const found = await keys.keyById(title.kid)
      return found && openLabel(title, found, { sessionId })
    },
  }
}

/** Seals `text` with the current key of `keys`, bound to `binding`. */
export async function sealWithCurrentKey(text: string, keys: DataKeyProvider, binding: LabelBinding): Promise<SealedLabel> {
  const { id, key } = await keys.currentKey()
  return sealLabel(text, key, id, binding)
}

/**
 * Opens one sealed label with the key it names.
 * @returns `undefined` when it fails and `skip` is set
 * @throws {@link WrongKeyError} when `keys` does not hold its key (whatever `skip` says);
 *   {@link DecryptionError} naming it when it fails authentication
 */
export async function openSealed(label: SealedLabel, keys: DataKeyProvider, binding: LabelBinding, skip: boolean): Promise<string | undefined> {
  const kind: SealedLabelKind = binding.pendingRunId !== undefined ? 'pending-run' : binding.branchId === undefined ? 'title' : 'branch-name'
  const key = await keys.keyById(label.kid)
  if (key === undefined) {
    const what = kind === 'title' ? 'its title' : kind === 'pending-run' ? 'its run waiting for approval' : `the name of its branch "${binding.branchId}"`
    throw new WrongKeyError(
      `Session "${binding.sessionId}" has ${what} sealed with key ${label.kid}, which this keyring does not hold. Nothing was read or changed; unlock the key store it was written with.`,
      { keyId: label.kid },
    )
  }
  try {
    return await openLabel(label, key, binding)
  } catch (cause) {
    if (skip) return undefined
    throw new DecryptionError({
      sessionId: binding.sessionId,
      index: -1,
      windowSize: 0,
      reason: 'authentication',
      keyId: label.kid,
      label: { kind, branchId: binding.branchId },
      cause,
    })
  }
}

/** A branch listing with every sealed name opened (one that fails to open under `skip` stays `''`, with its `sealedName`). */
export async function openBranchNames(branches: BranchInfo[], keys: DataKeyProvider, sessionId: string, skip: boolean): Promise<BranchInfo[]> {
  return Promise.all(
    branches.map(async (branch) => {
      if (!branch.sealedName) return branch
      const name = await openSealed(branch.sealedName, keys, { sessionId, branchId: branch.id }, skip)
      if (name === undefined) return branch
      const { sealedName: _sealed, ...opened } = branch
      return { ...opened, name }
    }),
  )
}
