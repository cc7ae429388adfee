// The offline demo model's intent matcher: the many ways people ask for the five notes
// actions and the favorite-color memory, and brief answers to everything else.
import { describe, expect, test } from 'vitest'
import { matchIntent, type Intent } from '../../demo/src/offline-model/intents.js'

const cases: Array<[string, Intent]> = [
  // save_note
  ['Save a note called Groceries: milk, eggs', { kind: 'save_note', title: 'Groceries', content: 'milk, eggs' }],
  ['save note: call mom', { kind: 'save_note', title: 'Call mom', content: 'call mom' }],
  ['Note to self: buy stamps', { kind: 'save_note', title: 'Buy stamps', content: 'buy stamps' }],
  ['Can you make a note that the meeting moved to 3pm?', { kind: 'save_note', title: 'Meeting moved to 3pm', content: 'the meeting moved to 3pm' }],
  ['Please create a new note titled Ideas with content: build a boat', { kind: 'save_note', title: 'Ideas', content: 'build a boat' }],
  ['new note Trip - book the train', { kind: 'save_note', title: 'Trip', content: 'book the train' }],
  ['Jot down: pick up the laundry', { kind: 'save_note', title: 'Pick up the laundry', content: 'pick up the laundry' }],
  ['Take a note: call the plumber', { kind: 'save_note', title: 'Call the plumber', content: 'call the plumber' }],
  ['remember to water the plants', { kind: 'save_note', title: 'Water the plants', content: 'water the plants' }],
  ['add a note about the dentist on Friday', { kind: 'save_note', title: 'Dentist on Friday', content: 'the dentist on Friday' }],
  ['Save "pay rent" as a note', { kind: 'save_note', title: 'Pay rent', content: 'pay rent' }],
  ['write down that the wifi password is hunter2', { kind: 'save_note', title: 'Wifi password is hunter2', content: 'the wifi password is hunter2' }],
  ['Add a new note named Books, saying Dune and Emma', { kind: 'save_note', title: 'Books', content: 'Dune and Emma' }],
  // list_notes
  ['List my notes', { kind: 'list_notes' }],
  ['what notes do I have?', { kind: 'list_notes' }],
  ['Show me all my notes please', { kind: 'list_notes' }],
  ['do I have any notes?', { kind: 'list_notes' }],
  ["What's in my notes?", { kind: 'list_notes' }],
  ['notes?', { kind: 'list_notes' }],
  ['What have I saved so far?', { kind: 'list_notes' }],
  ['could you read me my notes', { kind: 'list_notes' }],
  ['Which notes have I got', { kind: 'list_notes' }],
  // search_notes
  ['Search notes for milk', { kind: 'search_notes', query: 'milk' }],
  ['find my notes about the dentist', { kind: 'search_notes', query: 'dentist' }],
  ['Do I have a note about Paris?', { kind: 'search_notes', query: 'Paris' }],
  ['which notes mention eggs?', { kind: 'search_notes', query: 'eggs' }],
  ['look up milk in my notes', { kind: 'search_notes', query: 'milk' }],
  ['What did I write about the trip?', { kind: 'search_notes', query: 'trip' }],
  ['are there any notes on taxes', { kind: 'search_notes', query: 'taxes' }],
  ['where is my groceries note', { kind: 'search_notes', query: 'groceries' }],
  ['search for bread', { kind: 'search_notes', query: 'bread' }],
  // update_note
  ['Update note Groceries: bread', { kind: 'update_note', title: 'Groceries', content: 'bread' }],
  ['change the Groceries note to milk and bread', { kind: 'update_note', title: 'Groceries', content: 'milk and bread' }],
  ['edit my Trip note: book the 9:10 train', { kind: 'update_note', title: 'Trip', content: 'book the 9:10 train' }],
  ['Replace the content of Groceries with cheese', { kind: 'update_note', title: 'Groceries', content: 'cheese' }],
  ['please update the note called Trip to say train at 9', { kind: 'update_note', title: 'Trip', content: 'train at 9' }],
  ['In my shopping note, write apples', { kind: 'update_note', title: 'shopping', content: 'apples' }],
  ['add bread to my groceries note', { kind: 'append_note', title: 'groceries', addition: 'bread' }],
  // delete_note
  ['delete the groceries note', { kind: 'delete_note', title: 'groceries' }],
  ['Delete note Groceries', { kind: 'delete_note', title: 'Groceries' }],
  ['Delete the note called "Groceries"', { kind: 'delete_note', title: 'Groceries' }],
  ['remove my Trip note', { kind: 'delete_note', title: 'Trip' }],
  ['get rid of the note called Trip', { kind: 'delete_note', title: 'Trip' }],
  ['Can you please erase the shopping list note?', { kind: 'delete_note', title: 'shopping list' }],
  ['throw away my Ideas note', { kind: 'delete_note', title: 'Ideas' }],
  ['forget the Books note', { kind: 'delete_note', title: 'Books' }],
  // the favorite-color memory, and other facts
  ['My favorite color is blue', { kind: 'remember', subject: 'favorite color', value: 'blue' }],
  ['my favourite colour is green.', { kind: 'remember', subject: 'favorite color', value: 'green' }],
  ['Blue is my favorite color', { kind: 'remember', subject: 'favorite color', value: 'Blue' }],
  ['remember that my favorite color is red', { kind: 'remember', subject: 'favorite color', value: 'red' }],
  ['change my favorite color to purple', { kind: 'remember', subject: 'favorite color', value: 'purple' }],
  ["my fave color's teal", { kind: 'remember', subject: 'favorite color', value: 'teal' }],
  ['remember that I like tea', { kind: 'remember', subject: 'likes', value: 'tea' }],
  ['I love hiking', { kind: 'remember', subject: 'likes', value: 'hiking' }],
  ['My name is Alice', { kind: 'remember', subject: 'name', value: 'Alice' }],
  ["What's my favorite color?", { kind: 'recall', subject: 'favorite color' }],
  ['what is my favourite colour', { kind: 'recall', subject: 'favorite color' }],
  ['Do you remember my favorite color?', { kind: 'recall', subject: 'favorite color' }],
  ['which color do I like best?', { kind: 'recall', subject: 'favorite color' }],
  ['tell me my favorite color again', { kind: 'recall', subject: 'favorite color' }],
  ['what do I like?', { kind: 'recall', subject: 'likes' }],
  ["what's my name?", { kind: 'recall', subject: 'name' }],
  // everything else
  ['hello there', { kind: 'greet' }],
  ['thanks!', { kind: 'thanks' }],
  ['what can you do?', { kind: 'help' }],
  ['show me some markdown', { kind: 'markdown' }],
  ['the weather is nice today', { kind: 'unknown' }],
]

describe('intent matcher of the offline demo model', () => {
  test.each(cases)('%s', (text, intent) => {
    expect(matchIntent(text)).toEqual(intent)
  })

  test('covers twenty or more phrasings of the notes actions, five or more of each', () => {
    const notes = cases.filter(([, intent]) => intent.kind.endsWith('_note') || intent.kind === 'list_notes' || intent.kind === 'search_notes')
    expect(notes.length).toBeGreaterThanOrEqual(20)
    for (const kind of ['save_note', 'list_notes', 'search_notes', 'update_note', 'delete_note']) {
      expect(notes.filter(([, intent]) => intent.kind === kind).length).toBeGreaterThanOrEqual(5)
    }
  })
})
