// Encryption at rest, in real Chromium: EncryptedSession over IndexedDBSession vs the same
// IndexedDBSession in plaintext (same database), and the cost of unlocking at 600,000
// PBKDF2 iterations. Prints figures; asserts nothing about time.
import { it } from 'vitest'
import { EncryptedSession, KeyStore } from '../src/index.js'
import { MIN_PBKDF2_ITERATIONS } from '../src/crypto/passphrase.js'
import { IndexedDBSession, type AgentItem, type Session } from '../src/index.js'
import { compareMs, deleteDatabase, median, ratio } from './support/measure.js'

const words = 'the quick brown fox jumps over a lazy dog while we discuss private notes '
/** A ~1 KB message (1,000 characters of content). */
const itemOf = (n: number): AgentItem => ({ role: n % 2 ? 'assistant' : 'user', content: `${n} ${words.repeat(14)}`.slice(0, 1000) })
const turnOf = (start: number): AgentItem[] => Array.from({ length: 4 }, (_, i) => itemOf(start + i))

it('encrypted vs plaintext add + get of 1 KB items on the same store', async () => {
  const dbName = 'bench-crypto-store'
  const keysName = 'bench-crypto-keys'
  await deleteDatabase(dbName)
  await deleteDatabase(keysName)
  const store = await KeyStore.open(keysName)
  const keyring = await store.create('benchmark passphrase')
  const plain = new IndexedDBSession('plain', { dbName })
  const encrypted = new EncryptedSession(new IndexedDBSession('encrypted', { dbName }), { key: keyring })
  // The same stored session without decrypted items kept in memory: every read decrypts,
  // as the first read of a window after a reload does.
  const uncached = new EncryptedSession(new IndexedDBSession('encrypted', { dbName }), { key: keyring, decryptedCacheSize: 0 })
  const seed = Array.from({ length: 200 }, (_, i) => itemOf(i))
  await plain.addItems(seed)
  await encrypted.addItems(seed)

  const counters = new Map<Session, number>()
  const add = (session: Session) => () => {
    const n = counters.get(session) ?? 1000
    counters.set(session, n + 4)
    return session.addItems(turnOf(n))
  }
  const get = (session: Session) => () => session.getItems(20)
  const turn = (session: Session) => async () => {
    await session.getItems(20)
    await add(session)()
  }
  const rows: Array<[string, () => Promise<unknown>, () => Promise<unknown>, string]> = [
    ['addItems, 4-item turn', add(encrypted), add(plain), 'goal ≤ 1.3×'],
    ['getItems(20) of 200+ items', get(encrypted), get(plain), 'goal ≤ 1.3×'],
    ['getItems(20), decrypting every item', get(uncached), get(plain), 'decryptedCacheSize: 0'],
    ['turn: getItems(20) + addItems(4 items)', turn(encrypted), turn(plain), 'goal ≤ 1.3×'],
  ]
  const lines: string[] = []
  for (const [name, ourFn, anchorFn, goal] of rows) {
    // 101 rounds: at 41, two runs of the read differed by up to 0.2× (decryption is a round
    // trip to WebCrypto's thread per item, and its timing varies from round to round).
    const [ours, anchor] = (await compareMs([ourFn, anchorFn], 101)) as [number, number]
    lines.push(`  ${name.padEnd(40)} encrypted ${ours.toFixed(3).padStart(7)} ms  plaintext ${anchor.toFixed(3).padStart(7)} ms  ratio ${ratio(ours, anchor)}  (${goal})`)
  }
  console.log(`\nEncryption at rest: EncryptedSession over IndexedDBSession ÷ the same store in plaintext (real Chromium, 1 KB items)\n${lines.join('\n')}\n`)
  store.close()
  await deleteDatabase(dbName)
  await deleteDatabase(keysName)
})

it(`unlock time at ${MIN_PBKDF2_ITERATIONS.toLocaleString('en')} PBKDF2-SHA256 iterations`, async () => {
  const keysName = 'bench-crypto-unlock'
  await deleteDatabase(keysName)
  const store = await KeyStore.open(keysName)
  let start = performance.now()
  const keyring = await store.create('benchmark passphrase')
  const createMs = performance.now() - start
  const unlockTimes: number[] = []
  for (let i = 0; i < 5; i++) {
    start = performance.now()
    await store.unlock('benchmark passphrase')
    unlockTimes.push(performance.now() - start)
  }
  await keyring.rememberDevice()
  const deviceTimes: number[] = []
  for (let i = 0; i < 5; i++) {
    start = performance.now()
    await store.unlockWithDevice()
    deviceTimes.push(performance.now() - start)
  }
  start = performance.now()
  await keyring.changePassphrase('another benchmark passphrase')
  const changeMs = performance.now() - start
  const rows: Array<[string, number]> = [
    ['create keyring (1 derivation)', createMs],
    ['unlock with passphrase (median of 5)', median(unlockTimes)],
    ['unlock with device key (median of 5)', median(deviceTimes)],
    ['change passphrase (1 derivation + 1 put)', changeMs],
  ]
  const lines = rows.map(([what, ms]) => `  ${what.padEnd(46)} ${ms.toFixed(1).padStart(8)} ms`)
  console.log(`\nKey store (real Chromium, PBKDF2-SHA256 ${MIN_PBKDF2_ITERATIONS} iterations)\n${lines.join('\n')}\n`)
  await store.destroy()
})
