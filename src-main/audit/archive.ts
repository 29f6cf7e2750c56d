/**
 * Before a hard delete: the tenant's rows of the app's audit table are copied into
 * console.tenant_audit_archive, in the caller's transaction, so the trail outlives the
 * tenant (030: tenant_audit_logs cascades on delete; the newer layout sets tenant_id NULL).
 */
import type { Queryable } from '../db/connection'
import { appSource, readAppAuditTable } from './sources'

/**
 * Copies the app audit rows of one tenant; returns how many. Does nothing (0) when the
 * database has no app audit table or the console's archive table (migration 0009).
 */
export async function archiveTenantAudit(db: Queryable, auditTable: string | null, tenantId: string, slug: string): Promise<number> {
  const ok = await db.query<{ ok: boolean }>(`SELECT to_regclass('console.tenant_audit_archive') IS NOT NULL AS ok`)
  if (!ok.rows[0]?.ok) return 0
  const t = await readAppAuditTable(db, auditTable)
  if (!t || !t.columns.has('tenant_id')) return 0
  const s = appSource(t)
  const r = await db.query(
    `INSERT INTO console.tenant_audit_archive
       (tenant_id, tenant_slug, source_table, source_id, created_at, user_id, actor_email, actor_name, action, resource, resource_id, details, original)
     SELECT a.tenant_id, $2, $3, a.id::text, a.created_at, ${s.userId}, ${s.actorEmail}, ${s.actorName}, a.action::text,
            ${s.resource}, ${s.resourceId}, ${jsonDetails(t.columns)}, to_jsonb(a)
       FROM ${s.from} WHERE a.tenant_id = $1
     ON CONFLICT (source_table, source_id) DO NOTHING`,
    [tenantId, slug, t.name]
  )
  return r.rowCount ?? 0
}

/** The row's details as one jsonb: the details/metadata column, with old/new values when the layout has them. */
function jsonDetails(cols: Map<string, string>): string {
  const j = ['details', 'metadata'].find((c) => /^jsonb?$/.test(cols.get(c) ?? ''))
  const extra = ['old_values', 'new_values'].filter((c) => /^jsonb?$/.test(cols.get(c) ?? ''))
  const base = j ? `coalesce(a.${j}::jsonb, '{}'::jsonb)` : `'{}'::jsonb`
  if (!extra.length) return j ? `a.${j}::jsonb` : 'NULL::jsonb'
  return `${base} || jsonb_strip_nulls(jsonb_build_object(${extra.map((c) => `'${c}', a.${c}::jsonb`).join(', ')}))`
}
