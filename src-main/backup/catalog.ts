/** SQL for console.backup_catalog and console.backup_batches (parameterized; no names from outside). */
import { existsSync } from 'node:fs'
import type { BackupRecord, BatchSummary } from '../../src-preload/contract'
import type { Queryable } from '../db/connection'

export interface CatalogRow {
  id: string
  tenant_id: string
  tenant_slug: string
  tenant_schema: string
  file_path: string
  file_name: string
  size_bytes: number | null
  sha256: string | null
  pg_dump_version: string | null
  server_version: string | null
  batch_id: string | null
  kind: 'export' | 'batch' | 'safety'
  status: 'running' | 'succeeded' | 'failed' | 'cancelled'
  error: string | null
  started_at: Date
  finished_at: Date | null
  verified_at: Date | null
  verification: 'quick' | 'deep' | null
  verify_error: string | null
  operator_name: string | null
  manifest: { schemaTables?: { table: string; rows: number }[]; publicTables?: { table: string; rows: number }[]; schemaMissing?: boolean } | null
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export function toRecord(r: CatalogRow): BackupRecord {
  let rowCounts: Record<string, number> | null = null
  if (r.manifest) {
    rowCounts = {}
    for (const t of r.manifest.schemaTables ?? []) rowCounts[t.table] = t.rows
    for (const t of r.manifest.publicTables ?? []) rowCounts[`public.${t.table}`] = t.rows
  }
  return {
    id: r.id,
    tenantId: r.tenant_id,
    tenantSlug: r.tenant_slug,
    tenantSchema: r.tenant_schema,
    fileName: r.file_name,
    filePath: r.file_path,
    fileExists: r.status === 'succeeded' ? existsSync(r.file_path) : false,
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    sha256: r.sha256,
    pgDumpVersion: r.pg_dump_version,
    serverVersion: r.server_version,
    batchId: r.batch_id,
    kind: r.kind,
    status: r.status,
    error: r.error,
    startedAt: r.started_at.toISOString(),
    finishedAt: iso(r.finished_at),
    verifiedAt: iso(r.verified_at),
    verification: r.verification,
    verifyError: r.verify_error,
    operatorName: r.operator_name,
    rowCounts,
    schemaMissing: r.manifest?.schemaMissing === true
  }
}

/**
 * The advisory-lock space of console runners (migration 0008): a console running backup
 * jobs holds pg_advisory_lock(RUNNER_LOCK_SPACE, runner) on a session of its own.
 */
export const RUNNER_LOCK_SPACE = 1852007217

/** SQL true when the runner in `col` still holds its lock in this database. */
const runnerAlive = (col: string) =>
  `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND l.classid = ${RUNNER_LOCK_SPACE}::oid AND l.objid = ${col}::oid)`

export const INTERRUPTED = 'Interrupted: the console running this backup stopped (closed, crashed or lost its connection) before it finished.'

/**
 * Rows and batches left 'running' by a console that is gone become failed (resumable for
 * batches). Safe with several consoles: a live console's runner still holds its lock.
 */
export async function sweepInterrupted(db: Queryable): Promise<void> {
  await db.query(
    `WITH rows AS (
       UPDATE console.backup_catalog c SET status = 'failed', finished_at = now(), error = $1
        WHERE c.status = 'running' AND c.runner IS NOT NULL AND NOT ${runnerAlive('c.runner')}
        RETURNING 1)
     UPDATE console.backup_batches b SET status = 'failed', finished_at = now(),
            summary = COALESCE(b.summary, '{}'::jsonb) || '{"interrupted": true}'::jsonb
      WHERE b.status = 'running' AND b.runner IS NOT NULL AND NOT ${runnerAlive('b.runner')}`,
    [INTERRUPTED]
  )
}

/**
 * Claims a batch for `runner` in one statement: false when another console (its runner
 * holding its lock) is running it now.
 */
export async function claimBatch(db: Queryable, batchId: string, runner: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE console.backup_batches b SET status = 'running', finished_at = NULL, runner = $2
      WHERE b.id = $1 AND NOT (b.status = 'running' AND b.runner IS NOT NULL AND b.runner <> $2 AND ${runnerAlive('b.runner')})`,
    [batchId, runner]
  )
  return Boolean(r.rowCount)
}

export interface NewCatalogRow {
  id: string
  tenantId: string
  tenantSlug: string
  tenantSchema: string
  filePath: string
  fileName: string
  batchId: string | null
  kind: 'export' | 'batch' | 'safety'
  operatorName: string
  operatorEmail: string
}

export async function insertRunning(db: Queryable, rows: NewCatalogRow[], runner: number): Promise<void> {
  if (!rows.length) return
  await db.query(
    `INSERT INTO console.backup_catalog (id, tenant_id, tenant_slug, tenant_schema, file_path, file_name, batch_id, kind,
                                         status, operator_name, operator_email, format_version, runner)
     SELECT * , 'running', $9::text, $10::text, 1, $11::integer FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::text[])`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.tenantId),
      rows.map((r) => r.tenantSlug),
      rows.map((r) => r.tenantSchema),
      rows.map((r) => r.filePath),
      rows.map((r) => r.fileName),
      rows.map((r) => r.batchId),
      rows.map((r) => r.kind),
      rows[0]!.operatorName,
      rows[0]!.operatorEmail,
      runner
    ]
  )
}

export async function markSucceededMany(
  db: Queryable,
  rows: { id: string; size: number; sha256: string; pgDumpVersion: string | null; serverVersion: string; manifest: unknown; verified: boolean; verifyError: string | null }[]
): Promise<void> {
  if (!rows.length) return
  await db.query(
    `UPDATE console.backup_catalog c SET status = 'succeeded', finished_at = now(), size_bytes = u.size, sha256 = u.sha,
            pg_dump_version = u.dumpv, server_version = u.serverv, manifest = u.manifest::jsonb,
            verified_at = CASE WHEN u.verified THEN now() END, verification = CASE WHEN u.verified THEN 'quick' END,
            verify_error = u.verr, error = NULL
       FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[])
            AS u(id, size, sha, dumpv, serverv, manifest, verified, verr)
      WHERE c.id = u.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.size),
      rows.map((r) => r.sha256),
      rows.map((r) => r.pgDumpVersion),
      rows.map((r) => r.serverVersion),
      rows.map((r) => JSON.stringify(r.manifest)),
      rows.map((r) => r.verified),
      rows.map((r) => r.verifyError)
    ]
  )
}

export async function markEnded(db: Queryable, ids: string[], status: 'failed' | 'cancelled', error: string): Promise<void> {
  if (!ids.length) return
  await db.query(
    `UPDATE console.backup_catalog SET status = $2, error = $3, finished_at = now() WHERE id = ANY($1::uuid[]) AND status = 'running'`,
    [ids, status, error.slice(0, 2000)]
  )
}

export async function markVerified(db: Queryable, id: string, level: 'quick' | 'deep', error: string | null): Promise<void> {
  await db.query(
    `UPDATE console.backup_catalog
        SET verified_at = CASE WHEN $3::text IS NULL THEN now() ELSE NULL END,
            verification = CASE WHEN $3::text IS NULL THEN $2 ELSE verification END,
            verify_error = $3
      WHERE id = $1`,
    [id, level, error]
  )
}

export async function getRow(db: Queryable, id: string): Promise<CatalogRow | null> {
  const r = await db.query<CatalogRow>(`SELECT * FROM console.backup_catalog WHERE id = $1`, [id])
  return r.rows[0] ?? null
}

export async function listRows(db: Queryable, f: { tenantId?: string; batchId?: string; limit: number }): Promise<CatalogRow[]> {
  const r = await db.query<CatalogRow>(
    `SELECT * FROM console.backup_catalog
      WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::uuid IS NULL OR batch_id = $2)
      ORDER BY started_at DESC, tenant_slug LIMIT $3`,
    [f.tenantId ?? null, f.batchId ?? null, f.limit]
  )
  return r.rows
}

export async function createBatch(
  db: Queryable,
  b: { id: string; directory: string; tenantIds: string[]; operatorName: string; operatorEmail: string; runner: number }
): Promise<void> {
  await db.query(
    `INSERT INTO console.backup_batches (id, directory, tenant_ids, operator_name, operator_email, runner) VALUES ($1, $2, $3::uuid[], $4, $5, $6)`,
    [b.id, b.directory, b.tenantIds, b.operatorName, b.operatorEmail, b.runner]
  )
}

export interface BatchRow {
  id: string
  created_at: Date
  finished_at: Date | null
  directory: string
  tenant_ids: string[]
  status: BatchSummary['status']
}

export async function getBatch(db: Queryable, id: string): Promise<BatchRow | null> {
  const r = await db.query<BatchRow>(`SELECT id, created_at, finished_at, directory, tenant_ids::text[] AS tenant_ids, status FROM console.backup_batches WHERE id = $1`, [id])
  return r.rows[0] ?? null
}

/** Tenants of the batch that already have a succeeded, verified backup whose file still exists. */
export async function finishedInBatch(db: Queryable, batchId: string): Promise<Map<string, string>> {
  const r = await db.query<{ tenant_id: string; id: string; file_path: string }>(
    `SELECT DISTINCT ON (tenant_id) tenant_id::text, id::text, file_path FROM console.backup_catalog
      WHERE batch_id = $1 AND status = 'succeeded' AND verified_at IS NOT NULL
      ORDER BY tenant_id, finished_at DESC`,
    [batchId]
  )
  return new Map(r.rows.filter((x) => existsSync(x.file_path)).map((x) => [x.tenant_id, x.id]))
}

export async function finishBatch(db: Queryable, id: string, status: BatchSummary['status'], summary: unknown): Promise<void> {
  await db.query(`UPDATE console.backup_batches SET status = $2, summary = $3::jsonb, finished_at = now() WHERE id = $1`, [
    id,
    status,
    JSON.stringify(summary)
  ])
}


export async function listBatches(
  db: Queryable,
  limit: number,
  /** Migration 0008 applied: runners tell which batches another console runs now. */
  runners: boolean
): Promise<(BatchRow & { alive: boolean; succeeded: number; failed: number; failures: { slug: string; error: string }[] })[]> {
  const r = await db.query(
    `SELECT b.id, b.created_at, b.finished_at, b.directory, b.tenant_ids::text[] AS tenant_ids, b.status,
            ${runners ? `(b.status = 'running' AND b.runner IS NOT NULL AND ${runnerAlive('b.runner')})` : 'false'} AS alive,
            (SELECT count(DISTINCT c.tenant_id) FROM console.backup_catalog c WHERE c.batch_id = b.id AND c.status = 'succeeded' AND c.verified_at IS NOT NULL)::int AS succeeded,
            (SELECT count(DISTINCT c.tenant_id) FROM console.backup_catalog c WHERE c.batch_id = b.id AND c.status IN ('failed')
               AND NOT EXISTS (SELECT 1 FROM console.backup_catalog d WHERE d.batch_id = b.id AND d.tenant_id = c.tenant_id AND d.status = 'succeeded'))::int AS failed,
            COALESCE((SELECT json_agg(json_build_object('slug', f.tenant_slug, 'error', f.error)) FROM (
               SELECT DISTINCT ON (c.tenant_id) c.tenant_slug, c.error FROM console.backup_catalog c
                WHERE c.batch_id = b.id AND c.status = 'failed'
                  AND NOT EXISTS (SELECT 1 FROM console.backup_catalog d WHERE d.batch_id = b.id AND d.tenant_id = c.tenant_id AND d.status = 'succeeded')
                ORDER BY c.tenant_id, c.finished_at DESC LIMIT 20) f), '[]'::json) AS failures
       FROM console.backup_batches b ORDER BY b.created_at DESC LIMIT $1`,
    [limit]
  )
  return r.rows
}

/** Rows left 'running' by a console that stopped (crash, quit) become failed. */
export async function markStale(db: Queryable, batchId: string, liveIds: Set<string>): Promise<void> {
  const r = await db.query<{ id: string }>(`SELECT id::text FROM console.backup_catalog WHERE batch_id = $1 AND status = 'running'`, [batchId])
  const stale = r.rows.map((x) => x.id).filter((id) => !liveIds.has(id))
  await markEnded(db, stale, 'failed', 'Interrupted: the console stopped before this backup finished.')
}
