// The Python SDK's AdvancedSQLiteSession extras, as pure functions over a branch's items:
// tool calls counted per tool and turn, and the turn whose user message holds a text.
import { InvalidArgumentError, TurnNotFoundError } from '../errors.js'
import { field, isUserMessage, messageText } from '../items/predicates.js'

/** How often one tool was called in one turn, as `getToolUsage()` lists it. */
export interface ToolUsage {
  /**
   * The tool's name: a function call's `name`, prefixed with its `namespace` (`crm.lookup`)
   * or, for an MCP call, its `server_label` (`filesystem.read_file`), so tools of the same
   * name from different places are counted apart (a function namespace equal to the name is
   * left out; a server label never is); or the item type of a hosted tool call without a name (`web_search_call`, …).
   */
  toolName: string
  /** Calls of the tool in the turn. */
  calls: number
  /** The 1-based turn of the current branch. */
  turn: number
}

/** The tool a stored item calls, or `undefined` for any other item. */
function toolNameOf(item: unknown): string | undefined {
  const type = field(item, 'type')
  if (typeof type !== 'string' || !type.endsWith('_call')) return undefined
  const name = field(item, 'name')
  if (typeof name !== 'string' || name === '') return type
  const mcp = type === 'mcp_call'
  const scope = field(item, mcp ? 'server_label' : 'namespace')
  // Only a function namespace equal to the name is dropped (a deferred top-level call); an MCP server's label never is.
  return typeof scope === 'string' && scope !== '' && (mcp || scope !== name) ? `${scope}.${name}` : name
}

/**
 * Tool calls of a branch's items (oldest first) counted per tool name per turn, ordered by
 * turn, then by the first call of each tool in it. Calls before the first user message
 * belong to no turn and are not counted.
 */
export function toolUsageOf(items: readonly unknown[]): ToolUsage[] {
  const usage: ToolUsage[] = []
  let turn = 0
  let inTurn = new Map<string, ToolUsage>()
  for (const item of items) {
    if (isUserMessage(item)) {
      turn += 1
      inTurn = new Map()
      continue
    }
    const toolName = toolNameOf(item)
    if (toolName === undefined || turn === 0) continue
    const found = inTurn.get(toolName)
    if (found) found.calls += 1
    else {
      const entry = { toolName, calls: 1, turn }
      inTurn.set(toolName, entry)
      usage.push(entry)
    }
  }
  return usage
}

/** Checks the text of `createBranchFromContent`. */
export function assertSearchText(text: unknown): asserts text is string {
  if (typeof text !== 'string' || text === '') {
    throw new InvalidArgumentError(`createBranchFromContent needs a non-empty text to look for, got ${JSON.stringify(text) ?? String(text)}.`)
  }
}

/**
 * The first turn (1-based) whose user message contains `text`, case-insensitively.
 * @throws {@link TurnNotFoundError} when no user message does
 */
export function turnWithUserText(sessionId: string, items: readonly unknown[], text: string): number {
  const needle = text.toLowerCase()
  let turn = 0
  for (const item of items) {
    if (!isUserMessage(item)) continue
    turn += 1
    if (messageText(item).toLowerCase().includes(needle)) return turn
  }
  throw new TurnNotFoundError(sessionId, text, turn)
}
