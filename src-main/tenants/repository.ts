import type { TenantDomain, TenantRow, TenantSortKey, VerifiedBackupRef } from '../../src-preload/contract'
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
  /** Only tenants without a verified backup taken in the last N hours. */
  noVerifiedBackupWithinHours?: number | null
  /** Only tenants created in this UTC month, 'YYYY-MM' (the overview's months link here). */
  createdMonth?: string | null
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

/**
 * A tenant's custom domain: the column (030, and kept by the newer layout), else its
 * primary (then first) row in tenant_domains (newer).
 */
function domainExpr(layout: Layout): string {
  const fromTable = `(SELECT d.domain::text FROM public.tenant_domains d WHERE d.tenant_id = t.id ORDER BY ${layout.domainColumns.has('is_primary') ? 'd.is_primary DESC, ' : ''}d.domain LIMIT 1)`
  if (layout.tenantColumns.has('custom_domain')) return layout.hasDomains ? `COALESCE(t.custom_domain::text, ${fromTable})` : 't.custom_domain'
  return layout.hasDomains ? fromTable : 'NULL::text'
}

export function usageCol(layout: Layout, name: string, cast: string): string {
  return layout.hasUsage && layout.usageColumns.has(name) ? `u.${name}` : `NULL::${cast}`
}

/**
 * A verified backup of tenant `t` in the console's catalog (a file deleted by retention
 * loses its verified_at). Probes the catalog's (tenant_id, started_at DESC) index.
 */
export const VERIFIED = `c.tenant_id = t.id AND c.status = 'succeeded' AND c.verified_at IS NOT NULL`
export function lastVerifiedExpr(layout: Layout): string {
  return layout.hasBackupCatalog
    ? `(SELECT c.started_at FROM console.backup_catalog c WHERE ${VERIFIED} ORDER BY c.started_at DESC LIMIT 1)`
    : 'NULL::timestamptz'
}

/** Joins searchable fields with a separator a search term cannot contain (control characters are stripped from terms). */
const SEP = `E'\\x01'`

/** A search term as matched: control characters removed (so no match spans two fields). */
export function searchTerm(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '')
}

/** The columns of a directory row for tenant `t` (the page's rows only). */
export function pageSelect(layout: Layout): string {
  return `t.id::text AS id, t.name, t.slug, t.status, ${planExpr(layout)} AS plan,
           ${col(layout, 'owner_email')} AS owner_email, ${domainExpr(layout)} AS custom_domain,
           t.schema_name, ${col(layout, 'created_at', 'timestamptz')} AS created_at,
           ${col(layout, 'trial_ends_at', 'timestamptz')} AS trial_ends_at,
           ${lastVerifiedExpr(layout)} AS last_verified_backup_at`
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mapRow(x: any): TenantRow {
  return {
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
    storageBytes: x.storage_bytes === null || x.storage_bytes === undefined ? null : Number(x.storage_bytes),
    lastVerifiedBackupAt: x.last_verified_backup_at ? new Date(x.last_verified_backup_at).toISOString() : null
  }
}

/**
 * The full scan ("slow mode", and the reference the fast path is tested against).
 * One statement: the page is chosen on a narrow row (id, sort key, total count)
 * and only the page's rows are then read in full and joined to usage. Sorting
 * 10,000 whole tenant rows (jsonb limits, features, branding) costs several times
 * more than sorting ids. Search is a case-insensitive substring match done with
 * strpos on lower(), so %, _ and \ are literal and each row is lowered once.
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
    storageBytes,
    lastVerifiedBackupAt: lastVerifiedExpr(layout)
  }
  const sortsOnUsage = q.sort === 'usersTotal' || q.sort === 'storageBytes'
  const dir = q.direction === 'desc' ? 'DESC' : 'ASC'
  const haystack = ['t.name', 't.slug', col(layout, 'owner_email'), col(layout, 'custom_domain')]
    .filter((c) => !c.startsWith('NULL'))
    .map((c) => `coalesce(${c}, '')`)
    .join(` || ${SEP} || `)
  const searchDomains = layout.hasDomains
    ? ` OR EXISTS (SELECT 1 FROM public.tenant_domains d WHERE d.tenant_id = t.id AND strpos(lower(d.domain), lower($1::text)) > 0)`
      : ''
  const where = `($1::text IS NULL OR strpos(lower(${haystack}), lower($1::text)) > 0${searchDomains})
      AND ($2::text[] IS NULL OR t.status = ANY($2::text[]))
      AND ($3::text[] IS NULL OR ${planExpr(layout)} = ANY($3::text[]))
      AND ($5::text IS NULL OR ${layout.tenantColumns.has('created_at') ? `to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM') = $5::text` : 'false'})
      AND ($4::int IS NULL OR ${
        layout.hasBackupCatalog
          ? `NOT EXISTS (SELECT 1 FROM console.backup_catalog c WHERE ${VERIFIED} AND c.started_at > now() - make_interval(hours => $4::int))`
          : 'true'
      })`
  const term = q.search ? searchTerm(q.search) : ''
  const filterParams: unknown[] = [term || null, q.statuses, q.plans, q.noVerifiedBackupWithinHours ?? null, q.createdMonth ?? null]
  // LATERAL + LIMIT 1 keeps this a probe of the app's unique (tenant_id, period)
  // index per tenant; a plain join lets the planner pick a hash join that scans
  // every month of every tenant's usage (180,000 rows for 10,000 tenants).
  const usageJoin = (alias: string) =>
    layout.hasUsage
      ? `LEFT JOIN LATERAL (SELECT * FROM public.tenant_usage u0 WHERE u0.tenant_id = ${alias}.id AND u0.period = $8 LIMIT 1) u ON true`
      : ''
  const select = pageSelect(layout)
  const order = `${sortExpr[q.sort]} ${dir} NULLS LAST, t.id ${dir}`
  const pageSql = `
    SELECT ${select}, ${usersTotal} AS users_total, ${storageBytes} AS storage_bytes, p.total
      FROM (SELECT t.id, ${sortExpr[q.sort]} AS k, count(*) OVER () AS total
              FROM public.tenants t
              ${sortsOnUsage ? usageJoin('t') : ''}
             WHERE ${where}
             ORDER BY ${order}
             LIMIT $6 OFFSET $7) p
      JOIN public.tenants t ON t.id = p.id
      ${usageJoin('t')}
     ORDER BY p.k ${dir} NULLS LAST, p.id ${dir}`
  const pageParams = [...filterParams, q.limit, q.offset, ...(layout.hasUsage ? [q.period] : [])]
  const page = await db.query(pageSql, pageParams)
  let total = page.rows[0] ? Number(page.rows[0].total) : 0
  if (page.rows.length === 0 && q.offset > 0) {
    // Past the end: the window had no row to carry the total.
    const c = await db.query<{ n: number }>(`SELECT count(*) AS n FROM public.tenants t WHERE ${where}`, filterParams)
    total = Number(c.rows[0]?.n ?? 0)
  }
  return {
    total,
    rows: page.rows.map(mapRow)
  }
}

export interface TenantRecord {
  row: Record<string, unknown>
  settings: Record<string, unknown> | null
  usage: Record<string, unknown> | null
  /** Newer layout: the tenant's rows in tenant_domains, primary first. */
  domains: TenantDomain[]
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
  const domains = layout.hasDomains ? await tenantDomains(db, layout, id) : []
  return { row: r.rows[0].row, settings, usage, domains }
}

/** Rows of tenant_domains with whichever verification and SSL columns the table has. */
async function tenantDomains(db: Queryable, layout: Layout, id: string): Promise<TenantDomain[]> {
  const c = (name: string, cast: string) => (layout.domainColumns.has(name) ? `d.${name}` : `NULL::${cast}`)
  const r = await db.query<{ domain: string; verified: boolean | null; verified_at: string | null; ssl: boolean | null; ssl_expires: string | null; primary: boolean | null }>(
    `SELECT d.domain::text AS domain, ${c('verified', 'boolean')} AS verified, ${c('verified_at', 'timestamptz')} AS verified_at,
            ${c('ssl_enabled', 'boolean')} AS ssl, ${c('ssl_certificate_expires_at', 'timestamptz')} AS ssl_expires, ${c('is_primary', 'boolean')} AS primary
       FROM public.tenant_domains d WHERE d.tenant_id = $1
      ORDER BY ${c('is_primary', 'boolean')} DESC NULLS LAST, d.domain LIMIT 50`,
    [id]
  )
  const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v)).toISOString())
  return r.rows.map((x) => ({
    domain: x.domain,
    // Verified: the flag when the table has one, else a verification time.
    verified: x.verified ?? x.verified_at !== null,
    verifiedAt: iso(x.verified_at),
    sslEnabled: x.ssl,
    sslExpiresAt: iso(x.ssl_expires),
    primary: Boolean(x.primary)
  }))
}

export interface SchemaFacts {
  resolvedName: string | null
  tableCount: number | null
  sizeBytes: number | null
}

/**
 * Finds the tenant's schema as stored. The app created schemas unquoted, so a
 * schema_name with upper case is stored lower-cased: exact match first, then lower().
 * The schema's relations are found through pg_depend (indexed on the referenced
 * namespace): pg_class has no index on relnamespace, and with 10,000 tenants it holds
 * 500,000+ rows, so filtering it by namespace took half a second per detail view.
 */
export async function schemaFacts(db: Queryable, schemaName: string): Promise<SchemaFacts> {
  const r = await db.query<{ nspname: string; tables: number; size: number }>(
    `SELECT n.nspname, x.tables, x.size
       FROM pg_namespace n
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p'))::int AS tables,
                COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint AS size
           FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
          WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid AND d.classid = 'pg_class'::regclass
            AND c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'm')) x
      WHERE n.nspname IN ($1::text::name, lower($1::text)::name)
      ORDER BY (n.nspname = $1::text::name) DESC
      LIMIT 1`,
    [schemaName]
  )
  const x = r.rows[0]
  return x ? { resolvedName: x.nspname, tableCount: x.tables, sizeBytes: Number(x.size) } : { resolvedName: null, tableCount: null, sizeBytes: null }
}

/** The tenant's newest verified backup in the catalog, or null (none, or no readable catalog). */
export async function newestVerifiedBackup(db: Queryable, layout: Layout, tenantId: string): Promise<VerifiedBackupRef | null> {
  if (!layout.hasBackupCatalog) return null
  const r = await db.query<{ id: string; file_name: string; started_at: Date; verified_at: Date; verification: 'quick' | 'deep' | null }>(
    `SELECT c.id::text, c.file_name, c.started_at, c.verified_at, c.verification FROM console.backup_catalog c
      WHERE c.tenant_id = $1 AND c.status = 'succeeded' AND c.verified_at IS NOT NULL
      ORDER BY c.started_at DESC LIMIT 1`,
    [tenantId]
  )
  const x = r.rows[0]
  return x ? { id: x.id, fileName: x.file_name, takenAt: x.started_at.toISOString(), verifiedAt: x.verified_at.toISOString(), verification: x.verification } : null
}
