import { InvalidArgumentError } from '../errors.js'
import type { DataKey, DataKeyProvider } from './keyring.js'
import { dataKeyId, dataKeyProblem } from './keys.js'

/**
 * A {@link DataKeyProvider} over one caller-supplied AES-GCM-256 `CryptoKey` (for apps
 * that manage keys themselves, e.g. from a WebAuthn PRF or a server). Its id is the key's
 * fingerprint, so a session written with another key raises `WrongKeyError`.
 * `EncryptedSession` builds one when given a `CryptoKey` as `key`.
 */
export class StaticKeyProvider implements DataKeyProvider {
  readonly #key: CryptoKey
  #id: Promise<string> | undefined

  /**
   * @param key - AES-GCM, 256 bits, usages `encrypt` and `decrypt`; preferably non-extractable
   * @throws {@link InvalidArgumentError} for any other key.
   */
  constructor(key: CryptoKey) {
    const problem = dataKeyProblem(key)
    if (problem !== undefined) throw new InvalidArgumentError(`key cannot encrypt items: ${problem}.`)
    this.#key = key
  }

  async currentKey(): Promise<DataKey> {
    return { id: await this.#keyId(), key: this.#key }
  }

  async keyById(id: string): Promise<CryptoKey | undefined> {
    return id === (await this.#keyId()) ? this.#key : undefined
  }

  #keyId(): Promise<string> {
    this.#id ??= dataKeyId(this.#key)
    return this.#id
  }
}

/**
 * The provider for a `key` option: a {@link DataKeyProvider} as it is (a `Keyring`), or a
 * {@link StaticKeyProvider} over a `CryptoKey`.
 * @throws {@link InvalidArgumentError} for anything else.
 */
export function toKeyProvider(key: DataKeyProvider | CryptoKey): DataKeyProvider {
  if (typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) return new StaticKeyProvider(key)
  const provider = key as Partial<DataKeyProvider> | null
  if (typeof provider !== 'object' || provider === null || typeof provider.currentKey !== 'function' || typeof provider.keyById !== 'function') {
    throw new InvalidArgumentError('key must be a Keyring (from KeyStore), a DataKeyProvider, or an AES-GCM-256 CryptoKey.')
  }
  return provider as DataKeyProvider
}
