// The capabilities an EncryptedSession offers when its underlying session has them:
// branches (with turns and search decrypted in memory, names sealed), usage (passed
// through), titles (sealed). Built over the session's core: its queue, options, policy
// and the appender that keeps the next position.
import { InvalidArgumentError } from '../errors.js'
import type { AgentItem } from '../items/types.js'
import type { BranchingSession, ContentBranchingSession, ToolUsageSession, UsageTrackingSession } from '../session/capabilities.js'
import { assertSearchText, toolUsageOf, turnWithUserText } from '../session/tool-usage.js'
import { isSealedBranchNamesSession, type TitledSession } from '../session/labels.js'
import type { Session } from '../session/session.js'
import type { UsageTotals } from '../session/usage.js'
import type { Appender } from './appender.js'
import { decryptTurns, matchTurns } from './decrypted-turns.js'
import { inspectItems, pickItems, type OpenPolicy } from './item-codec.js'
import { openBranchNames, openSealed, sealWithCurrentKey } from './labels.js'
import type { ResolvedOptions } from './options.js'
import { checkWindow } from './positions.js'

/** The title methods of an {@link EncryptedSession} over a session with a title (`IndexedDBSession`). */
export interface EncryptedTitles {
  /** See `EncryptedSession.setTitle`. */
  setTitle(title: string): Promise<void>
  /** See `EncryptedSession.getTitle`. */
  getTitle(): Promise<string | undefined>
}

/** What the capability methods need of their `EncryptedSession`. */
export interface SessionCore {
  readonly sessionId: string
  readonly options: ResolvedOptions
  readonly appender: Appender
  policy(): OpenPolicy
  /** Runs a task in the session's queue, after every call made before. */
  run<T>(task: () => Promise<T>): Promise<T>
  /** Runs a read after every write made before it. */
  afterWrites<T>(read: () => Promise<T>): Promise<T>
  /** Validates `items`, then seals and appends them (with `usage`) in the queue. */
  append(items: unknown[], usage: UsageTotals | undefined): Promise<void>
}

/** The branching methods of an `EncryptedSession`, over `inner`'s: with tool usage and branching by content, on decrypted items. */
export function branchingMethods<TItem>(
  core: SessionCore,
  inner: BranchingSession<AgentItem>,
): Omit<ContentBranchingSession<TItem> & ToolUsageSession<TItem>, keyof Session<TItem>> {
  const branch = async () => {
    const raw = await core.afterWrites(() => inner.getTimedItems())
    const policy = core.policy()
    const inspected = await inspectItems(
      raw.map((entry) => entry.item),
      policy,
    )
    const { misplaced } = checkWindow(inspected, 0) // a whole branch starts at 0
    return { raw, inspected, policy, misplaced }
  }
  const turns = async () => {
    const { raw, inspected, policy, misplaced } = await branch()
    return decryptTurns(raw, inspected, policy, misplaced)
  }
  const skip = () => core.options.onUndecryptable === 'skip'
  // A branch change (switch, delete): the next position is counted again.
  const branchChange = (change: () => Promise<void>) =>
    core.run(() => {
      core.appender.invalidate()
      return change()
    })
  const opened = async () => {
    const { inspected, policy, misplaced } = await branch()
    return pickItems<unknown>(inspected, policy, misplaced)
  }
  const methods: Omit<BranchingSession<TItem>, keyof Session<TItem>> = {
    getTurns: async () => (await turns()).map(({ info }) => info),
    findTurns: async (text) => {
      if (typeof text !== 'string') throw new InvalidArgumentError(`findTurns expects a string, got ${typeof text}`)
      return matchTurns(await turns(), text)
    },
    getTimedItems: async () => {
      const { raw, inspected, policy, misplaced } = await branch()
      pickItems(inspected, policy, misplaced) // throws what getItems() would
      return inspected.flatMap((entry, i) => (entry.kind === 'item' || entry.kind === 'plain' ? [{ ...raw[i]!, item: entry.item as TItem }] : []))
    },
    createBranchFromTurn: async (turn, name) => {
      if (name !== undefined && typeof name !== 'string') throw new InvalidArgumentError(`a branch name must be a string, got ${typeof name}`)
      return core.run(async () => {
        core.appender.invalidate()
        if (core.options.titles === 'clear') return inner.createBranchFromTurn(turn, name)
        if (!isSealedBranchNamesSession(inner)) {
          if (name === undefined) return inner.createBranchFromTurn(turn)
          throw new InvalidArgumentError(
            `Session "${core.sessionId}" cannot keep a sealed branch name (its store has no createSealedBranch), and branch names are sealed by default. ` +
              "Nothing was created. Create the branch without a name, or open the EncryptedSession with titles: 'clear'.",
          )
        }
        const branchId = `branch-${crypto.randomUUID().slice(0, 8)}`
        const sealed = await sealWithCurrentKey(name ?? `turn-${turn}`, core.options.keys, { sessionId: core.sessionId, branchId })
        return inner.createSealedBranch(turn, branchId, sealed)
      })
    },
    switchToBranch: (branchId) => branchChange(() => inner.switchToBranch(branchId)),
    deleteBranch: (branchId) => branchChange(() => inner.deleteBranch(branchId)),
    listBranches: () => core.afterWrites(async () => openBranchNames(await inner.listBranches(), core.options.keys, core.sessionId, skip())),
    getCurrentBranchId: () => core.afterWrites(() => inner.getCurrentBranchId()),
  }
  return {
    ...methods,
    getToolUsage: async () => toolUsageOf(await opened()),
    createBranchFromContent: async (text, name) => {
      assertSearchText(text)
      // Found on decrypted items, then branched as createBranchFromTurn does (the name sealed).
      return methods.createBranchFromTurn(turnWithUserText(core.sessionId, await opened(), text), name)
    },
  }
}

/** The usage methods of an `EncryptedSession`, over `inner`'s. */
export function usageMethods<TItem>(core: SessionCore, inner: UsageTrackingSession<AgentItem>): Omit<UsageTrackingSession<TItem>, keyof Session<TItem>> {
  const getTurnUsage = (turn?: number) =>
    core.afterWrites<Array<{ turn: number; usage: UsageTotals }> | UsageTotals | undefined>(() =>
      turn === undefined ? inner.getTurnUsage() : inner.getTurnUsage(turn),
    )
  return {
    storeRunUsage: (result) => core.run(() => inner.storeRunUsage(result)),
    addItemsWithUsage: (items, usage) => core.append(items, usage),
    getSessionUsage: (options) => core.afterWrites(() => inner.getSessionUsage(options)),
    getTurnUsage: getTurnUsage as UsageTrackingSession<TItem>['getTurnUsage'],
  }
}

/** The title methods of an `EncryptedSession`, over `inner`'s. */
export function titleMethods(core: SessionCore, inner: TitledSession<AgentItem>): EncryptedTitles {
  return {
    setTitle: async (title) => {
      if (typeof title !== 'string') throw new InvalidArgumentError(`title must be a string, got ${typeof title}`)
      return core.run(async () => {
        if (core.options.titles === 'clear') return inner.setTitle(title)
        return inner.setSealedTitle(await sealWithCurrentKey(title, core.options.keys, { sessionId: core.sessionId }))
      })
    },
    getTitle: () =>
      core.afterWrites(async () => {
        const stored = await inner.getStoredTitle()
        if (stored === undefined || typeof stored === 'string') return stored
        return openSealed(stored, core.options.keys, { sessionId: core.sessionId }, core.options.onUndecryptable === 'skip')
      }),
  }
}
