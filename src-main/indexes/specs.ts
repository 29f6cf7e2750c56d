/**
 * The registry of indexes the console may create on the app's tables, per area. Each is
 * named nchat_console_* (recognisably the console's), built from this database's layout,
 * and serves one named query of one screen. Nothing here runs by itself: an admin creates
 * or drops each one (service.ts).
 */
import type { IndexArea } from '../../src-preload/contract'
import { quoteIdent } from '../core/ident'
import type { Layout } from '../db/layout'
import { planColumn, searchHaystack, tenantSortColumns, USAGE_SORTS, type IndexableSort } from '../domain/directory-sql'

export interface IndexSpec {
  area: IndexArea
  name: string
  /** The app table, unqualified, in schema public. */
  table: string
  /** What follows ON public.<table>: [USING method] (keys) [INCLUDE ...] [WHERE ...]. */
  body: string
  purpose: string
  /** A query this index serves, whose plan an admin may see before and after. */
  probe?: { sql: string; params: unknown[] }
  /** Set when this database cannot have it (e.g. pg_trgm is missing): why. */
  unavailable?: string
}

export interface SpecFacts {
  layout: Layout
  /** Columns of the app audit table, when there is one. */
  auditColumns: Set<string> | null
  /** NOT NULL columns of public.tenants. */
  tenantNotNull: Set<string>
  /** gin_trgm_ops is installed (the app's migration creates pg_trgm). */
  hasTrigram: boolean
}

export const definition = (s: IndexSpec) => `CREATE INDEX CONCURRENTLY ${quoteIdent(s.name)} ON public.${quoteIdent(s.table)} ${s.body}`

function auditSpecs(f: SpecFacts): IndexSpec[] {
  const table = f.layout.auditTable
  if (!table || !f.auditColumns) return []
  const short = table === 'tenant_audit_logs' ? 'audit_logs' : 'audit_log'
  const out: IndexSpec[] = [
    {
      area: 'audit',
      name: `nchat_console_${short}_created_id`,
      table,
      body: '(created_at DESC, id DESC)',
      purpose: 'The audit timeline newest first and every deep page (keyset on created_at, id).',
      probe: { sql: `SELECT id FROM public.${table} ORDER BY created_at DESC, id DESC LIMIT 51`, params: [] }
    }
  ]
  if (f.auditColumns.has('tenant_id')) {
    out.push({
      area: 'audit',
      name: `nchat_console_${short}_tenant_created`,
      table,
      body: '(tenant_id, created_at DESC, id DESC)',
      purpose: "A tenant's audit history, newest first.",
      probe: {
        sql: `SELECT id FROM public.${table} WHERE tenant_id = (SELECT tenant_id FROM public.${table} ORDER BY created_at DESC LIMIT 1) ORDER BY created_at DESC, id DESC LIMIT 51`,
        params: []
      }
    })
  }
  out.push({
    area: 'audit',
    name: `nchat_console_${short}_action_created`,
    table,
    body: '(action, created_at DESC, id DESC)',
    purpose: 'The audit timeline filtered by action (and date range), newest first.',
    probe: {
      sql: `SELECT id FROM public.${table} WHERE action = (SELECT action FROM public.${table} ORDER BY created_at DESC LIMIT 1) AND created_at >= now() - interval '30 days' ORDER BY created_at DESC, id DESC LIMIT 51`,
      params: []
    }
  })
  return out
}

const SORT_LABEL: Record<IndexableSort, string> = {
  name: 'name',
  slug: 'slug',
  status: 'status',
  plan: 'plan',
  ownerEmail: 'owner email',
  customDomain: 'custom domain',
  createdAt: 'created',
  trialEndsAt: 'trial end'
}

/** What the directory needs at 100,000 tenants (see bench/results/directory.md). */
export function directorySpecs(f: SpecFacts): IndexSpec[] {
  const layout = f.layout
  if (!layout.tenantColumns.has('id')) return []
  const out: IndexSpec[] = [
    {
      area: 'directory',
      name: 'nchat_console_tenants_search',
      table: 'tenants',
      body: `USING gin ((${searchHaystack(layout, '')}) gin_trgm_ops)`,
      purpose: 'Directory search: substring of name, slug, owner email or custom domain (trigram), instead of reading every tenant.',
      probe: {
        sql: `SELECT id FROM public.tenants t WHERE ${searchHaystack(layout, 't')} LIKE '%harbor%' LIMIT 51`,
        params: []
      },
      unavailable: f.hasTrigram ? undefined : 'The pg_trgm extension is not installed in this database (the app migration creates it); search stays a full scan.'
    }
  ]
  const plan = planColumn(layout)
  out.push({
    area: 'directory',
    name: 'nchat_console_tenants_status_plan',
    table: 'tenants',
    body: plan ? `(status, ${plan})` : '(status)',
    purpose: 'Directory status and plan filters (the deployment guide recommends it).',
    probe: { sql: `SELECT id FROM public.tenants WHERE status = 'suspended' LIMIT 51`, params: [] }
  })
  for (const [key, s] of Object.entries(tenantSortColumns(layout)) as [IndexableSort, NonNullable<ReturnType<typeof tenantSortColumns>[IndexableSort]>][]) {
    out.push({
      area: 'directory',
      name: `nchat_console_tenants_${s.short}_id`,
      table: 'tenants',
      body: `(${s.expr('')}, id)`,
      purpose: `Directory sorted by ${SORT_LABEL[key]}: first page and keyset pages without reading every tenant.`,
      probe: { sql: `SELECT id FROM public.tenants t ORDER BY ${s.expr('t')}, t.id LIMIT 51`, params: [] }
    })
    if (!f.tenantNotNull.has(s.column)) {
      out.push({
        area: 'directory',
        name: `nchat_console_tenants_${s.short}_null`,
        table: 'tenants',
        body: `(id) WHERE ${s.column} IS NULL`,
        purpose: `Directory sorted by ${SORT_LABEL[key]}: the tenants without one, which come last.`,
        probe: { sql: `SELECT id FROM public.tenants WHERE ${s.column} IS NULL ORDER BY id LIMIT 51`, params: [] }
      })
    }
  }
  if (layout.hasUsage) {
    for (const [key, column] of Object.entries(USAGE_SORTS)) {
      if (!layout.usageColumns.has(column)) continue
      out.push({
        area: 'directory',
        name: `nchat_console_usage_${column === 'users_total' ? 'users' : 'storage'}`,
        table: 'tenant_usage',
        body: `(period, ${column}, tenant_id)`,
        purpose: `Directory sorted by ${key === 'usersTotal' ? 'users' : 'storage'} this month: the busiest tenants without probing every tenant's usage.`,
        probe: {
          sql: `SELECT tenant_id FROM public.tenant_usage WHERE period = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM') AND ${column} IS NOT NULL ORDER BY ${column} DESC, tenant_id DESC LIMIT 51`,
          params: []
        }
      })
    }
  }
  return out
}

function billingSpecs(f: SpecFacts): IndexSpec[] {
  if (!f.layout.hasStripeWebhooks) return []
  return [
    {
      area: 'billing',
      name: 'nchat_console_stripe_webhooks_failed',
      table: 'stripe_webhooks',
      body: '(created_at DESC, stripe_event_id DESC) INCLUDE (event_type) WHERE (processed IS NOT TRUE OR error IS NOT NULL)',
      purpose: 'Webhook failures page: only the unprocessed or failed events, newest first, instead of every webhook ever received.',
      probe: {
        sql: `SELECT stripe_event_id FROM public.stripe_webhooks w WHERE (w.processed IS NOT TRUE OR w.error IS NOT NULL) ORDER BY created_at DESC, stripe_event_id DESC LIMIT 51`,
        params: []
      }
    }
  ]
}

export function allSpecs(f: SpecFacts): IndexSpec[] {
  return [...auditSpecs(f), ...directorySpecs(f), ...billingSpecs(f)]
}
