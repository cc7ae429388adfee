import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as zm from 'zod/mini'
import { InvalidArgumentError } from '../../src/errors.js'
import { ToolError } from '../../src/model/errors.js'
import { RunContext } from '../../src/runner/run-context.js'
import { tool } from '../../src/runner/tool.js'
import type { NotesContext } from './helpers.js'
import { saveNote } from './notes.js'

const details = { callId: 'call_1' }

describe('tool()', () => {
  it('sends a strict JSON schema made by zod', () => {
    expect(saveNote.definition).toEqual({
      type: 'function',
      name: 'save_note',
      description: 'Save a new note.',
      strict: true,
      parameters: {
        type: 'object',
        properties: {
          title: { type: 'string', description: 'Title of the note.' },
          content: { type: 'string', description: 'Content of the note.' },
        },
        required: ['title', 'content'],
        additionalProperties: false,
      },
    })
  })

  it('accepts zod/mini schemas too', () => {
    const t = tool({ name: 'm', description: 'd', parameters: zm.object({ n: zm.number() }), execute: ({ n }) => n * 2 })
    expect(t.definition.parameters.required).toEqual(['n'])
  })

  it('parses arguments and gives the tool the run context', async () => {
    const ctx = new RunContext<NotesContext>({ userId: 'alice', notes: [] })
    await expect(saveNote.invoke('{"title":"a","content":"b"}', ctx, details)).resolves.toBe("Saved note: 'a'")
    expect(ctx.context.notes).toEqual([{ title: 'a', content: 'b' }])
  })

  it('reports bad arguments to the model instead of crashing, without running the tool', async () => {
    const ctx = new RunContext<NotesContext>({ userId: 'alice', notes: [] })
    const bad = await saveNote.invoke('{"title":1}', ctx, details)
    expect(bad).toMatch(/invalid arguments for tool "save_note"/)
    expect(bad).toMatch(/title/)
    expect(await saveNote.invoke('{not json', ctx, details)).toMatch(/not valid JSON/)
    expect(ctx.context.notes).toEqual([])
  })

  it('reports a throwing tool to the model by default, and throws ToolError with onError: "throw"', async () => {
    const params = z.object({})
    const boom = () => {
      throw new Error('disk on fire')
    }
    const reported = tool({ name: 'r', description: 'd', parameters: params, execute: boom })
    expect(await reported.invoke('{}', new RunContext(undefined), details)).toBe('Error: tool "r" failed: disk on fire')
    const thrown = tool({ name: 't', description: 'd', parameters: params, execute: boom, onError: 'throw' })
    const error = await thrown.invoke('{}', new RunContext(undefined), details).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ToolError)
    expect(error).toMatchObject({ code: 'tool_failed', toolName: 't', callId: 'call_1', name: 'ToolError' })
  })

  it('sends non-string results as JSON', async () => {
    const t = tool({ name: 'j', description: 'd', parameters: z.object({}), execute: () => ({ ok: true }) })
    expect(await t.invoke('', new RunContext(undefined), details)).toBe('{"ok":true}')
  })

  it('refuses optional parameters in strict mode with advice, and allows them with strict: false', () => {
    const parameters = z.object({ q: z.string().optional() })
    expect(() => tool({ name: 'o', description: 'd', parameters, execute: () => '' })).toThrow(InvalidArgumentError)
    expect(() => tool({ name: 'o', description: 'd', parameters, execute: () => '' })).toThrow(/\.nullable\(\)/)
    expect(tool({ name: 'o', description: 'd', parameters, strict: false, execute: () => '' }).definition.strict).toBe(false)
  })

  it('refuses a bad tool name', () => {
    expect(() => tool({ name: 'has space', description: 'd', parameters: z.object({}), execute: () => '' })).toThrow(
      InvalidArgumentError,
    )
  })
})
