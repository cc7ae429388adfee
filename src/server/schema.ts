import { StorageError } from '../errors.js'
import type { SqlClient, SqlDatabase } from './db.js'

// The tables of idb-agents/server. Every table leads with `user_id`: a user's rows sit
// together in every primary key, so reads, writes and a future partitioning by user touch
// one user's slice only. Migrations are numbered steps run in order, each in the same
// transaction as its `schema_version` row; a step may add or reshape, never hide or drop
// stored history.

/** One numbered migration step. */
interface Migration {
  version: number
  description: string
  statements: string[]
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'sessions, branches, items, usage, operations, changes, tombstones, key records',
    statements: [
      // The per-user change counter. Every write locks its user's row first, so one user's
      // writes are serialized and cursors are handed out in commit order, without gaps
      // from rolled-back transactions.
      `CREATE TABLE idb_agents_users (
        user_id text PRIMARY KEY,
        cursor bigint NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE idb_agents_sessions (
        user_id text NOT NULL,
        session_id text NOT NULL,
        title text,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        current_branch_id text NOT NULL,
        next_seq bigint NOT NULL,
        last_cursor bigint NOT NULL,
        PRIMARY KEY (user_id, session_id)
      )`,
      // A branch is a list of item-seq ranges: a new branch shares its parent's items.
      `CREATE TABLE idb_agents_branches (
        user_id text NOT NULL,
        session_id text NOT NULL,
        branch_id text NOT NULL,
        name text NOT NULL,
        parent_id text,
        fork_turn integer,
        created_at bigint NOT NULL,
        created_cursor bigint NOT NULL,
        ranges jsonb NOT NULL,
        turns integer NOT NULL,
        item_count integer NOT NULL,
        PRIMARY KEY (user_id, session_id, branch_id),
        FOREIGN KEY (user_id, session_id) REFERENCES idb_agents_sessions ON DELETE CASCADE
      )`,
      // Items as the client sent them (json keeps the text, envelopes included); `turn` is
      // set on user messages only, the one field the server reads.
      `CREATE TABLE idb_agents_items (
        user_id text NOT NULL,
        session_id text NOT NULL,
        seq bigint NOT NULL,
        created_at bigint NOT NULL,
        turn integer,
        item json NOT NULL,
        PRIMARY KEY (user_id, session_id, seq),
        FOREIGN KEY (user_id, session_id) REFERENCES idb_agents_sessions ON DELETE CASCADE
      )`,
      `CREATE INDEX idb_agents_items_turn ON idb_agents_items (user_id, session_id, turn) WHERE turn IS NOT NULL`,
      // Usage per turn, keyed by the seq of the turn's user message (-1: outside any turn).
      `CREATE TABLE idb_agents_usage (
        user_id text NOT NULL,
        session_id text NOT NULL,
        seq bigint NOT NULL,
        requests bigint NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        total_tokens bigint NOT NULL,
        PRIMARY KEY (user_id, session_id, seq),
        FOREIGN KEY (user_id, session_id) REFERENCES idb_agents_sessions ON DELETE CASCADE
      )`,
      // Idempotency: the fingerprint and result of every applied operation id.
      `CREATE TABLE idb_agents_operations (
        user_id text NOT NULL,
        op_id text NOT NULL,
        session_id text NOT NULL,
        kind text NOT NULL,
        fingerprint text NOT NULL,
        result jsonb NOT NULL,
        cursor bigint NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (user_id, op_id)
      )`,
      // The change feed: one row per applied operation, in cursor order per user. Appends
      // name their items by seq range instead of copying them: items are stored once.
      `CREATE TABLE idb_agents_changes (
        user_id text NOT NULL,
        cursor bigint NOT NULL,
        session_id text NOT NULL,
        kind text NOT NULL,
        op_id text,
        at bigint NOT NULL,
        first_seq bigint,
        item_count integer NOT NULL DEFAULT 0,
        payload jsonb NOT NULL,
        PRIMARY KEY (user_id, cursor)
      )`,
      `CREATE INDEX idb_agents_changes_session ON idb_agents_changes (user_id, session_id)`,
      // Deleted sessions: when and at which cursor, and where their seqs stopped, so a
      // session created again under the same id never reuses a seq.
      `CREATE TABLE idb_agents_tombstones (
        user_id text NOT NULL,
        session_id text NOT NULL,
        deleted_at bigint NOT NULL,
        cursor bigint NOT NULL,
        next_seq bigint NOT NULL,
        PRIMARY KEY (user_id, session_id)
      )`,
      // Opaque named JSON records per user (an encrypting client's wrapped keyring).
      `CREATE TABLE idb_agents_key_records (
        user_id text NOT NULL,
        name text NOT NULL,
        version integer NOT NULL,
        value json NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (user_id, name)
      )`,
    ],
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Creates or upgrades the tables, one numbered step at a time, under an advisory lock so
 * that two servers starting together do not race. Refuses a database written by a newer
 * version of idb-agents instead of guessing at it.
 *
 * @returns the version found before migrating (0 for an empty database)
 * @throws {@link StorageError} when the database's schema is newer than this code
 */
export async function migrate(db: SqlDatabase): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(7263549011)`)
    await tx.query(`CREATE TABLE IF NOT EXISTS idb_agents_schema_version (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const found = await currentVersion(tx)
    if (found > SCHEMA_VERSION) {
      throw new StorageError(
        `The database holds idb-agents schema version ${found}, newer than this idb-agents understands (${SCHEMA_VERSION}). ` +
          'Nothing was changed; update idb-agents on this server.',
      )
    }
    for (const step of MIGRATIONS) {
      if (step.version <= found) continue
      for (const statement of step.statements) await tx.query(statement)
      await tx.query(`INSERT INTO idb_agents_schema_version (version, description) VALUES ($1, $2)`, [step.version, step.description])
    }
    return found
  })
}

async function currentVersion(tx: SqlClient): Promise<number> {
  const { rows } = await tx.query<{ version: number | null }>(`SELECT max(version) AS version FROM idb_agents_schema_version`)
  return Number(rows[0]?.version ?? 0)
}
