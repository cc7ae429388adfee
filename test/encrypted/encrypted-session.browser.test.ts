// EncryptedSession over IndexedDBSession in real Chromium, with a Keyring from a real key
// store (one PBKDF2 derivation for the whole file; reloads go through the device key).
import { openDB } from 'idb'
import { afterAll, describe, expect, it } from 'vitest'
import { DecryptionError, EncryptedSession, KeyStore, rotateDataKey, WrongKeyError, type Keyring } from '../../src/index.js'
import { type EncryptedEnvelope } from '../../src/crypto/envelope.js'
import { IndexedDBSession, type AgentItem } from '../../src/index.js'
import { describeSessionConformance } from '../../src/testing/vitest/index.js'
import { deleteDatabase, flipBit, newDataKey, rejectionOf, unique, user } from '../crypto/support.js'
import { perItem, tamper } from './support/raw-idb.js'

const keysName = unique('enc-browser-keys')
const dbName = unique('enc-browser-db')
const store = await KeyStore.open(keysName)
const keyring = await store.create('a long and private passphrase')
await keyring.rememberDevice()

afterAll(async () => {
  await store.destroy()
  await deleteDatabase(dbName)
})

describeSessionConformance('EncryptedSession over IndexedDBSession (Chromium)', (id) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: keyring }), {
  withDefaultLimit: (id, limit) => new EncryptedSession(new IndexedDBSession(id, { dbName, settings: { limit } }), { key: keyring }),
})

interface RawRecord {
  sessionId: string
  seq: number
  createdAt: number
  turn?: number
  item: EncryptedEnvelope
}

async function rawRecords(sessionId: string): Promise<RawRecord[]> {
  const db = await openDB(dbName)
  try {
    return perItem(await db.getAll('items')).filter((r) => r.sessionId === sessionId)
  } finally {
    db.close()
  }
}

/** Writes `records` over the items at their seqs (each session's rows rewritten one item a row). */
async function putRaw(records: RawRecord[]): Promise<void> {
  for (const sessionId of new Set(records.map((record) => record.sessionId))) {
    await tamper(dbName, sessionId, ({ rows }) => {
      for (const record of records) if (record.sessionId === sessionId) rows.set(record.seq, record)
    })
  }
}

const secretTurn: AgentItem[] = [
  { role: 'user', content: 'My passport number is X1234567, remember it' },
  { type: 'function_call', call_id: 'call_pass', name: 'save_note', arguments: '{"title":"passport","content":"X1234567"}' },
  { type: 'function_call_output', call_id: 'call_pass', output: "Saved note: 'passport'" },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Saved your passport number.' }] },
]

describe('EncryptedSession over IndexedDBSession in Chromium', () => {
  const reload = async (): Promise<Keyring> => (await (await KeyStore.open(keysName)).unlockWithDevice())!

  it('raw IndexedDB records hold no plaintext; ids, order and times are in clear', async () => {
    const id = unique('raw')
    await new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: keyring }).addItems(secretTurn)
    const records = await rawRecords(id)
    expect(records.map((r) => r.seq)).toEqual([...records.map((r) => r.seq)].sort((a, b) => a - b))
    expect(records).toHaveLength(4)
    for (const record of records) {
      expect(record.sessionId).toBe(id)
      expect(typeof record.createdAt).toBe('number')
      expect(record.item.type).toBe('encrypted')
    }
    // Only the user message says, in clear, that it is one (so the store numbers turns).
    expect(records.map((r) => [r.item.role, r.turn])).toEqual([
      ['user', 1],
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ])
    // Scan everything in the database, every store, not only this session's items.
    const db = await openDB(dbName)
    const everything = JSON.stringify(await Promise.all([...db.objectStoreNames].map((s) => db.getAll(s))))
    db.close()
    for (const secret of ['X1234567', 'passport', 'save_note', 'call_pass', 'function_call', 'assistant', 'output_text']) {
      expect(everything).not.toContain(secret)
    }
    const reread = await new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: await reload() }).getItems()
    expect(reread).toEqual(secretTurn)
  })

  it('a tampered record raises DecryptionError naming it, and changes nothing', async () => {
    const id = unique('tamper')
    const session = new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: keyring })
    await session.addItems(secretTurn)
    const records = await rawRecords(id)
    const target = records[2]!
    await putRaw([{ ...target, item: { ...target.item, ct: flipBit(target.item.ct) } }])
    const before = await rawRecords(id)
    const error = await rejectionOf(session.getItems())
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error).toMatchObject({ sessionId: id, index: 2, windowSize: 4, reason: 'authentication', keyId: keyring.currentKeyId })
    expect(await rawRecords(id)).toEqual(before)
    const skipping = new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: keyring, onUndecryptable: 'skip' })
    expect(await skipping.getItems()).toEqual([secretTurn[0], secretTurn[1], secretTurn[3]])
  })

  it('an envelope moved into another session fails to decrypt there', async () => {
    const from = unique('from')
    const to = unique('to')
    await new EncryptedSession(new IndexedDBSession(from, { dbName }), { key: keyring }).addItems([user('private to from')])
    const target = new EncryptedSession(new IndexedDBSession(to, { dbName }), { key: keyring })
    await target.addItems([user('to 1')])
    const [moved] = await rawRecords(from)
    // Copied by the store itself, so that the record is a proper item of session `to`.
    await new IndexedDBSession(to, { dbName }).addItems([moved!.item])
    expect((await rawRecords(to)).map((r) => r.item.ct)).toContain(moved!.item.ct)
    expect(await rejectionOf(target.getItems())).toMatchObject({ name: 'DecryptionError', sessionId: to, reason: 'authentication' })
  })

  it('a session written with another key refuses a wrong CryptoKey before writing', async () => {
    const id = unique('wrong')
    await new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: keyring }).addItems([user('kept')])
    const before = await rawRecords(id)
    const wrong = new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: await newDataKey() })
    expect(await rejectionOf(wrong.addItems([user('must not land')]))).toBeInstanceOf(WrongKeyError)
    expect(await rejectionOf(wrong.getItems())).toBeInstanceOf(WrongKeyError)
    expect(await rawRecords(id)).toEqual(before)
  })

  it('rotation interrupted half way keeps both sessions readable after a reload, then resumes', async () => {
    const ids = [unique('rot-a'), unique('rot-b')]
    const open = (ring: Keyring) => ids.map((id) => new EncryptedSession(new IndexedDBSession(id, { dbName }), { key: ring }))
    for (const [i, session] of open(keyring).entries()) await session.addItems([user(`${i} first`), user(`${i} second`)])
    const oldKid = keyring.currentKeyId
    const begun = await keyring.beginRotation()
    await open(keyring)[0]!.reencryptItems() // ... and the tab is closed here
    expect((await rawRecords(ids[0]!)).map((r) => r.item.kid)).toEqual([begun.to, begun.to])
    expect((await rawRecords(ids[1]!)).map((r) => r.item.kid)).toEqual([oldKid, oldKid])

    const ring = await reload()
    expect(ring.rotation).toEqual(begun)
    const [a, b] = open(ring)
    expect(await a!.getItems()).toEqual([user('0 first'), user('0 second')])
    expect(await b!.getItems()).toEqual([user('1 first'), user('1 second')])

    const result = await rotateDataKey(ring, open(ring))
    expect(result.reencrypted).toBe(2)
    expect(ring.keyIds).toEqual([begun.to])
    expect((await rawRecords(ids[1]!)).map((r) => r.item.kid)).toEqual([begun.to, begun.to])
    const fresh = await reload()
    expect(fresh.keyIds).toEqual([begun.to])
    expect(await open(fresh)[1]!.getItems()).toEqual([user('1 first'), user('1 second')])
  })

  it('plain history written before encryption is read, then migrated in place', async () => {
    const id = unique('plain')
    const plain = new IndexedDBSession(id, { dbName })
    await plain.addItems([user('written in clear')])
    const session = new EncryptedSession(plain, { key: keyring })
    await session.addItems([user('written encrypted')])
    expect(await session.getItems()).toEqual([user('written in clear'), user('written encrypted')])
    expect(await session.migratePlaintextItems()).toBe(1)
    expect(JSON.stringify(await rawRecords(id))).not.toContain('written in clear')
    expect(await session.getItems()).toEqual([user('written in clear'), user('written encrypted')])
  })
})
