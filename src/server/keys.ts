import type { SqlClient } from './db.js'
import { ConflictError } from './errors.js'
import type { KeyRecord } from './protocol.js'
import { num } from './rows.js'

// A small store of opaque named JSON records per user: an encrypting client keeps its
// passphrase-wrapped keyring here so a second device can unlock with the passphrase. The
// server never reads the value.

/** The record `name` of `userId`, or `undefined`. */
export async function getKeyRecord(db: SqlClient, userId: string, name: string): Promise<KeyRecord | undefined> {
  const { rows } = await db.query(`SELECT version, value::text AS value, updated_at FROM idb_agents_key_records WHERE user_id = $1 AND name = $2`, [
    userId,
    name,
  ])
  const row = rows[0]
  return row && { name, version: num(row.version), value: JSON.parse(row.value as string) as unknown, updatedAt: num(row.updated_at) }
}

/**
 * Writes the record when its version is still `expectedVersion` (`null`: when there is
 * none yet), and returns its new version.
 *
 * @throws {@link ConflictError} `version_mismatch` (with `currentVersion`) otherwise; nothing is written
 */
export async function putKeyRecord(
  db: SqlClient,
  userId: string,
  name: string,
  value: unknown,
  expectedVersion: number | null,
  now: number,
): Promise<{ name: string; version: number; updatedAt: number }> {
  const json = JSON.stringify(value)
  const { rows } =
    expectedVersion === null
      ? await db.query(
          `INSERT INTO idb_agents_key_records (user_id, name, version, value, updated_at) VALUES ($1, $2, 1, $3::json, $4)
           ON CONFLICT (user_id, name) DO NOTHING RETURNING version`,
          [userId, name, json, now],
        )
      : await db.query(
          `UPDATE idb_agents_key_records SET version = version + 1, value = $4::json, updated_at = $5
           WHERE user_id = $1 AND name = $2 AND version = $3 RETURNING version`,
          [userId, name, expectedVersion, json, now],
        )
  const written = rows[0]
  if (written) return { name, version: num(written.version), updatedAt: now }
  const current = await getKeyRecord(db, userId, name)
  throw new ConflictError(
    'version_mismatch',
    current
      ? `Key record "${name}" is at version ${current.version}, not ${expectedVersion ?? 'absent'} as this write expected; read it again.`
      : `Key record "${name}" does not exist, so version ${expectedVersion} cannot be replaced; create it with expectedVersion null.`,
    { currentVersion: current?.version ?? null },
  )
}
