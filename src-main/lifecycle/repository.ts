import { AppError } from '../core/errors'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'

/** Parameterized SQL for lifecycle changes. Every write here runs in the caller's transaction. */

export interface LockedTenant {
  row: Record<string, unknown>
  version: string
}

/**
 * Locks one tenant row for the rest of the transaction (a second console acting on the
 * same tenant waits here, then sees the first one's result) and returns it with its
 * version: a hash of the whole row, so any change by anyone makes an edit stale.
 */
export async function lockTenant(db: Queryable, id: string): Promise<LockedTenant> {
  const r = await db.query<{ row: Record<string, unknown>; version: string }>(
    `SELECT to_jsonb(t) AS row, md5(to_jsonb(t)::text) AS version FROM public.tenants t WHERE t.id = $1 FOR UPDATE`,
    [id]
  )
  const x = r.rows[0]
  if (!x) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
  return { row: x.row, version: x.version }
}

export async function readTenant(db: Queryable, id: string): Promise<LockedTenant | null> {
  const r = await db.query<{ row: Record<string, unknown>; version: string }>(
    `SELECT to_jsonb(t) AS row, md5(to_jsonb(t)::text) AS version FROM public.tenants t WHERE t.id = $1`,
    [id]
  )
  return r.rows[0] ?? null
}

export interface Actor {
  name: string
  email: string
  dbRole: string
}

/** The console operator and the database login acting for them. */
export async function actorFor(db: Queryable, operator: { name: string; email: string } | undefined): Promise<Actor> {
  const r = await db.query<{ u: string }>('SELECT session_user AS u')
  return { name: operator?.name ?? 'operator', email: operator?.email ?? '', dbRole: r.rows[0]?.u ?? '' }
}

interface AuditColumn {
  notNull: boolean
  hasDefault: boolean
}
const auditColumnsCache = new WeakMap<Layout, Map<string, AuditColumn>>()

/** The audit table's columns, NOT NULLs and defaults, from the catalog. */
async function auditColumns(db: Queryable, layout: Layout): Promise<Map<string, AuditColumn>> {
  const hit = auditColumnsCache.get(layout)
  if (hit) return hit
  const r = await db.query<{ name: string; not_null: boolean; has_default: boolean }>(
    `SELECT a.attname AS name, a.attnotnull AS not_null, (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass('public.' || quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped`,
    [layout.auditTable]
  )
  const cols = new Map(r.rows.map((x) => [x.name, { notNull: x.not_null, hasDefault: x.has_default }]))
  auditColumnsCache.set(layout, cols)
  return cols
}

export interface AuditEntry {
  tenantId: string
  action: string
  actor: Actor
  reason?: string | null
  note?: string | null
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  extra?: Record<string, unknown>
}

/**
 * One row in the app's tenant audit table: `tenant_audit_logs` (030: resource
 * 'tenant', details jsonb) or the newer `tenant_audit_log` (actor_email, old_values,
 * new_values), using the columns that table actually has.
 */
export async function writeTenantAudit(db: Queryable, layout: Layout, e: AuditEntry): Promise<void> {
  if (!layout.auditTable) return
  const cols = await auditColumns(db, layout)
  const details = {
    source: 'nchat-console',
    actor: { name: e.actor.name, email: e.actor.email, dbRole: e.actor.dbRole },
    reason: e.reason ?? null,
    note: e.note ?? null,
    before: e.before,
    after: e.after,
    ...(e.extra ?? {})
  }
  const values: Record<string, unknown> = {
    tenant_id: e.tenantId,
    action: e.action,
    resource: 'tenant',
    resource_type: 'tenant',
    resource_id: e.tenantId,
    entity_type: 'tenant',
    entity_id: e.tenantId,
    details: JSON.stringify(details),
    metadata: JSON.stringify(details),
    actor_email: e.actor.email || null,
    actor_name: e.actor.name || null,
    old_values: e.before ? JSON.stringify(e.before) : null,
    new_values: e.after ? JSON.stringify(e.after) : null,
    user_agent: 'nchat-console'
  }
  const use = Object.keys(values).filter((k) => cols.has(k))
  // A NOT NULL column without a default that the console has no value for: say so
  // before writing, instead of failing the whole action with a raw constraint error.
  const unfilled = [...cols].filter(([k, c]) => c.notNull && !c.hasDefault && !(k in values)).map(([k]) => k)
  if (unfilled.length) {
    throw new AppError(
      'UNSUPPORTED',
      `The app's audit table public.${layout.auditTable} requires ${unfilled.join(', ')}, which the console does not know how to fill; nothing was changed. Report this layout to the console's maintainers.`
    )
  }
  // The audit table name comes from the catalog and is one of two fixed names.
  const table = layout.auditTable === 'tenant_audit_log' ? 'public.tenant_audit_log' : 'public.tenant_audit_logs'
  await db.query(
    `INSERT INTO ${table} (${use.join(', ')}) VALUES (${use.map((_, i) => `$${i + 1}`).join(', ')})`,
    use.map((k) => values[k])
  )
}

export interface OperatorLogEntry {
  action: string
  actor: Actor
  tenantId: string | null
  slug: string | null
  schema: string | null
  params: Record<string, unknown>
  outcome?: 'ok' | 'refused' | 'failed'
  error?: string | null
}

export async function writeOperatorLog(db: Queryable, e: OperatorLogEntry): Promise<void> {
  await db.query(
    `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, tenant_id, tenant_slug, tenant_schema, params, outcome, error)
     VALUES ($1, $2, session_user, $3, $4, $5, $6, $7, $8, $9)`,
    [
      e.actor.name,
      e.actor.email,
      e.action,
      e.tenantId,
      e.slug,
      e.schema,
      JSON.stringify(e.params),
      e.outcome ?? 'ok',
      e.error ?? null
    ]
  )
}
