// The runner's multi-turn notes example on an EncryptedSession over IndexedDBSession
// (fake-indexeddb): the model sees the whole history, the store sees only envelopes.
import { openDB } from 'idb'
import { afterAll, describe, expect, it } from 'vitest'
import { EncryptedSession, KeyStore } from '../../src/crypto/index.js'
import { run } from '../../src/runner/runner.js'
import { IndexedDBSession } from '../../src/session/indexeddb.js'
import { ScriptedModel } from '../../src/testing/scripted-model.js'
import { deleteDatabase, unique } from '../crypto/support.js'
import { expectWholeTurns, userTexts, type NotesContext } from '../runner/helpers.js'
import { notesAgent } from '../runner/notes.js'

const dbName = unique('enc-runner')
const keysName = `${dbName}-keys`
afterAll(async () => {
  await deleteDatabase(dbName)
  await deleteDatabase(keysName)
})

describe('run() on an EncryptedSession', () => {
  it('runs the notes agent over several turns and a reload, storing no plaintext', async () => {
    const store = await KeyStore.open(keysName)
    const keyring = await store.create('notes passphrase')
    await keyring.rememberDevice()
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Dentist', content: 'Thursday 3pm, root canal' } }] },
      'Saved your dentist appointment.',
      { toolCalls: [{ name: 'search_notes', arguments: { query: 'dentist' } }] },
      'Your dentist appointment is Thursday at 3pm.',
    ])
    const context: NotesContext = { userId: 'alice', notes: [] }
    const session = () => new EncryptedSession(new IndexedDBSession('notes_alice', { dbName }), { key: keyring })
    await run(notesAgent(model), 'Remember my dentist appointment: Thursday 3pm, root canal', { session: session(), context })

    // A reload: a new key store object, unlocked by the remembered device.
    const reloaded = (await (await KeyStore.open(keysName)).unlockWithDevice())!
    const again = new EncryptedSession(new IndexedDBSession('notes_alice', { dbName }), { key: reloaded })
    const second = await run(notesAgent(model), 'When is my dentist appointment?', { session: again, context })
    expect(second.finalOutput).toBe('Your dentist appointment is Thursday at 3pm.')
    expect(userTexts(model.requests[2]!.input)).toEqual(['Remember my dentist appointment: Thursday 3pm, root canal', 'When is my dentist appointment?'])

    const stored = await again.getItems()
    expect(stored.map((i) => i.type ?? i.role)).toEqual([
      'user', 'function_call', 'function_call_output', 'message',
      'user', 'function_call', 'function_call_output', 'message',
    ])
    expectWholeTurns(stored)

    const db = await openDB(dbName)
    const everything = JSON.stringify(await Promise.all([...db.objectStoreNames].map((s) => db.getAll(s))))
    db.close()
    expect(everything).toContain('notes_alice') // ids stay in clear
    for (const secret of ['dentist', 'Dentist', 'root canal', 'save_note', 'search_notes', 'Thursday']) expect(everything).not.toContain(secret)
  })
})
