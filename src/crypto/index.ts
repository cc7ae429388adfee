// Public API of encryption at rest; re-exported by src/index.ts.
export { DecryptionError, KeyStoreError, WrongKeyError, type DecryptionFailure, type KeyStoreFailure } from './errors.js'
export { ENVELOPE_VERSION, type EncryptedEnvelope } from './envelope.js'
export { KeyStore, type CreateKeyStoreOptions } from './key-store.js'
export { Keyring, type DataKey, type DataKeyProvider, type RotationState } from './keyring.js'
export { MIN_PBKDF2_ITERATIONS } from './passphrase.js'
export { rotateDataKey, type ReencryptableSession, type RotationProgress, type RotationResult } from './rotation.js'
export { StaticKeyProvider } from './static-key.js'
export { EncryptedSession, type EncryptedSessionOptions } from '../session/encrypted.js'
