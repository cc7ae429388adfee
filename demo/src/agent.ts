// The hands-on exercise of the Python Agents SDK's Sessions guide, done right: a notes
// agent whose conversations live in an IndexedDB session per user and whose notes live in
// IndexedDB too.
import { Agent, type Model } from '../../src/index.js'
import { notesTools, type NotesContext } from './notes/tools.js'

/** The notes agent; `model` may be left out where only its name and tools matter (reading a paused run). */
export function notesAgent(model?: Model): Agent<NotesContext> {
  return new Agent<NotesContext>({
    name: 'Notes Agent',
    instructions: (ctx) =>
      `You help ${ctx.context.userId} manage their notes and remember what they tell you. ` +
      'Use the tools to save, list, search, update and delete notes. Answer briefly.',
    tools: notesTools,
    ...(model && { model }),
  })
}
