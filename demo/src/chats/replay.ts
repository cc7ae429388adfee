// Copies an exported chat into a synced one through the synced session's own writes, so
// every branch reaches the sync server like a chat written there: main, then each branch
// made again from the turn it was made from (sharing its start, as the original does), the
// current branch, and a check that every branch reads back exactly as exported. A chat that
// cannot be copied exactly is removed from the synced side again; the original is never
// touched. Usage figures are not copied (the demo shows none).
import type { AgentItem, SessionExport, SyncedSession } from '../../../src/index.js'

type ExportedBranch = SessionExport['session']['branches'][number]

export class ReplayError extends Error {
  override name = 'ReplayError'
}

/** Writes `doc`'s branches into `target` (an empty session) and checks them. @throws ReplayError, or the sync session's own errors */
export async function replayInto(doc: SessionExport, target: SyncedSession): Promise<void> {
  const bySeq = new Map(doc.items.map((row) => [row.seq, row.item as AgentItem]))
  const itemsOf = (branch: ExportedBranch): AgentItem[] =>
    branch.ranges.flatMap(([start, end]) => Array.from({ length: end - start }, (_, i) => bySeq.get(start + i)!))
  const ids = new Map<string, string>([['main', 'main']])
  try {
    const main = doc.session.branches.find((branch) => branch.id === 'main')
    if (main && main.ranges.length > 0) await target.addItems(itemsOf(main))
    const rest = doc.session.branches.filter((branch) => branch.id !== 'main').sort((a, b) => a.createdAt - b.createdAt)
    while (rest.length > 0) {
      const next = rest.findIndex((branch) => branch.parentId !== null && ids.has(branch.parentId))
      if (next < 0) throw new ReplayError('a branch of it was made from a branch the export does not hold')
      const [branch] = rest.splice(next, 1) as [ExportedBranch]
      ids.set(branch.id, await copyBranch(target, ids.get(branch.parentId!)!, branch.forkTurn ?? 1, branch.name, itemsOf(branch)))
    }
    for (const branch of doc.session.branches) {
      await target.switchToBranch(ids.get(branch.id)!)
      if (!sameJson(await target.getItems(), itemsOf(branch))) throw new ReplayError(`its branch "${branch.name}" did not read back as exported`)
    }
    await target.switchToBranch(ids.get(doc.session.currentBranchId) ?? 'main')
  } catch (error) {
    await target.deleteSession().catch(() => {})
    throw error
  }
}

/** Makes `items`' branch again from turn `forkTurn` of `parentId`; returns its new id. */
async function copyBranch(target: SyncedSession, parentId: string, forkTurn: number, name: string, items: AgentItem[]): Promise<string> {
  await target.switchToBranch(parentId)
  const id = await target.createBranchFromTurn(forkTurn, name)
  // The start it shares with its parent is there already: only what is its own is added.
  const shared = await target.getItems()
  if (!sameJson(shared, items.slice(0, shared.length))) throw new ReplayError(`its branch "${name}" does not start as the one it was made from`)
  const own = items.slice(shared.length)
  if (own.length > 0) await target.addItems(own)
  return id
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
