/**
 * Limits and features that differ from the plan's defaults without a recorded override.
 *
 * What a tenant should have is what an edit in the console writes (lifecycle/service.ts,
 * update): the row's own keys, the plan's defaults for this layout over them
 * (domain/plan-layouts.ts), and the operator's recorded overrides on top. The console
 * records an override on every limit or feature edit, in the row's
 * metadata.consoleOverrides ({ limits, features }). A key of the plan whose value is
 * neither the plan's default nor the recorded override is drift: set by hand in SQL, by
 * an old app version, or left behind by a plan change made outside the console.
 *
 * One catalog-free query over public.tenants; the fix resets the plan's keys to the
 * defaults (recorded overrides kept on top) and keeps every key the plan does not know.
 */
import { quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { plansFor } from '../domain/plan-layouts'
import type { Finding } from '../../src-preload/contract'

/** The custom plan's limits are negotiated per tenant: its defaults are only a starting point. */
const NOT_COMPARED = new Set(['custom'])
/** Tenants named in one fix; the rest are fixed by running the audit and the fix again. */
const FIX_TENANTS = 1_000

type Add = (f: Omit<Finding, 'id' | 'tenantCount' | 'tenants'> & { key: string; tenants?: Finding['tenants'] }) => void

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** `<col>` as an object, or '{}' (NULL, or not an object). */
const objOr = (expr: string): string => `coalesce(CASE WHEN jsonb_typeof(${expr}) = 'object' THEN ${expr} END, '{}'::jsonb)`

export async function planDriftFindings(db: Queryable, layout: Layout, add: Add, notes: string[]): Promise<void> {
  const has = (c: string) => layout.tenantColumns.has(c)
  const planCol = has('billing_plan') ? 'billing_plan' : has('plan') ? 'plan' : null
  if (!planCol || !has('id') || !has('limits') || !has('features')) {
    notes.push('public.tenants has no plan, limits or features column: limits were not compared with the plans.')
    return
  }
  const catalog = plansFor(layout.kind)
  const plans = (layout.plans.length ? layout.plans : ['free', 'pro', 'enterprise', 'custom']).filter((p) => !NOT_COMPARED.has(p))
  const defaults: Record<string, { limits: Record<string, unknown>; features: Record<string, unknown> }> = {}
  for (const p of plans) {
    const d = catalog.defaults(p)
    if (d) defaults[p] = d
  }
  if (!Object.keys(defaults).length) return
  const ov = (part: 'limits' | 'features') => (has('metadata') ? objOr(`t.metadata -> 'consoleOverrides' -> '${part}'`) : `'{}'::jsonb`)
  const plan = `t.${quoteIdent(planCol)}`
  const differing = (part: 'limits' | 'features') =>
    `ARRAY(SELECT d.key FROM jsonb_each($1::jsonb -> ${plan}::text -> '${part}') d
            WHERE t.${part} -> d.key IS DISTINCT FROM coalesce(${ov(part)} -> d.key, d.value) ORDER BY d.key)`
  const r = await db.query<{ id: string; slug: string; schema: string | null; plan: string; limits: string[]; features: string[] }>(
    `SELECT * FROM (
       SELECT t.id::text AS id, t.slug, ${has('schema_name') ? 't.schema_name' : 'NULL::text'} AS schema, ${plan}::text AS plan,
              ${differing('limits')} AS limits, ${differing('features')} AS features
         FROM public.tenants t
        WHERE $1::jsonb ? ${plan}::text) x
      WHERE cardinality(x.limits) + cardinality(x.features) > 0
      ORDER BY x.plan, x.slug`,
    [JSON.stringify(defaults)]
  )
  const byPlan = new Map<string, typeof r.rows>()
  for (const row of r.rows) byPlan.set(row.plan, [...(byPlan.get(row.plan) ?? []), row])
  for (const [p, rows] of byPlan) {
    const d = defaults[p]!
    const counts = new Map<string, number>()
    for (const row of rows) for (const k of [...row.limits, ...row.features]) counts.set(k, (counts.get(k) ?? 0) + 1)
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    const named = rows.slice(0, FIX_TENANTS)
    const set = (part: 'limits' | 'features') =>
      `${part} = ${objOr(part)} || ${lit(JSON.stringify(d[part]))}::jsonb || ${has('metadata') ? objOr(`metadata -> 'consoleOverrides' -> '${part}'`) : `'{}'::jsonb`}`
    const fixSql =
      `UPDATE public.tenants SET ${set('limits')}, ${set('features')} WHERE ${quoteIdent(planCol)} = ${lit(p)} AND id IN (${named.map((t) => lit(t.id)).join(', ')});` +
      (rows.length > FIX_TENANTS ? `\n-- … and the same for ${rows.length - FIX_TENANTS} more tenants` : '')
    add({
      key: `plan:${p}`,
      kind: 'plan-drift',
      severity: 'medium',
      title: `${rows.length} ${p} tenant${rows.length === 1 ? ' has' : 's have'} limits or features that differ from the plan, with no recorded override`,
      detail: `Keys that differ from the ${p} plan's defaults and from the tenant's recorded overrides: ${top
        .slice(0, 12)
        .map(([k, n]) => `${k} (${n})`)
        .join(', ')}${top.length > 12 ? ', …' : ''}. A tenant gets more or less than its plan sells, and nobody recorded why.`,
      tenants: rows.map((t) => ({ id: t.id, slug: t.slug, schema: t.schema ?? '' })),
      fixSql,
      advice:
        'The fix resets the plan’s keys to its defaults, keeps each tenant’s recorded overrides on top and every key the plan does not know. If a tenant should keep its value, record it as an override instead (Edit tenant → limits), then run the audit again.'
    })
  }
}
