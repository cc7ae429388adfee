// The runner's multi-turn notes example on an EncryptedSession over IndexedDBSession
// (fake-indexeddb): the model sees the whole history, the store sees only envelopes.
import { openDB } from 'idb'
import { afterAll, describe, expect, it } from 'vitest'
import { EncryptedSession, KeyStore } from '../../src/index.js'
import { run } from '../../src/runner/runner.js'
import { IndexedDBSession } from '../../src/idb/indexeddb-session.js'
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
      { toolCalls: [{ name: 'save_note', arguments: { title: 'Dentist', content: 'Thursday 3pm, root canal' } }], usage: { inputTokens: 10, outputTokens: 1, totalTokens: 11 } },
      { text: 'Saved your dentist appointment.', usage: { inputTokens: 20, outputTokens: 2, totalTokens: 22 } },
      { toolCalls: [{ name: 'search_notes', arguments: { query: 'dentist' } }], usage: { inputTokens: 30, outputTokens: 3, totalTokens: 33 } },
      { text: 'Your dentist appointment is Thursday at 3pm.', usage: { inputTokens: 40, outputTokens: 4, totalTokens: 44 } },
    ])
    const context: NotesContext = { userId: 'alice', notes: [] }
    const session = () => new EncryptedSession(new IndexedDBSession('notes_alice', { dbName }), { key: keyring })
    const first = await run(notesAgent(model), 'Remember my dentist appointment: Thursday 3pm, root canal', { session: session(), context })

    // A reload: a new key store object, unlocked by the remembered device.
    const reloaded = (await (await KeyStore.open(keysName)).unlockWithDevice())!
    const again = EncryptedSession.wrap(new IndexedDBSession('notes_alice', { dbName }), { key: reloaded })
    const second = await run(notesAgent(model), 'When is my dentist appointment?', { session: again, context })
    expect(second.finalOutput).toBe('Your dentist appointment is Thursday at 3pm.')
    expect(userTexts(model.requests[2]!.input)).toEqual(['Remember my dentist appointment: Thursday 3pm, root canal', 'When is my dentist appointment?'])

    const stored = await again.getItems()
    expect(stored.map((i) => i.type ?? i.role)).toEqual([
      'user', 'function_call', 'function_call_output', 'message',
      'user', 'function_call', 'function_call_output', 'message',
    ])
    expectWholeTurns(stored)

    // The runner recorded each run's usage on its turn, through the encrypted session.
    expect(first.usage).toMatchObject({ requests: 2, inputTokens: 30, outputTokens: 3, totalTokens: 33 })
    expect(second.usage).toMatchObject({ requests: 2, inputTokens: 70, outputTokens: 7, totalTokens: 77 })
    expect(await again.getTurnUsage()).toEqual([
      { turn: 1, usage: { requests: 2, inputTokens: 30, outputTokens: 3, totalTokens: 33 } },
      { turn: 2, usage: { requests: 2, inputTokens: 70, outputTokens: 7, totalTokens: 77 } },
    ])
    expect(await again.getSessionUsage()).toEqual({ requests: 4, inputTokens: 100, outputTokens: 10, totalTokens: 110 })
    expect((await again.getTurns()).map((t) => [t.turn, t.userText, t.itemCount])).toEqual([
      [1, 'Remember my dentist appointment: Thursday 3pm, root canal', 4],
      [2, 'When is my dentist appointment?', 4],
    ])
    expect((await again.findTurns('ROOT CANAL')).map((m) => m.turn)).toEqual([1])

    const db = await openDB(dbName)
    const everything = JSON.stringify(await Promise.all([...db.objectStoreNames].map((s) => db.getAll(s))))
    db.close()
    expect(everything).toContain('notes_alice') // ids stay in clear
    for (const secret of ['dentist', 'Dentist', 'root canal', 'save_note', 'search_notes', 'Thursday']) expect(everything).not.toContain(secret)
  })
})
