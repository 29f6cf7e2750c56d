import type { TenantRow, TenantSortKey } from '../../src-preload/contract'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'

export interface ListQuery {
  search: string | null
  statuses: string[] | null
  plans: string[] | null
  sort: TenantSortKey
  direction: 'asc' | 'desc'
  offset: number
  limit: number
  period: string
}

/** Escapes LIKE wildcards so a search for "50%_off" matches literally. */
export function likePattern(s: string): string {
  return '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%'
}

/** SQL for a column of public.tenants when the layout has it, else NULL of the right type. */
function col(layout: Layout, name: string, cast = 'text'): string {
  return layout.tenantColumns.has(name) ? `t.${name}` : `NULL::${cast}`
}

function planExpr(layout: Layout): string {
  if (layout.tenantColumns.has('billing_plan')) return 't.billing_plan'
  if (layout.tenantColumns.has('plan')) return 't.plan'
  return 'NULL::text'
}

/** A tenant's custom domain: the column (030), else its primary row in tenant_domains (newer). */
function domainExpr(layout: Layout): string {
  if (layout.tenantColumns.has('custom_domain')) return 't.custom_domain'
  if (layout.hasDomains) {
    return `(SELECT d.domain FROM public.tenant_domains d WHERE d.tenant_id = t.id ORDER BY d.domain LIMIT 1)`
  }
  return 'NULL::text'
}

function usageCol(layout: Layout, name: string, cast: string): string {
  return layout.hasUsage && layout.usageColumns.has(name) ? `u.${name}` : `NULL::${cast}`
}

/**
 * Two statements: the page and the count. Sorting on a tenants column limits the
 * tenants first and joins usage for the page rows only; sorting on a usage counter
 * joins usage for every matching tenant (through its (tenant_id, period) key).
 */
export async function listTenants(db: Queryable, layout: Layout, q: ListQuery): Promise<{ rows: TenantRow[]; total: number }> {
  const usersTotal = usageCol(layout, 'users_total', 'int')
  const storageBytes = usageCol(layout, 'storage_bytes', 'bigint')
  const sortExpr: Record<TenantSortKey, string> = {
    name: 'lower(t.name)',
    slug: 't.slug',
    status: 't.status',
    plan: planExpr(layout),
    ownerEmail: `lower(${col(layout, 'owner_email')})`,
    customDomain: domainExpr(layout),
    createdAt: col(layout, 'created_at', 'timestamptz'),
    trialEndsAt: col(layout, 'trial_ends_at', 'timestamptz'),
    usersTotal,
    storageBytes
  }
  const sortsOnUsage = q.sort === 'usersTotal' || q.sort === 'storageBytes'
  const dir = q.direction === 'desc' ? 'DESC' : 'ASC'
  const searchCols = ['t.name', 't.slug', col(layout, 'owner_email'), col(layout, 'custom_domain')].filter((c) => !c.startsWith('NULL'))
  const searchDomains =
    !layout.tenantColumns.has('custom_domain') && layout.hasDomains
      ? ` OR EXISTS (SELECT 1 FROM public.tenant_domains d WHERE d.tenant_id = t.id AND d.domain ILIKE $1)`
      : ''
  const where = `($1::text IS NULL OR ${searchCols.map((c) => `${c} ILIKE $1`).join(' OR ')}${searchDomains})
      AND ($2::text[] IS NULL OR t.status = ANY($2::text[]))
      AND ($3::text[] IS NULL OR ${planExpr(layout)} = ANY($3::text[]))`
  const filterParams: unknown[] = [q.search ? likePattern(q.search) : null, q.statuses, q.plans]
  const usageJoin = (alias: string) =>
    layout.hasUsage ? `LEFT JOIN public.tenant_usage u ON u.tenant_id = ${alias}.id AND u.period = $6` : ''
  const select = `t.id::text AS id, t.name, t.slug, t.status, ${planExpr(layout)} AS plan,
           ${col(layout, 'owner_email')} AS owner_email, ${domainExpr(layout)} AS custom_domain,
           t.schema_name, ${col(layout, 'created_at', 'timestamptz')} AS created_at,
           ${col(layout, 'trial_ends_at', 'timestamptz')} AS trial_ends_at`
  const order = `${sortExpr[q.sort]} ${dir} NULLS LAST, t.id ${dir}`
  const pageSql = sortsOnUsage
    ? `SELECT ${select}, ${usersTotal} AS users_total, ${storageBytes} AS storage_bytes
         FROM public.tenants t
         ${usageJoin('t')}
        WHERE ${where}
        ORDER BY ${order}
        LIMIT $4 OFFSET $5`
    : `SELECT p.*, ${usersTotal} AS users_total, ${storageBytes} AS storage_bytes
         FROM (SELECT ${select}, t.id AS tid, row_number() OVER () AS ord
                 FROM (SELECT t.* FROM public.tenants t WHERE ${where} ORDER BY ${order} LIMIT $4 OFFSET $5) t) p
         ${usageJoin('p').replace('p.id', 'p.tid')}
        ORDER BY p.ord`
  const pageParams = [...filterParams, q.limit, q.offset, ...(layout.hasUsage ? [q.period] : [])]
  const [page, count] = await Promise.all([
    db.query(pageSql, pageParams),
    db.query<{ n: number }>(`SELECT count(*) AS n FROM public.tenants t WHERE ${where}`, filterParams)
  ])
  return {
    total: Number(count.rows[0]?.n ?? 0),
    rows: page.rows.map((x) => ({
      id: x.id,
      name: x.name,
      slug: x.slug,
      status: x.status,
      plan: x.plan,
      ownerEmail: x.owner_email,
      customDomain: x.custom_domain,
      schemaName: x.schema_name,
      createdAt: x.created_at ? new Date(x.created_at).toISOString() : null,
      trialEndsAt: x.trial_ends_at ? new Date(x.trial_ends_at).toISOString() : null,
      usersTotal: x.users_total === null || x.users_total === undefined ? null : Number(x.users_total),
      storageBytes: x.storage_bytes === null || x.storage_bytes === undefined ? null : Number(x.storage_bytes)
    }))
  }
}

export interface TenantRecord {
  row: Record<string, unknown>
  settings: Record<string, unknown> | null
  usage: Record<string, unknown> | null
  /** Newer layout: the first of the tenant's rows in tenant_domains. */
  domain: string | null
}

export async function getTenant(db: Queryable, layout: Layout, id: string, period: string): Promise<TenantRecord | null> {
  const r = await db.query(`SELECT to_jsonb(t) AS row FROM public.tenants t WHERE t.id = $1`, [id])
  if (!r.rows[0]) return null
  const settings = layout.hasSettings
    ? (await db.query(`SELECT to_jsonb(s) AS row FROM public.tenant_settings s WHERE s.tenant_id = $1`, [id])).rows[0]?.row ?? null
    : null
  const usage = layout.hasUsage
    ? (await db.query(`SELECT to_jsonb(u) AS row FROM public.tenant_usage u WHERE u.tenant_id = $1 AND u.period = $2`, [id, period])).rows[0]
        ?.row ?? null
    : null
  const domain =
    !layout.tenantColumns.has('custom_domain') && layout.hasDomains
      ? ((await db.query<{ domain: string }>(`SELECT domain FROM public.tenant_domains WHERE tenant_id = $1 ORDER BY domain LIMIT 1`, [id])).rows[0]
          ?.domain ?? null)
      : null
  return { row: r.rows[0].row, settings, usage, domain }
}

export interface SchemaFacts {
  resolvedName: string | null
  tableCount: number | null
  sizeBytes: number | null
}

/**
 * Finds the tenant's schema as stored. The app created schemas unquoted, so a
 * schema_name with upper case is stored lower-cased: exact match first, then lower().
 */
export async function schemaFacts(db: Queryable, schemaName: string): Promise<SchemaFacts> {
  const r = await db.query<{ nspname: string; tables: number; size: number }>(
    `SELECT n.nspname,
            (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p'))::int AS tables,
            (SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','m'))::bigint AS size
       FROM pg_namespace n
      WHERE n.nspname = $1 OR n.nspname = lower($1)
      ORDER BY (n.nspname = $1) DESC
      LIMIT 1`,
    [schemaName]
  )
  const x = r.rows[0]
  return x ? { resolvedName: x.nspname, tableCount: x.tables, sizeBytes: Number(x.size) } : { resolvedName: null, tableCount: null, sizeBytes: null }
}
