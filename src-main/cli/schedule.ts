/**
 * The scheduled backup run (`nchat-console backups run`): back up a selection of tenants
 * (or all) into one folder as a batch, through the same channel the app uses
 * (`backups:exportMany`: validation, role check, catalog), wait for it, report each
 * tenant's outcome, then apply the retention policy to that folder's backups of those
 * tenants. Every deletion is recorded in the catalog and in console.operator_log.
 */
import { stat, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { BackupProgress, JobStarted, Result } from '../../src-preload/contract'
import type { AppContext } from '../context'
import { AppError, toAppError } from '../core/errors'
import { decideRetention, describePolicy, hasRetention, type RetainedBackup, type RetentionPolicy } from '../backup'

export interface ScheduledRunOptions {
  ctx: AppContext
  /** A registry call (the CLI's trusted sender); the batch starts through it. */
  invoke: (channel: 'backups:exportMany', input: unknown) => Promise<Result<unknown>>
  selection: { all: true } | { tenantIds: string[] }
  /** Folder of the backups; the CLI's platform answers the folder dialog with it. */
  dir: string
  policy: RetentionPolicy
  now?: () => Date
}

export interface TenantRunOutcome {
  tenantId: string
  tenantSlug: string | null
  ok: boolean
  backupId: string | null
  file: string | null
  error: string | null
}

export interface RetentionDeletion {
  backupId: string
  tenantId: string
  tenantSlug: string
  file: string
  createdAt: string
  reason: string
}

export interface ScheduledRunSummary {
  batchId: string | null
  directory: string
  status: BackupProgress['status'] | 'failed'
  total: number
  succeeded: number
  failed: number
  failures: { tenantId: string; tenantSlug: string | null; error: string }[]
  tenants: TenantRunOutcome[]
  retention: {
    policy: string | null
    kept: number
    deleted: RetentionDeletion[]
    /** Files the policy would delete but that could not be removed. */
    errors: { backupId: string; file: string; error: string }[]
  }
  startedAt: string
  finishedAt: string
  durationMs: number
}

interface CatalogLite {
  id: string
  tenant_id: string
  tenant_slug: string
  tenant_schema: string
  file_path: string
  started_at: Date
  verified_at: Date | null
  verify_error: string | null
  status: string
  error: string | null
}

export const RETENTION_ACTION = 'backup.retention_delete'

export async function runScheduledBackups(o: ScheduledRunOptions): Promise<ScheduledRunSummary> {
  const now = o.now ?? (() => new Date())
  const t0 = Date.now()
  const startedAt = new Date().toISOString()
  const dir = resolve(o.dir)
  const res = await o.invoke('backups:exportMany', o.selection)
  if (!res.ok) throw new AppError(res.error.code, res.error.message, res.error.details)
  const started = res.data as JobStarted
  if (!started?.batchId) throw new AppError('CANCELLED', 'No folder was given for the backups.')
  const final = await o.ctx.backups.waitFor(started.jobId)
  const db = o.ctx.db

  const b = await db.query<{ tenant_ids: string[] }>(`SELECT tenant_ids::text[] AS tenant_ids FROM console.backup_batches WHERE id = $1`, [started.batchId])
  const tenantIds = b.rows[0]?.tenant_ids ?? []
  const rows = await db.query<CatalogLite>(
    `SELECT DISTINCT ON (tenant_id) id::text, tenant_id::text, tenant_slug, tenant_schema, file_path, started_at, verified_at, verify_error, status, error
       FROM console.backup_catalog WHERE batch_id = $1 ORDER BY tenant_id, (status = 'succeeded') DESC, started_at DESC`,
    [started.batchId]
  )
  const byTenant = new Map(rows.rows.map((r) => [r.tenant_id, r]))
  const tenants: TenantRunOutcome[] = tenantIds.map((id) => {
    const r = byTenant.get(id)
    if (!r) return { tenantId: id, tenantSlug: null, ok: false, backupId: null, file: null, error: final?.status === 'cancelled' ? 'Cancelled before this tenant was backed up.' : 'The tenant no longer exists.' }
    const ok = r.status === 'succeeded' && r.verified_at !== null && !r.verify_error
    return {
      tenantId: id,
      tenantSlug: r.tenant_slug,
      ok,
      backupId: r.id,
      file: ok ? r.file_path : null,
      error: ok ? null : (r.verify_error ?? r.error ?? `The backup ${r.status === 'running' ? 'did not finish' : r.status}.`)
    }
  })
  const failures = tenants.filter((t) => !t.ok).map((t) => ({ tenantId: t.tenantId, tenantSlug: t.tenantSlug, error: t.error ?? 'failed' }))

  const retention = await applyRetention(o.ctx, tenantIds, dir, o.policy, now())
  const finishedAt = new Date().toISOString()
  return {
    batchId: started.batchId,
    directory: dir,
    status: final?.status ?? 'failed',
    total: tenantIds.length,
    succeeded: tenants.length - failures.length,
    failed: failures.length,
    failures,
    tenants,
    retention,
    startedAt,
    finishedAt,
    durationMs: Date.now() - t0
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * Applies the policy to the backups of `tenantIds` whose file lies directly in `dir`
 * (files elsewhere, e.g. one-off exports, are never touched). Rows whose file is gone
 * are left alone and count as nothing.
 */
export async function applyRetention(
  ctx: Pick<AppContext, 'db'>,
  tenantIds: string[],
  dir: string,
  policy: RetentionPolicy,
  now: Date
): Promise<ScheduledRunSummary['retention']> {
  const out: ScheduledRunSummary['retention'] = { policy: hasRetention(policy) ? describePolicy(policy) : null, kept: 0, deleted: [], errors: [] }
  if (!hasRetention(policy) || !tenantIds.length) return out
  const folder = resolve(dir)
  const r = await ctx.db.query<CatalogLite>(
    `SELECT id::text, tenant_id::text, tenant_slug, tenant_schema, file_path, started_at, verified_at, verify_error, status, error
       FROM console.backup_catalog
      WHERE tenant_id = ANY($1::uuid[]) AND status = 'succeeded' AND left(file_path, length($2::text) + 1) = $2::text || '/'`,
    [tenantIds, folder]
  )
  const rows = r.rows.filter((x) => dirname(x.file_path) === folder)
  const present = await Promise.all(rows.map((x) => exists(x.file_path)))
  const groups = new Map<string, (RetainedBackup & { row: CatalogLite })[]>()
  rows.forEach((x, i) => {
    if (!present[i]) return
    const list = groups.get(x.tenant_id) ?? []
    list.push({ id: x.id, createdAt: x.started_at, verified: x.verified_at !== null && !x.verify_error, path: x.file_path, row: x })
    groups.set(x.tenant_id, list)
  })
  const doomed: { row: CatalogLite; reason: string }[] = []
  const keptPaths = new Set<string>()
  for (const list of groups.values()) {
    for (const d of decideRetention(list, policy, now)) {
      if (d.keep) {
        out.kept++
        keptPaths.add(d.backup.path)
      } else doomed.push({ row: d.backup.row, reason: d.reason })
    }
  }
  // Two catalog rows naming one file (a later backup written over it): the file is kept.
  for (let i = doomed.length - 1; i >= 0; i--) if (keptPaths.has(doomed[i]!.row.file_path)) doomed.splice(i, 1)
  if (!doomed.length) return out
  const removed: { row: CatalogLite; reason: string }[] = []
  for (const d of doomed) {
    try {
      await rm(d.row.file_path)
      removed.push(d)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT') removed.push(d)
      else out.errors.push({ backupId: d.row.id, file: d.row.file_path, error: `The file could not be deleted (${code ?? toAppError(e).message}).` })
    }
  }
  if (!removed.length) return out
  const operator = ctx.db.target?.operator ?? { name: null, email: null }
  const at = now.toISOString()
  // The file is gone: the row stops counting as a verified backup, and says why.
  await ctx.db.tx(async (c) => {
    await c.query(
      `UPDATE console.backup_catalog c SET verified_at = NULL, verification = NULL, verify_error = u.note
         FROM unnest($1::uuid[], $2::text[]) AS u(id, note) WHERE c.id = u.id`,
      [removed.map((d) => d.row.id), removed.map((d) => `Deleted by the retention policy (${at}): ${d.reason}`.slice(0, 2000))]
    )
    await c.query(
      `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, tenant_id, tenant_slug, tenant_schema, params)
       SELECT $1, $2, session_user, $3, u.tenant_id, u.slug, u.schema, u.params::jsonb
         FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS u(tenant_id, slug, schema, params)`,
      [
        operator.name,
        operator.email,
        RETENTION_ACTION,
        removed.map((d) => d.row.tenant_id),
        removed.map((d) => d.row.tenant_slug),
        removed.map((d) => d.row.tenant_schema),
        removed.map((d) =>
          JSON.stringify({ backupId: d.row.id, file: d.row.file_path, takenAt: d.row.started_at.toISOString(), reason: d.reason, policy: describePolicy(policy) })
        )
      ]
    )
  })
  for (const d of removed) {
    out.deleted.push({
      backupId: d.row.id,
      tenantId: d.row.tenant_id,
      tenantSlug: d.row.tenant_slug,
      file: d.row.file_path,
      createdAt: d.row.started_at.toISOString(),
      reason: d.reason
    })
  }
  return out
}
