// The notes agent from the seed's exercise (save/list/search with a context object).
import { z } from 'zod'
import { Agent } from '../../src/runner/agent.js'
import type { Model } from '../../src/model/model.js'
import type { RunContext } from '../../src/runner/run-context.js'
import { tool } from '../../src/runner/tool.js'
import type { NotesContext } from './helpers.js'

export const saveNote = tool({
  name: 'save_note',
  description: 'Save a new note.',
  parameters: z.object({ title: z.string().describe('Title of the note.'), content: z.string().describe('Content of the note.') }),
  execute: ({ title, content }, ctx: RunContext<NotesContext>) => {
    ctx.context.notes.push({ title, content })
    return `Saved note: '${title}'`
  },
})

export const listNotes = tool({
  name: 'list_notes',
  description: 'List all saved notes.',
  parameters: z.object({}),
  execute: (_args, ctx: RunContext<NotesContext>) =>
    ctx.context.notes.length === 0 ? 'No notes saved yet.' : ctx.context.notes.map((n) => `- ${n.title}: ${n.content}`).join('\n'),
})

export const searchNotes = tool({
  name: 'search_notes',
  description: 'Search notes by keyword.',
  parameters: z.object({ query: z.string().describe('The keyword to search for.') }),
  execute: ({ query }, ctx: RunContext<NotesContext>) => {
    const q = query.toLowerCase()
    const matches = ctx.context.notes.filter((n) => n.title.toLowerCase().includes(q) || n.content.toLowerCase().includes(q))
    return matches.length === 0 ? `No notes matching '${query}'.` : matches.map((n) => `- ${n.title}: ${n.content}`).join('\n')
  },
})

export function notesAgent(model?: Model | string): Agent<NotesContext> {
  return new Agent<NotesContext>({
    name: 'Notes Agent',
    instructions: (ctx) => `Help ${ctx.context.userId} manage their notes. Use the tools to save, list, and search notes.`,
    tools: [saveNote, listNotes, searchNotes],
    ...(model !== undefined && { model }),
  })
}
