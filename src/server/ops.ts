import type { Mutation, StoreOp, WriteContext } from './mutation.js'
import { createBranch, deleteBranch, switchBranch } from './op-branches.js'
import { append, clear, pop } from './op-items.js'
import { deleteSession, setTitle, usage } from './op-session.js'

export type { ChangeRecord, Mutation, StoreOp, WriteContext } from './mutation.js'

// The mutations, one per op kind, each inside the transaction the store opened with the
// user's row locked. A refused op (a conflict, a missing branch) throws, and the store
// rolls the whole transaction back: nothing of it is stored.

/** Applies `op` inside `ctx.tx`. */
export async function mutate(ctx: WriteContext, op: StoreOp): Promise<Mutation> {
  switch (op.kind) {
    case 'append':
    case 'replace':
      return append(ctx, op)
    case 'pop':
      return pop(ctx, op)
    case 'clear':
      return clear(ctx, op)
    case 'createBranch':
      return createBranch(ctx, op)
    case 'switchBranch':
      return switchBranch(ctx, op)
    case 'deleteBranch':
      return deleteBranch(ctx, op)
    case 'setTitle':
      return setTitle(ctx, op)
    case 'usage':
      return usage(ctx, op)
    case 'deleteSession':
      return deleteSession(ctx, op)
  }
}
