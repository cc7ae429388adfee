import type { BranchInfo } from '../session/capabilities.js'
import type { SessionDetail } from './protocol.js'

/**
 * The branches of a session held on the server, as `listBranches` lists them; a session
 * not stored yet is on an empty `main`, as every session kind is.
 */
export function branchInfos(found: SessionDetail | undefined): BranchInfo[] {
  if (!found) return [{ id: 'main', name: 'main', parentId: null, forkTurn: null, itemCount: 0, turnCount: 0, current: true, createdAt: 0 }]
  return found.branches.map((branch) => ({
    id: branch.id,
    name: branch.name,
    parentId: branch.parentId,
    forkTurn: branch.forkTurn,
    itemCount: branch.itemCount,
    turnCount: branch.turnCount,
    current: branch.id === found.session.currentBranchId,
    createdAt: branch.createdAt,
  }))
}
