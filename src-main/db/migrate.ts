import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Queryable } from './connection'

export interface MigrationFile {
  name: string
  sql: string
  checksum: string
  /** `-- nchat:adopt-if-exists schema.table`: skip (record as adopted) when that relation exists. */
  adoptIfExists: string | null
}

export interface MigrationOutcome {
  name: string
  outcome: 'applied' | 'adopted' | 'already-applied'
}

const NAME_RE = /^\d{4}_[a-z0-9_]+\.sql$/
const LOCK_KEY = 'nchat-console-migrations'

export async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort()
  const out: MigrationFile[] = []
  for (const name of names) {
    if (!NAME_RE.test(name)) throw new Error(`Migration file name "${name}" must look like 0001_description.sql`)
    const sql = await readFile(join(dir, name), 'utf8')
    const m = /^--\s*nchat:adopt-if-exists\s+([a-z_][a-z0-9_.]*)\s*$/m.exec(sql)
    out.push({ name, sql, checksum: createHash('sha256').update(sql).digest('hex'), adoptIfExists: m?.[1] ?? null })
  }
  return out
}

/** Reads which console migrations a database has, without changing anything. */
export async function appliedMigrations(db: Queryable): Promise<Map<string, string> | null> {
  const r = await db.query<{ exists: boolean }>(`SELECT to_regclass('console.schema_migrations') IS NOT NULL AS exists`)
  if (!r.rows[0]?.exists) return null
  const rows = await db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM console.schema_migrations')
  return new Map(rows.rows.map((x) => [x.name, x.checksum]))
}

export async function pendingMigrations(db: Queryable, files: MigrationFile[]): Promise<string[]> {
  const applied = await appliedMigrations(db)
  return files.filter((f) => !applied?.has(f.name)).map((f) => f.name)
}

/**
 * Applies pending migrations in order, each in its own transaction, under an
 * advisory lock so two consoles cannot race. Safe to run any number of times.
 * A migration whose file changed after it was applied is an error, not a re-run.
 */
export async function runMigrations(
  db: Queryable,
  files: MigrationFile[],
  onStep: (o: MigrationOutcome) => void = () => {}
): Promise<MigrationOutcome[]> {
  const outcomes: MigrationOutcome[] = []
  await db.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY])
  try {
    await db.query('BEGIN')
    try {
      await db.query(`CREATE SCHEMA IF NOT EXISTS console`)
      await db.query(`CREATE TABLE IF NOT EXISTS console.schema_migrations (
        name text PRIMARY KEY,
        checksum text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('applied', 'adopted')),
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL DEFAULT current_user
      )`)
      await db.query('COMMIT')
    } catch (e) {
      await db.query('ROLLBACK')
      throw e
    }
    const applied = (await appliedMigrations(db)) ?? new Map<string, string>()
    for (const f of files) {
      const prior = applied.get(f.name)
      if (prior !== undefined) {
        if (prior !== f.checksum) {
          throw new Error(
            `Migration ${f.name} was changed after it was applied to this database. Migrations are immutable: add a new one instead.`
          )
        }
        outcomes.push({ name: f.name, outcome: 'already-applied' })
        continue
      }
      await db.query('BEGIN')
      try {
        let outcome: 'applied' | 'adopted' = 'applied'
        if (f.adoptIfExists) {
          const r = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [f.adoptIfExists])
          if (r.rows[0]?.present) outcome = 'adopted'
        }
        if (outcome === 'applied') await db.query(f.sql)
        await db.query('INSERT INTO console.schema_migrations (name, checksum, outcome) VALUES ($1, $2, $3)', [
          f.name,
          f.checksum,
          outcome
        ])
        await db.query('COMMIT')
        const o = { name: f.name, outcome }
        outcomes.push(o)
        onStep(o)
      } catch (e) {
        await db.query('ROLLBACK').catch(() => {})
        const err = e as Error & { code?: string; position?: string }
        const wrapped = new Error(`Migration ${f.name} failed: ${err.message}${err.code ? ` (SQLSTATE ${err.code})` : ''}`)
        ;(wrapped as Error & { code?: string }).code = err.code
        throw wrapped
      }
    }
    return outcomes
  } finally {
    await db.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => {})
  }
}
