// Versions of an edited message, from the branch list alone. A branch made from turn f of
// its parent shows the parent's turns before f, then its own. So turn k of branch X
// belongs to owner(X, k): X itself when k >= X.forkTurn, else owner(parent, k). Two
// branches show the same turns before t exactly when owner(·, t - 1) is the same branch,
// and each distinct owner of turn t among them is one version of that message.
import type { BranchInfo } from '../../../src/index.js'

export interface TurnVersions {
  /** 0-based index of the version the current branch shows. */
  index: number
  /** For each version, oldest first: the branch to switch to for it. */
  targets: string[]
}

function owner(byId: Map<string, BranchInfo>, branch: BranchInfo, turn: number): string {
  let at: BranchInfo | undefined = branch
  while (at && at.forkTurn !== null && turn < at.forkTurn) at = at.parentId === null ? undefined : byId.get(at.parentId)
  return at?.id ?? 'main'
}

/** The versions of `turn` (1-based) as seen from the current branch; `undefined` when there is only one. */
export function versionsOf(branches: BranchInfo[], turn: number): TurnVersions | undefined {
  const byId = new Map(branches.map((b) => [b.id, b]))
  const current = branches.find((b) => b.current)
  if (!current) return undefined
  const prefixOwner = turn > 1 ? owner(byId, current, turn - 1) : undefined
  // Per version (owner of turn t), the newest branch showing it: switching returns there.
  const newestFor = new Map<string, BranchInfo>()
  const ownerCreated = new Map<string, number>()
  for (const branch of branches) {
    if (branch.turnCount < turn) continue
    if (prefixOwner !== undefined && owner(byId, branch, turn - 1) !== prefixOwner) continue
    const id = owner(byId, branch, turn)
    ownerCreated.set(id, byId.get(id)?.createdAt ?? 0)
    const seen = newestFor.get(id)
    if (!seen || branch.createdAt >= seen.createdAt) newestFor.set(id, branch)
  }
  if (newestFor.size < 2) return undefined
  const owners = [...newestFor.keys()].sort((a, b) => (ownerCreated.get(a) ?? 0) - (ownerCreated.get(b) ?? 0))
  const mine = owner(byId, current, turn)
  const targets = owners.map((id) => (id === mine ? current.id : newestFor.get(id)!.id))
  return { index: owners.indexOf(mine), targets }
}
