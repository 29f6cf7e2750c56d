/**
 * The three sources of the audit timeline as SQL: the app's tenant audit table (either
 * layout, its columns read from the catalog), the console's archive of hard-deleted
 * tenants' app rows, and the console's operator log. Each source answers the same
 * column list, so they merge into one timeline ordered by (created_at desc, source, k desc),
 * where k is the row's id as text that sorts like the id (uuid text, zero-padded integers).
 */
import type { AuditSource } from '../../src-preload/contract'
import type { Queryable } from '../db/connection'

export interface AppAuditTable {
  name: 'tenant_audit_logs' | 'tenant_audit_log'
  /** Column name -> type name (pg_type.typname). */
  columns: Map<string, string>
  idKind: 'uuid' | 'int'
}

export interface SourceSql {
  source: AuditSource
  /** FROM clause with alias. */
  from: string
  /** The table's name, for the detail view. */
  table: string
  created: string
  id: string
  /** How a cursor's key text becomes this source's id type. */
  idCast: string
  key: string
  tenant: string
  tenantSlug: string
  userId: string
  actorName: string
  actorEmail: string
  dbRole: string
  action: string
  resource: string
  resourceId: string
  outcome: string
  /** The searchable / exported text of the details. */
  details: string
  /** Expression of the whole row as jsonb (detail view). */
  row: string
  /** user id column and its type, for an exact actor match. */
  userColumn: { expr: string; uuid: boolean } | null
}

export const SOURCE_ORDER: AuditSource[] = ['app', 'archive', 'console']

/** The app table the layout has, with its columns (null: none, or no id/created_at/action). */
export async function readAppAuditTable(db: Queryable, name: string | null): Promise<AppAuditTable | null> {
  if (name !== 'tenant_audit_logs' && name !== 'tenant_audit_log') return null
  const r = await db.query<{ attname: string; typname: string }>(
    `SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [`public.${name}`]
  )
  const columns = new Map(r.rows.map((x) => [x.attname, x.typname]))
  const idType = columns.get('id')
  if (!idType || !columns.has('created_at') || !columns.has('action')) return null
  const idKind = idType === 'uuid' ? 'uuid' : /^int[248]$/.test(idType) ? 'int' : null
  if (!idKind) return null
  return { name, columns, idKind }
}

const pad = (expr: string) => `lpad(${expr}::text, 20, '0')`

export function appSource(t: AppAuditTable): SourceSql {
  const has = (c: string) => t.columns.has(c)
  const first = (names: string[]) => names.find(has)
  const jsonCols = ['details', 'metadata', 'new_values', 'old_values', 'changes'].filter((c) => has(c) && /^jsonb?$/.test(t.columns.get(c)!))
  const main = jsonCols[0]
  // What the console itself writes into the details: {actor: {name, email, dbRole}}.
  const fromActor = (k: string) => (main ? `(a.${main}::jsonb -> 'actor' ->> '${k}')` : 'NULL::text')
  const userCol = first(['user_id', 'actor_id', 'actor_user_id'])
  const resourceCol = first(['resource', 'resource_type', 'entity_type'])
  const resourceIdCol = first(['resource_id', 'entity_id'])
  const details = jsonCols.length
    ? jsonCols.length === 1
      ? `coalesce(a.${jsonCols[0]}::text, '')`
      : `concat_ws(' ', ${jsonCols.map((c) => `a.${c}::text`).join(', ')})`
    : `''`
  return {
    source: 'app',
    from: `public.${t.name} a`,
    table: `public.${t.name}`,
    created: 'a.created_at',
    id: 'a.id',
    idCast: t.idKind === 'uuid' ? '::uuid' : '::bigint',
    key: t.idKind === 'uuid' ? 'a.id::text' : pad('a.id'),
    tenant: has('tenant_id') ? 'a.tenant_id' : 'NULL::uuid',
    tenantSlug: 'NULL::text',
    userId: userCol ? `a.${userCol}::text` : 'NULL::text',
    actorName: has('actor_name') ? `coalesce(a.actor_name::text, ${fromActor('name')})` : fromActor('name'),
    actorEmail: has('actor_email') ? `coalesce(a.actor_email::text, ${fromActor('email')})` : fromActor('email'),
    dbRole: fromActor('dbRole'),
    action: 'a.action::text',
    resource: resourceCol ? `a.${resourceCol}::text` : 'NULL::text',
    resourceId: resourceIdCol ? `a.${resourceIdCol}::text` : 'NULL::text',
    outcome: 'NULL::text',
    details,
    row: 'to_jsonb(a)',
    userColumn: userCol ? { expr: `a.${userCol}`, uuid: t.columns.get(userCol) === 'uuid' } : null
  }
}

export const archiveSource: SourceSql = {
  source: 'archive',
  from: 'console.tenant_audit_archive a',
  table: 'console.tenant_audit_archive',
  created: 'a.created_at',
  id: 'a.id',
  idCast: '::bigint',
  key: pad('a.id'),
  tenant: 'a.tenant_id',
  tenantSlug: 'a.tenant_slug',
  userId: 'a.user_id',
  actorName: 'a.actor_name',
  actorEmail: 'a.actor_email',
  dbRole: `(a.details -> 'actor' ->> 'dbRole')`,
  action: 'a.action',
  resource: 'a.resource',
  resourceId: 'a.resource_id',
  outcome: 'NULL::text',
  details: `coalesce(a.details::text, '')`,
  row: `a.original || jsonb_build_object('_archived_at', a.archived_at, '_archived_by', a.archived_by, '_source_table', a.source_table, '_tenant_slug', a.tenant_slug)`,
  userColumn: { expr: 'a.user_id', uuid: false }
}

export const consoleSource: SourceSql = {
  source: 'console',
  from: 'console.operator_log a',
  table: 'console.operator_log',
  created: 'a.at',
  id: 'a.id',
  idCast: '::bigint',
  key: pad('a.id'),
  tenant: 'a.tenant_id',
  tenantSlug: 'a.tenant_slug',
  userId: 'NULL::text',
  actorName: 'a.operator_name',
  actorEmail: 'a.operator_email',
  dbRole: 'a.db_role',
  action: 'a.action',
  resource: `split_part(a.action, '.', 1)`,
  resourceId: 'a.tenant_id::text',
  outcome: 'a.outcome',
  details: `concat_ws(' ', a.params::text, a.error)`,
  row: 'to_jsonb(a)',
  userColumn: null
}
