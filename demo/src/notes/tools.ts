// The Sessions guide's exercise tools (save_note, list_notes, search_notes) and its bonus ones
// (update_note, delete_note, which waits for the user's approval), over the user's notes in IndexedDB.
// zod/mini, as the library uses: the full zod would add ~90 KB to the app.
import * as z from 'zod/mini'
import { tool, type RunContext } from '../../../src/index.js'
import type { Note, NotesStore } from './notes-store.js'

export interface NotesContext {
  userId: string
  notes: NotesStore
}

type Ctx = RunContext<NotesContext>

const lines = (notes: Note[]): string => notes.map((n) => `- ${n.title}: ${n.content}`).join('\n')

export const saveNote = tool({
  name: 'save_note',
  description: 'Save a new note.',
  parameters: z.object({ title: z.string().check(z.describe('Title of the note.')), content: z.string().check(z.describe('Content of the note.')) }),
  execute: async ({ title, content }, ctx: Ctx) => {
    await ctx.context.notes.save(title, content)
    return `Saved note '${title}'.`
  },
})

export const listNotes = tool({
  name: 'list_notes',
  description: 'List all saved notes.',
  parameters: z.object({}),
  execute: async (_args, ctx: Ctx) => {
    const notes = await ctx.context.notes.list()
    return notes.length === 0 ? 'No notes saved yet.' : lines(notes)
  },
})

export const searchNotes = tool({
  name: 'search_notes',
  description: 'Search notes by keyword, in titles and contents.',
  parameters: z.object({ query: z.string().check(z.describe('The keyword to search for.')) }),
  execute: async ({ query }, ctx: Ctx) => {
    const notes = await ctx.context.notes.search(query)
    return notes.length === 0 ? `No notes matching '${query}'.` : lines(notes)
  },
})

export const updateNote = tool({
  name: 'update_note',
  description: 'Replace the content of an existing note, found by its title.',
  parameters: z.object({ title: z.string().check(z.describe('Title of the note to change.')), content: z.string().check(z.describe('The new content.')) }),
  execute: async ({ title, content }, ctx: Ctx) => {
    await ctx.context.notes.update(title, content)
    return `Updated note '${title}'.`
  },
})

export const deleteNote = tool({
  name: 'delete_note',
  description: 'Delete a note, found by its title.',
  parameters: z.object({ title: z.string().check(z.describe('Title of the note to delete.')) }),
  // Human in the loop: the chat asks before a note is deleted (Approve / Reject), and still
  // asks after a reload; the question is kept with the conversation in IndexedDB.
  needsApproval: true,
  execute: async ({ title }, ctx: Ctx) => {
    await ctx.context.notes.remove(title)
    return `Deleted note '${title}'.`
  },
})

export const notesTools = [saveNote, listNotes, searchNotes, updateNote, deleteNote]
