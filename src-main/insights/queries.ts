/**
 * SQL of the insights feature: fleet aggregates and one tenant's usage. Every statement
 * reads the columns the layout has (030 or newer) and answers NULL where a column is
 * missing, so the same code serves both layouts.
 */
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'

/** A usage column when the layout has it, else NULL of the right type. */
export function usageCol(layout: Layout, name: string, cast = 'bigint', alias = 'u'): string {
  return layout.hasUsage && layout.usageColumns.has(name) ? `${alias}.${name}` : `NULL::${cast}`
}

function tenantCol(layout: Layout, name: string, cast = 'text'): string {
  return layout.tenantColumns.has(name) ? `t.${name}` : `NULL::${cast}`
}

export function planCol(layout: Layout): string {
  if (layout.tenantColumns.has('billing_plan')) return 't.billing_plan'
  if (layout.tenantColumns.has('plan')) return 't.plan'
  return 'NULL::text'
}

/** A jsonb number of tenants.limits as numeric, NULL when absent or not a number. */
function limitNum(layout: Layout, key: string): string {
  if (!layout.tenantColumns.has('limits')) return 'NULL::numeric'
  return `CASE WHEN jsonb_typeof(t.limits -> '${key}') = 'number' THEN (t.limits ->> '${key}')::numeric END`
}

const monthOf = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM')`

/** Tenants by status and by plan, in one pass over public.tenants. */
export async function countsBy(db: Queryable, layout: Layout): Promise<{ status: { key: string; count: number }[]; plan: { key: string; count: number }[] }> {
  const r = await db.query<{ status: string | null; plan: string | null; by_status: boolean; n: string }>(
    `SELECT t.status, ${planCol(layout)} AS plan, GROUPING(t.status) = 0 AS by_status, count(*) AS n
       FROM public.tenants t GROUP BY GROUPING SETS ((t.status), (${planCol(layout)}))`
  )
  const pick = (byStatus: boolean) =>
    r.rows
      .filter((x) => x.by_status === byStatus)
      .map((x) => ({ key: (byStatus ? x.status : x.plan) ?? '(none)', count: Number(x.n) }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
  return { status: pick(true), plan: pick(false) }
}

/** Tenants created and cancelled per UTC month since `since` (a month start), in one pass. */
export async function lifecycleByMonth(db: Queryable, layout: Layout, since: Date): Promise<Map<string, { created: number; cancelled: number }>> {
  const events = [
    layout.tenantColumns.has('created_at') ? `('created', t.created_at)` : null,
    layout.tenantColumns.has('cancelled_at') ? `('cancelled', t.cancelled_at)` : null
  ].filter(Boolean)
  const out = new Map<string, { created: number; cancelled: number }>()
  if (!events.length) return out
  const r = await db.query<{ m: string; kind: 'created' | 'cancelled'; n: string }>(
    `SELECT ${monthOf('v.at')} AS m, v.kind, count(*) AS n
       FROM public.tenants t CROSS JOIN LATERAL (VALUES ${events.join(', ')}) AS v(kind, at)
      WHERE v.at >= $1 GROUP BY 1, 2`,
    [since]
  )
  for (const row of r.rows) {
    const e = out.get(row.m) ?? { created: 0, cancelled: 0 }
    e[row.kind] = Number(row.n)
    out.set(row.m, e)
  }
  return out
}

export interface UsageTotals {
  messagesSent: number | null
  storageBytes: number | null
  usersActive: number | null
  reporting: number
}

/** Fleet usage sums per period since `sincePeriod` ('YYYY-MM'); NULL counters stay out of the sums. */
export async function usageByMonth(db: Queryable, layout: Layout, sincePeriod: string): Promise<Map<string, UsageTotals>> {
  const out = new Map<string, UsageTotals>()
  if (!layout.hasUsage) return out
  const r = await db.query<{ period: string; messages: string | null; storage: string | null; active: string | null; n: string }>(
    `SELECT u.period, sum(${usageCol(layout, 'messages_sent')}) AS messages, sum(${usageCol(layout, 'storage_bytes')}) AS storage,
            sum(${usageCol(layout, 'users_active')}) AS active, count(*) AS n
       FROM public.tenant_usage u WHERE u.period >= $1 GROUP BY u.period`,
    [sincePeriod]
  )
  const n = (v: string | null) => (v === null ? null : Number(v))
  for (const row of r.rows) out.set(row.period, { messagesSent: n(row.messages), storageBytes: n(row.storage), usersActive: n(row.active), reporting: Number(row.n) })
  return out
}

export interface MrrRow {
  plan: string | null
  interval: string | null
  listPriced: number
  overrides: number
  overrideCents: number
}

/** Active tenants by plan and interval; metadata.monthlyPriceCents (a whole number) overrides the list price. */
export async function mrrRows(db: Queryable, layout: Layout): Promise<MrrRow[]> {
  const override = layout.tenantColumns.has('metadata')
    ? `CASE WHEN t.metadata ->> 'monthlyPriceCents' ~ '^[0-9]{1,12}$' THEN (t.metadata ->> 'monthlyPriceCents')::bigint END`
    : 'NULL::bigint'
  const r = await db.query<{ plan: string | null; iv: string | null; list_priced: string; overrides: string; override_cents: string | null }>(
    `SELECT plan, iv, count(*) FILTER (WHERE ov IS NULL) AS list_priced, count(ov) AS overrides, sum(ov) AS override_cents
       FROM (SELECT ${planCol(layout)} AS plan, ${tenantCol(layout, 'billing_interval')} AS iv, ${override} AS ov
               FROM public.tenants t WHERE t.status = 'active') x
      GROUP BY plan, iv`
  )
  return r.rows.map((x) => ({ plan: x.plan, interval: x.iv, listPriced: Number(x.list_priced), overrides: Number(x.overrides), overrideCents: Number(x.override_cents ?? 0) }))
}

export async function trialsEnding(db: Queryable, layout: Layout, now: Date, days: number): Promise<{ id: string; name: string; slug: string; plan: string | null; trial_ends_at: Date }[]> {
  if (!layout.tenantColumns.has('trial_ends_at')) return []
  const r = await db.query(
    `SELECT t.id, t.name, t.slug, ${planCol(layout)} AS plan, t.trial_ends_at
       FROM public.tenants t
      WHERE t.status = 'trial' AND t.trial_ends_at >= $1 AND t.trial_ends_at < $1::timestamptz + make_interval(days => $2)
      ORDER BY t.trial_ends_at, t.slug LIMIT 200`,
    [now, days]
  )
  return r.rows
}

export interface PressureRow {
  id: string
  name: string
  slug: string
  plan: string | null
  metric: 'users' | 'storage' | 'apiCalls' | 'channels'
  used: string
  lim: string
  over_count: string
  near_count: string
  total: string
}

/**
 * Tenants (not cancelled) at `near` (a fraction) or more of a limit in `period`: users
 * against maxUsers, storage against maxStorageGB, API calls against maxApiCallsPerMonth,
 * the comparisons check_tenant_limits makes (reaching a limit counts as over it); -1
 * (unlimited) and missing limits never count.
 */
export async function limitPressure(db: Queryable, layout: Layout, period: string, near: number, max: number, channelCounts: boolean): Promise<PressureRow[]> {
  if (!layout.hasUsage || !layout.tenantColumns.has('limits')) return []
  // Channels are counted by "Refresh usage" into the console's own table (tenant_usage has no column).
  const channels = channelCounts
    ? `,
           ('channels', (SELECT cc.channels FROM console.tenant_channel_counts cc WHERE cc.tenant_id = t.id AND cc.period = $1)::numeric, ${limitNum(layout, 'maxChannels')})`
    : ''
  // The matching rows are computed once; the page is the worst `max` (a top-N sort), the
  // counts come from the same rows without sorting them all.
  const r = await db.query<PressureRow>(
    `WITH m AS MATERIALIZED (
       SELECT t.id, t.name, t.slug, ${planCol(layout)} AS plan, v.metric, v.used, v.lim
         FROM public.tenants t
         JOIN public.tenant_usage u ON u.tenant_id = t.id AND u.period = $1
         CROSS JOIN LATERAL (VALUES
           ('users', ${usageCol(layout, 'users_total')}::numeric, ${limitNum(layout, 'maxUsers')}),
           ('storage', ${usageCol(layout, 'storage_bytes')}::numeric, ${limitNum(layout, 'maxStorageGB')} * 1073741824),
           ('apiCalls', ${usageCol(layout, 'api_calls_total')}::numeric, ${limitNum(layout, 'maxApiCallsPerMonth')})${channels}
         ) AS v(metric, used, lim)
        WHERE t.status <> 'cancelled' AND v.lim > 0 AND v.used IS NOT NULL AND v.used >= v.lim * $2
     ), c AS (
       SELECT count(*) FILTER (WHERE used >= lim) AS over_count, count(*) FILTER (WHERE used < lim) AS near_count, count(*) AS total FROM m
     )
     SELECT top.*, c.over_count, c.near_count, c.total
       FROM c CROSS JOIN LATERAL (SELECT * FROM m ORDER BY used / lim DESC, slug, metric LIMIT $3) top`,
    [period, near, max]
  )
  return r.rows
}

export interface UsageRow {
  period: string
  users_active: string | null
  users_total: string | null
  messages_sent: string | null
  messages_total: string | null
  files_count: string | null
  storage_bytes: string | null
  api_calls_total: string | null
  calls_total_minutes: string | null
}

export async function tenantUsage(db: Queryable, layout: Layout, tenantId: string, sincePeriod: string): Promise<UsageRow[]> {
  if (!layout.hasUsage) return []
  const c = (name: string) => `${usageCol(layout, name)} AS ${name}`
  const r = await db.query<UsageRow>(
    `SELECT u.period, ${['users_active', 'users_total', 'messages_sent', 'messages_total', 'files_count', 'storage_bytes', 'api_calls_total', 'calls_total_minutes'].map(c).join(', ')}
       FROM public.tenant_usage u WHERE u.tenant_id = $1 AND u.period >= $2 ORDER BY u.period`,
    [tenantId, sincePeriod]
  )
  return r.rows
}

export async function apiByEndpoint(db: Queryable, layout: Layout, tenantId: string, sincePeriod: string): Promise<{ endpoint: string; calls: number }[]> {
  if (!layout.hasUsage || !layout.usageColumns.has('api_calls_by_endpoint')) return []
  const r = await db.query<{ endpoint: string; calls: string }>(
    `SELECT e.key AS endpoint, sum(e.value::numeric) AS calls
       FROM public.tenant_usage u
       CROSS JOIN LATERAL jsonb_each_text(CASE WHEN jsonb_typeof(u.api_calls_by_endpoint) = 'object' THEN u.api_calls_by_endpoint ELSE '{}'::jsonb END) e
      WHERE u.tenant_id = $1 AND u.period >= $2 AND e.value ~ '^[0-9]{1,15}$'
      GROUP BY e.key ORDER BY calls DESC, e.key LIMIT 25`,
    [tenantId, sincePeriod]
  )
  return r.rows.map((x) => ({ endpoint: x.endpoint, calls: Number(x.calls) }))
}

export async function tenantLimits(db: Queryable, layout: Layout, tenantId: string): Promise<{ found: boolean; users: number | null; storageGB: number | null; apiCalls: number | null }> {
  const r = await db.query<{ users: string | null; storage: string | null; api: string | null }>(
    `SELECT ${limitNum(layout, 'maxUsers')} AS users, ${limitNum(layout, 'maxStorageGB')} AS storage, ${limitNum(layout, 'maxApiCallsPerMonth')} AS api
       FROM public.tenants t WHERE t.id = $1`,
    [tenantId]
  )
  const row = r.rows[0]
  const n = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v))
  return { found: Boolean(row), users: n(row?.users), storageGB: n(row?.storage), apiCalls: n(row?.api) }
}

/** check_tenant_limits(uuid) when the database has it; null when it does not. */
export async function checkTenantLimits(db: Queryable, tenantId: string): Promise<{ exceeded: unknown } | null> {
  const has = await db.query<{ ok: boolean }>(`SELECT to_regprocedure('public.check_tenant_limits(uuid)') IS NOT NULL AS ok`)
  if (!has.rows[0]?.ok) return null
  const r = await db.query<{ j: { exceeded?: unknown; error?: unknown } }>(`SELECT public.check_tenant_limits($1) AS j`, [tenantId])
  const j = r.rows[0]?.j
  return j && typeof j === 'object' && !('error' in j) ? { exceeded: j.exceeded } : null
}

/** Whether the console keeps channel counts here (migration 0012) and this role may read them. */
export async function hasChannelCounts(db: Queryable): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('console.tenant_channel_counts') IS NOT NULL AND has_table_privilege('console.tenant_channel_counts', 'SELECT') AS ok`
  )
  return Boolean(r.rows[0]?.ok)
}
