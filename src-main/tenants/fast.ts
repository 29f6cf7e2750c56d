/**
 * The directory with the console's indexes present ("fast mode"): the page is read by
 * walking an index in the page's order and stopping after it, so its cost depends on the
 * page and the filter's selectivity, not on the fleet's size.
 *
 * Same rows in the same order as the full scan of repository.ts (test/integration/
 * directory-fast.test.ts compares them). The order is `key dir NULLS LAST, id dir`; one
 * btree cannot give NULLS LAST in both directions, so a page is the union of two ordered
 * branches read lazily: tenants with a key (index on (key, id)), then tenants without one
 * (partial index on (id) WHERE column IS NULL), each LIMITed, the second read only when
 * the first runs out.
 *
 * Paging: an offset (jump to page N: correct, cost grows with N) or a keyset cursor
 * (the last row's key and id: next page at any depth costs the same as the first).
 * Totals: counted exactly up to COUNT_CAP matches; beyond, the planner's estimate, shown as
 * "about" (tenants:count gives the exact figure on request).
 */
import type { TenantCursor } from '../../src-preload/contract'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { likeOfLowered, planColumn, searchHaystack, tenantSortColumns, USAGE_SORTS, type IndexableSort } from '../domain/directory-sql'
import { mapRow, pageSelect, searchTerm, usageCol, VERIFIED, type ListQuery } from './repository'

/** Matches counted exactly before the total becomes an estimate. */
export const COUNT_CAP = 1000
/** Rows read (a page sample) to estimate how many tenants a search matches past the cap. */
const SAMPLE_ROWS = 5000

export interface FastQuery extends ListQuery {
  after: TenantCursor | null
}

class Params {
  readonly values: unknown[] = []
  add(v: unknown): string {
    this.values.push(v)
    return `$${this.values.length}`
  }
}

/** UTC bounds of a 'YYYY-MM' month, for a range the created_at index can use. */
export function monthBounds(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return [new Date(Date.UTC(y, m - 1, 1)).toISOString(), new Date(Date.UTC(y, m, 1)).toISOString()]
}

/** The filter as sargable SQL on alias t (same set of tenants as the full scan's WHERE). */
export function fastWhere(layout: Layout, q: Pick<ListQuery, 'search' | 'statuses' | 'plans' | 'noVerifiedBackupWithinHours' | 'createdMonth'>, p: Params): string {
  const w: string[] = []
  const search = q.search ? searchTerm(q.search) : ''
  if (search) {
    const term = p.add(search)
    const pat = likeOfLowered(`${term}::text`)
    const domains = layout.hasDomains
      ? ` OR t.id = ANY (ARRAY(SELECT d.tenant_id FROM public.tenant_domains d WHERE lower(d.domain) LIKE ${pat}))`
      : ''
    w.push(`(${searchHaystack(layout, 't')} LIKE ${pat}${domains})`)
  }
  if (q.statuses) w.push(`t.status = ANY (${p.add(q.statuses)}::text[])`)
  if (q.plans) {
    const plan = planColumn(layout)
    w.push(plan ? `t.${plan} = ANY (${p.add(q.plans)}::text[])` : 'false')
  }
  if (q.createdMonth) {
    if (!layout.tenantColumns.has('created_at')) w.push('false')
    else {
      const [from, to] = monthBounds(q.createdMonth)
      w.push(`t.created_at >= ${p.add(from)}::timestamptz AND t.created_at < ${p.add(to)}::timestamptz`)
    }
  }
  if (q.noVerifiedBackupWithinHours && layout.hasBackupCatalog) {
    w.push(`NOT EXISTS (SELECT 1 FROM console.backup_catalog c WHERE ${VERIFIED} AND c.started_at > now() - make_interval(hours => ${p.add(q.noVerifiedBackupWithinHours)}::int))`)
  }
  return w.length ? w.join(' AND ') : 'true'
}

/** Whether fast mode can serve this sort on this layout (else the full scan does). */
export function fastSortable(layout: Layout, sort: ListQuery['sort']): boolean {
  if (sort === 'usersTotal' || sort === 'storageBytes') return layout.hasUsage && layout.usageColumns.has(USAGE_SORTS[sort])
  return sort in tenantSortColumns(layout)
}

export async function listTenantsFast(
  db: Queryable,
  layout: Layout,
  q: FastQuery,
  notNull: Set<string>
): Promise<{ rows: ReturnType<typeof mapRow>[]; total: number; totalExact: boolean; next: TenantCursor | null }> {
  const p = new Params()
  const where = fastWhere(layout, q, p)
  const desc = q.direction === 'desc'
  const dir = desc ? 'DESC' : 'ASC'
  const cmp = desc ? '<' : '>'
  const keyset = q.after
  const want = p.add((keyset ? 0 : q.offset) + q.limit + 1)
  const period = p.add(q.period)
  let first: string | null
  let second: string | null
  if (q.sort === 'usersTotal' || q.sort === 'storageBytes') {
    const uc = USAGE_SORTS[q.sort]
    const after = keyset && keyset.key !== null ? ` AND (u.${uc}, u.tenant_id) ${cmp} (${p.add(keyset.key)}::bigint, ${p.add(keyset.id)}::uuid)` : ''
    first =
      keyset && keyset.key === null
        ? null
        : `SELECT u.tenant_id AS id, u.${uc}::bigint AS k FROM public.tenant_usage u JOIN public.tenants t ON t.id = u.tenant_id
            WHERE u.period = ${period} AND u.${uc} IS NOT NULL AND ${where}${after}
            ORDER BY u.${uc} ${dir}, u.tenant_id ${dir} LIMIT ${want}`
    const afterNull = keyset && keyset.key === null ? ` AND t.id ${cmp} ${p.add(keyset.id)}::uuid` : ''
    second = `SELECT t.id, NULL::bigint AS k FROM public.tenants t
               WHERE ${where} AND NOT EXISTS (SELECT 1 FROM public.tenant_usage u WHERE u.tenant_id = t.id AND u.period = ${period} AND u.${uc} IS NOT NULL)${afterNull}
               ORDER BY t.id ${dir} LIMIT ${want}`
  } else {
    const s = tenantSortColumns(layout)[q.sort as IndexableSort]!
    const k = s.expr('t')
    const nullable = !notNull.has(s.column)
    const after = keyset && keyset.key !== null ? ` AND (${k}, t.id) ${cmp} (${p.add(keyset.key)}::${s.type}, ${p.add(keyset.id)}::uuid)` : ''
    first =
      keyset && keyset.key === null
        ? null
        : `SELECT t.id, ${k} AS k FROM public.tenants t WHERE ${where}${nullable ? ` AND t.${s.column} IS NOT NULL` : ''}${after}
            ORDER BY ${k} ${dir}, t.id ${dir} LIMIT ${want}`
    const afterNull = keyset && keyset.key === null ? ` AND t.id ${cmp} ${p.add(keyset.id)}::uuid` : ''
    second = nullable
      ? `SELECT t.id, NULL::${s.type} AS k FROM public.tenants t WHERE ${where} AND t.${s.column} IS NULL${afterNull}
          ORDER BY t.id ${dir} LIMIT ${want}`
      : null
  }
  const branches = [first, second].filter((b): b is string => b !== null).map((b) => `(${b})`)
  const off = p.add(keyset ? 0 : q.offset)
  const lim = p.add(q.limit + 1)
  const usersTotal = usageCol(layout, 'users_total', 'int')
  const storageBytes = usageCol(layout, 'storage_bytes', 'bigint')
  const usageJoin = layout.hasUsage
    ? `LEFT JOIN LATERAL (SELECT * FROM public.tenant_usage u0 WHERE u0.tenant_id = t.id AND u0.period = ${period} LIMIT 1) u ON true`
    : ''
  const sql = `
    SELECT ${pageSelect(layout)}, ${usersTotal} AS users_total, ${storageBytes} AS storage_bytes, p.k::text AS cursor_key
      FROM (SELECT b.id, b.k FROM (${branches.join(' UNION ALL ')}) b OFFSET ${off} LIMIT ${lim}) p
      JOIN public.tenants t ON t.id = p.id
      ${usageJoin}
     ORDER BY (p.k IS NULL), p.k ${dir}, p.id ${dir}`
  const page = await db.query(sql, p.values)
  const more = page.rows.length > q.limit
  const rows = page.rows.slice(0, q.limit)
  const last = rows[rows.length - 1]
  const next: TenantCursor | null = more && last ? { key: last.cursor_key ?? null, id: String(last.id) } : null
  const { total, exact } = await cappedTotal(db, layout, q)
  return { rows: rows.map(mapRow), total, totalExact: exact, next }
}

/** Exact up to COUNT_CAP matches, else the planner's estimate (at least COUNT_CAP). */
export async function cappedTotal(db: Queryable, layout: Layout, q: ListQuery): Promise<{ total: number; exact: boolean }> {
  const p = new Params()
  const where = fastWhere(layout, q, p)
  const cap = p.add(COUNT_CAP)
  const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM public.tenants t WHERE ${where} LIMIT ${cap}) x`, p.values)
  const n = Number(c.rows[0]?.n ?? 0)
  if (n < COUNT_CAP) return { total: n, exact: true }
  if (q.search && searchTerm(q.search)) {
    // The planner has no good estimate for a substring: count it in a fixed page sample
    // (~SAMPLE_ROWS rows, REPEATABLE so the same fleet gives the same figure) and scale.
    const s = new Params()
    const sw = fastWhere(layout, q, s)
    const r = await db.query<{ m: number; n: number; rel: number }>(
      `WITH rel AS (SELECT greatest(reltuples, 1)::float8 AS n FROM pg_class WHERE oid = 'public.tenants'::regclass)
       SELECT count(*) FILTER (WHERE ${sw})::int AS m, count(*)::int AS n, (SELECT n FROM rel) AS rel
         FROM public.tenants t TABLESAMPLE SYSTEM ((SELECT least(100, greatest(0.1, ${s.add(SAMPLE_ROWS)} * 100.0 / n)) FROM rel)) REPEATABLE (1)`,
      s.values
    )
    const x = r.rows[0]
    if (x && Number(x.n) > 0) return { total: Math.max(COUNT_CAP, Math.round((Number(x.m) / Number(x.n)) * Number(x.rel))), exact: false }
  }
  const e = new Params()
  const ew = fastWhere(layout, q, e)
  const plan = await db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM public.tenants t WHERE ${ew}`, e.values)
  const est = Math.round(Number(plan.rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows'] ?? 0))
  return { total: Math.max(est, COUNT_CAP), exact: false }
}

/** The exact number of matching tenants (the "exact count" on request; select all matching). */
export async function exactTotal(db: Queryable, layout: Layout, q: ListQuery): Promise<number> {
  const p = new Params()
  const where = fastWhere(layout, q, p)
  const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants t WHERE ${where}`, p.values)
  return Number(c.rows[0]?.n ?? 0)
}

/**
 * The ids of every matching tenant, in id order, CHUNK at a time (select all matching:
 * main resolves the filter itself, the renderer never sends the ids).
 */
export async function matchingIds(db: Queryable, layout: Layout, q: ListQuery, afterId: string | null, chunk: number): Promise<string[]> {
  const p = new Params()
  const where = fastWhere(layout, q, p)
  const after = afterId ? ` AND t.id > ${p.add(afterId)}::uuid` : ''
  const r = await db.query<{ id: string }>(`SELECT t.id::text AS id FROM public.tenants t WHERE ${where}${after} ORDER BY t.id LIMIT ${p.add(chunk)}`, p.values)
  return r.rows.map((x) => x.id)
}

/** Matching tenants per status (exact): what a bulk action over a filter is about to touch. */
export async function statusCounts(db: Queryable, layout: Layout, q: ListQuery): Promise<{ status: string; count: number }[]> {
  const p = new Params()
  const where = fastWhere(layout, q, p)
  const r = await db.query<{ status: string; n: number }>(`SELECT t.status::text AS status, count(*)::int AS n FROM public.tenants t WHERE ${where} GROUP BY 1 ORDER BY 2 DESC, 1`, p.values)
  return r.rows.map((x) => ({ status: x.status, count: Number(x.n) }))
}
