// The sync protocol's wire types (docs/sync.md). No Node imports: the server and the
// browser's RemoteSession and SyncedSession speak the same types.
import type { UsageTotals } from '../session/usage.js'

/** `[start, end)`: consecutive item seqs a branch shows. */
export type SeqRange = [start: number, end: number]

/** The path prefix of this protocol version. */
export const SYNC_PROTOCOL_PREFIX = '/v1'

/**
 * The user message that starts a turn: the item at `index` of an earlier `append` or
 * `replace` operation (possibly in the same push), or a server seq.
 */
export type TurnRef = { opId: string; index: number } | { seq: number }

interface OpBase {
  /** Client-generated, unique per user (a UUID). The same id with the same op is applied once. */
  opId: string
  sessionId: string
}

/** Appends items to a branch (the current one when `branchId` is omitted); creates the session when needed. */
export interface AppendOp extends OpBase {
  kind: 'append'
  branchId?: string
  /** At least one item; JSON objects stored exactly as given (encrypted envelopes included). */
  items: unknown[]
  /** When given, the branch must hold exactly this many items, else a `length_mismatch` conflict. */
  expectedLength?: number
}

/** Replaces every item of a branch with `items` in one step (compaction); `[]` empties it. */
export interface ReplaceOp extends OpBase {
  kind: 'replace'
  branchId?: string
  items: unknown[]
  expectedLength?: number
}

/** Removes the newest item of a branch, only when it is still `seq` (else `not_newest`). */
export interface PopOp extends OpBase {
  kind: 'pop'
  branchId?: string
  seq: number
}

/** Removes every item of a branch; items another branch shows stay. */
export interface ClearOp extends OpBase {
  kind: 'clear'
  branchId?: string
}

/**
 * Creates branch `branchId` holding everything before turn `fromTurn` of `sourceBranchId`
 * (the current branch when omitted), sharing its items, and makes it current.
 */
export interface CreateBranchOp extends OpBase {
  kind: 'createBranch'
  /** Client-generated; must not exist in the session (`branch_exists`). */
  branchId: string
  /** 1-based turn of the source branch (`turn_not_found` when it has fewer). */
  fromTurn: number
  /** @default `turn-<fromTurn>` */
  name?: string
  sourceBranchId?: string
}

/** Makes a branch the session's current branch. */
export interface SwitchBranchOp extends OpBase {
  kind: 'switchBranch'
  branchId: string
}

/** Deletes a branch other than `main`; items another branch shows stay, children move to its parent. */
export interface DeleteBranchOp extends OpBase {
  kind: 'deleteBranch'
  branchId: string
}

/** Sets the session's title: any string, stored as given (a sealed title too), or `null`. */
export interface SetTitleOp extends OpBase {
  kind: 'setTitle'
  title: string | null
}

/** Adds a run's usage to a turn; `turn: null` records usage outside any turn. */
export interface UsageOp extends OpBase {
  kind: 'usage'
  turn: TurnRef | null
  usage: UsageTotals
}

/** Deletes the session: items, branches, usage, title; other devices learn it from the feed. */
export interface DeleteSessionOp extends OpBase {
  kind: 'deleteSession'
}

/** One operation of a push. */
export type SyncOp =
  | AppendOp
  | ReplaceOp
  | PopOp
  | ClearOp
  | CreateBranchOp
  | SwitchBranchOp
  | DeleteBranchOp
  | SetTitleOp
  | UsageOp
  | DeleteSessionOp

/** The kinds of {@link SyncOp}. */
export type SyncOpKind = SyncOp['kind']

/** Body of `POST /v1/push`. */
export interface PushRequest {
  ops: SyncOp[]
}

/** One branch, with the seq ranges it shows. */
export interface BranchState {
  id: string
  name: string
  parentId: string | null
  forkTurn: number | null
  createdAt: number
  ranges: SeqRange[]
  itemCount: number
  turnCount: number
}

/** What an op did, by kind. */
export type OpOutcome =
  | { kind: 'append' | 'replace'; branchId: string; firstSeq: number; count: number; branchLength: number }
  | { kind: 'pop'; branchId: string; seq: number; branchLength: number }
  | { kind: 'clear'; branchId: string }
  | { kind: 'createBranch'; branch: BranchState }
  | { kind: 'switchBranch'; branchId: string }
  | { kind: 'deleteBranch'; branchId: string; currentBranchId: string }
  | { kind: 'setTitle' }
  | { kind: 'usage'; seq: number | null; total: UsageTotals }
  | { kind: 'deleteSession' }

/** The result of one applied op. */
export type OpResult = OpOutcome & {
  opId: string
  sessionId: string
  /** The cursor of the change this op made (the user's cursor then, when it changed nothing). */
  cursor: number
  /** True when this opId was applied before and this is its stored result. */
  replayed: boolean
}

/** Body of a push response: 200 when every op applied, else the failing op's status. */
export interface PushResponse {
  /** Results of the ops applied (or replayed), in order; ops after a failed one were not tried. */
  results: OpResult[]
  /** The user's cursor after the push. Do not pull from it: other devices' changes may lie before it. */
  cursor: number
  /** The op that failed (`opIndex`), when one did. Ops before it are committed. */
  error?: SyncErrorDetail
}

/** An item with its server seq and time. */
export interface StoredItemEntry {
  seq: number
  createdAt: number
  item: unknown
}

interface ChangeBase {
  /** Per-user, strictly increasing; pull with `after` = the last cursor applied. */
  cursor: number
  sessionId: string
  /** The op that made it; `null` for writes made on the server (PostgresSession). */
  opId: string | null
  /** When it was applied (ms since epoch). */
  at: number
}

/** One entry of the change feed: an op as applied, server seqs included. */
export type SyncChange = ChangeBase &
  (
    | {
        kind: 'append' | 'replace'
        branchId: string
        firstSeq: number
        count: number
        /** The items still stored; fewer than `count` when a later change removed some. */
        items: StoredItemEntry[]
      }
    | { kind: 'pop'; branchId: string; seq: number }
    | { kind: 'clear'; branchId: string }
    | { kind: 'createBranch'; branch: BranchState }
    | { kind: 'switchBranch'; branchId: string }
    | { kind: 'deleteBranch'; branchId: string; currentBranchId: string }
    | { kind: 'setTitle'; title: string | null }
    | { kind: 'usage'; seq: number | null; usage: UsageTotals; total: UsageTotals }
    | { kind: 'deleteSession' }
  )

/** Body of `GET /v1/changes` and of each `changes` event of `GET /v1/live`. */
export interface ChangesPage {
  changes: SyncChange[]
  /** The cursor to pull after next: the last change's, or the user's cursor when there was none. */
  cursor: number
  /** More changes wait after `cursor`: pull again at once. */
  hasMore: boolean
}

/** A session in lists. */
export interface SessionSummary {
  sessionId: string
  title: string | null
  createdAt: number
  updatedAt: number
  currentBranchId: string
  /** Items on the current branch. */
  itemCount: number
  branchCount: number
  /** The cursor of this session's latest change. */
  lastCursor: number
}

/** Body of `GET /v1/sessions`. */
export interface SessionList {
  /** By session id. */
  sessions: SessionSummary[]
  /** The user's cursor when the page was read: pull after the first page's to catch up. */
  cursor: number
  /** Pass as `after` for the next page; absent on the last one. */
  next?: string
}

/** Body of `GET /v1/sessions/:id`. */
export interface SessionDetail {
  session: SessionSummary
  branches: BranchState[]
}

/** Usage recorded on a turn (`seq` of its user message), or outside turns (`seq: null`). */
export interface UsageEntry {
  seq: number | null
  usage: UsageTotals
}

/** Body of `GET /v1/sessions/:id/snapshot`: everything, for a new or wiped device. */
export interface SessionSnapshot {
  /** Every change of the session up to this cursor is included: skip those when pulling. */
  cursor: number
  session: SessionSummary
  branches: BranchState[]
  /** Every item any branch shows, by seq. */
  items: StoredItemEntry[]
  usage: UsageEntry[]
}

/** Body of `GET /v1/sessions/:id/items`: the newest `limit` items of a branch, oldest first. */
export interface ItemsPage {
  sessionId: string
  branchId: string
  /** Items the branch holds in all (use it as `expectedLength`). */
  length: number
  items: StoredItemEntry[]
}

/** Body of `GET /v1/sessions/:id/usage`. */
export interface UsageReport {
  branchId: string
  /** Every usage row of the session; shared turns count once. */
  sessionTotal: UsageTotals
  /** Usage of the turns this branch shows. */
  branchTotal: UsageTotals
  turns: Array<{ turn: number; seq: number; usage: UsageTotals }>
}

/** Body of `GET /v1/keys/:name` and of a `PUT` response (without `value`). */
export interface KeyRecord {
  name: string
  /** 1 after the first write, +1 per write. */
  version: number
  value: unknown
  updatedAt: number
}

/** Body of `PUT /v1/keys/:name`. */
export interface PutKeyRequest {
  value: unknown
  /** The version being replaced; `null` to create (refused when the record exists). */
  expectedVersion: number | null
}

/** Top-level error codes of the protocol. */
export type SyncErrorCode =
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_item'
  | 'invalid_argument'
  | 'conflict'
  | 'internal'

/** Why a 409 `conflict` happened. */
export type ConflictReason =
  | 'length_mismatch'
  | 'not_newest'
  | 'op_id_reused'
  | 'branch_not_found'
  | 'branch_exists'
  | 'turn_not_found'
  | 'version_mismatch'
  | 'cursor_ahead'

/** `error` of every non-2xx JSON body. */
export interface SyncErrorDetail {
  code: SyncErrorCode
  /** For people; may change. Switch on `code` and `reason`. */
  message: string
  reason?: ConflictReason
  /** The failing op's index in the push, and its id. */
  opIndex?: number
  opId?: string
  /** `invalid_item`: the item's index in its op, and the path inside it. */
  index?: number
  path?: string
  /** `invalid_request`: each problem found. */
  issues?: string[]
  /** `length_mismatch`: the branch's length now. */
  branchLength?: number
  /** `not_newest`: the branch's newest seq now (`null`: it is empty). */
  newestSeq?: number | null
  /** `version_mismatch`: the record's version now (`null`: there is none). */
  currentVersion?: number | null
  /** `payload_too_large`: the limit in bytes. */
  maxBytes?: number
}

/** Every non-2xx JSON body. */
export interface SyncErrorBody {
  error: SyncErrorDetail
}
