import type { FailureRow, ParsedInputOf, ReplayInfo, TenantRef } from '../../src-preload/contract'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'

/** Parameterized SQL of billing. Columns are read per layout: never assume 030. */

export interface TenantBillingRow {
  id: string
  slug: string
  name: string
  status: string
  customerId: string | null
  subscriptionId: string | null
  idsFrom: 'columns' | 'metadata' | 'none'
  plan: string | null
  interval: string | null
  priceId: string | null
  subscriptionStatus: string | null
  periodStart: string | null
  periodEnd: string | null
  cancelAtPeriodEnd: boolean | null
  trialEndsAt: string | null
  lastPaymentDate: string | null
  lastPaymentAmount: number | null
  lastPaymentStatus: string | null
  metadata: Record<string, unknown>
}

const col = (layout: Layout, c: string, alias = 't') => (layout.tenantColumns.has(c) ? `${alias}.${c}` : 'NULL')
const meta = (layout: Layout, key: string, alias = 't') => (layout.tenantColumns.has('metadata') ? `(${alias}.metadata ->> '${key}')` : 'NULL')

/** The customer id of a tenant: the typed column first, then the metadata key real deployments use. */
export function customerExpr(layout: Layout, alias = 't'): string {
  return `COALESCE(${col(layout, 'stripe_customer_id', alias)}::text, ${meta(layout, 'stripeCustomerId', alias)})`
}

export function tenantBillingSelect(layout: Layout): string {
  const c = (x: string) => col(layout, x)
  return `SELECT t.id::text AS id, t.slug::text AS slug, t.name::text AS name, t.status::text AS status,
       ${c('stripe_customer_id')}::text AS col_customer, ${meta(layout, 'stripeCustomerId')} AS meta_customer,
       ${c('stripe_subscription_id')}::text AS col_subscription, ${meta(layout, 'stripeSubscriptionId')} AS meta_subscription,
       ${c('billing_plan')}::text AS plan, ${c('billing_interval')}::text AS interval, ${c('stripe_price_id')}::text AS price_id,
       ${meta(layout, 'stripeSubscriptionStatus')} AS sub_status,
       ${c('current_period_start')} AS period_start, ${c('current_period_end')} AS period_end,
       ${c('cancel_at_period_end')} AS cancel_at_period_end, ${c('trial_ends_at')} AS trial_ends_at,
       ${c('last_payment_date')} AS last_payment_date, ${c('last_payment_amount')} AS last_payment_amount,
       ${c('last_payment_status')}::text AS last_payment_status,
       ${layout.tenantColumns.has('metadata') ? "COALESCE(t.metadata, '{}'::jsonb)" : "'{}'::jsonb"} AS metadata
  FROM public.tenants t`
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString())

export function toTenantBilling(r: Record<string, unknown>): TenantBillingRow {
  const colCus = (r.col_customer as string | null) ?? null
  const colSub = (r.col_subscription as string | null) ?? null
  const metaCus = (r.meta_customer as string | null) ?? null
  const metaSub = (r.meta_subscription as string | null) ?? null
  const idsFrom = colCus || colSub ? 'columns' : metaCus || metaSub ? 'metadata' : 'none'
  return {
    id: String(r.id),
    slug: String(r.slug),
    name: String(r.name),
    status: String(r.status),
    customerId: colCus ?? metaCus,
    subscriptionId: colSub ?? metaSub,
    idsFrom,
    plan: (r.plan as string | null) ?? null,
    interval: (r.interval as string | null) ?? null,
    priceId: (r.price_id as string | null) ?? null,
    subscriptionStatus: (r.sub_status as string | null) ?? null,
    periodStart: iso(r.period_start),
    periodEnd: iso(r.period_end),
    cancelAtPeriodEnd: r.cancel_at_period_end === null || r.cancel_at_period_end === undefined ? null : Boolean(r.cancel_at_period_end),
    trialEndsAt: iso(r.trial_ends_at),
    lastPaymentDate: iso(r.last_payment_date),
    lastPaymentAmount: r.last_payment_amount === null || r.last_payment_amount === undefined ? null : Number(r.last_payment_amount),
    lastPaymentStatus: (r.last_payment_status as string | null) ?? null,
    metadata: (r.metadata as Record<string, unknown>) ?? {}
  }
}

export async function tenantBilling(db: Queryable, layout: Layout, id: string): Promise<TenantBillingRow | null> {
  const r = await db.query(`${tenantBillingSelect(layout)} WHERE t.id = $1`, [id])
  return r.rows[0] ? toTenantBilling(r.rows[0]) : null
}

export async function allTenantBilling(db: Queryable, layout: Layout): Promise<TenantBillingRow[]> {
  const r = await db.query(`${tenantBillingSelect(layout)} ORDER BY t.slug`)
  return r.rows.map(toTenantBilling)
}

/** The tenants owning these customer ids (typed column or metadata), by customer id. */
export async function tenantsByCustomer(db: Queryable, layout: Layout, customers: string[]): Promise<Map<string, TenantRef>> {
  const out = new Map<string, TenantRef>()
  if (!customers.length) return out
  const parts: string[] = []
  if (layout.tenantColumns.has('stripe_customer_id')) {
    parts.push(`SELECT t.stripe_customer_id::text AS customer, t.id::text AS id, t.slug::text AS slug, t.name::text AS name, 'column' AS via, 0 AS rank
                  FROM public.tenants t WHERE t.stripe_customer_id = ANY($1::text[])`)
  }
  if (layout.tenantColumns.has('metadata')) {
    parts.push(`SELECT t.metadata ->> 'stripeCustomerId', t.id::text, t.slug::text, t.name::text, 'metadata', 1
                  FROM public.tenants t WHERE t.metadata ->> 'stripeCustomerId' = ANY($1::text[])`)
  }
  if (!parts.length) return out
  const r = await db.query<{ customer: string; id: string; slug: string; name: string; via: 'column' | 'metadata' }>(
    `SELECT DISTINCT ON (customer) * FROM (${parts.join(' UNION ALL ')}) x ORDER BY customer, rank`,
    [customers]
  )
  for (const x of r.rows) out.set(x.customer, { id: x.id, slug: x.slug, name: x.name, via: x.via })
  return out
}

export async function tenantRef(db: Queryable, id: string): Promise<TenantRef | null> {
  const r = await db.query<{ id: string; slug: string; name: string }>(`SELECT id::text, slug::text, name::text FROM public.tenants WHERE id = $1`, [id])
  return r.rows[0] ? { ...r.rows[0], via: 'tenant_id' } : null
}

export async function replayInfo(db: Queryable, ids: string[]): Promise<Map<string, ReplayInfo>> {
  const out = new Map<string, ReplayInfo>()
  if (!ids.length) return out
  const r = await db.query<Record<string, unknown>>(
    `SELECT stripe_event_id, attempts, last_attempt_at, last_error, last_outcome, resolved_by, resolved_at, note
       FROM console.webhook_replays WHERE stripe_event_id = ANY($1::text[])`,
    [ids]
  )
  for (const x of r.rows) {
    out.set(String(x.stripe_event_id), {
      attempts: Number(x.attempts ?? 0),
      lastAttemptAt: iso(x.last_attempt_at),
      lastError: (x.last_error as string | null) ?? null,
      lastOutcome: (x.last_outcome as string | null) ?? null,
      resolvedBy: (x.resolved_by as string | null) ?? null,
      resolvedAt: iso(x.resolved_at),
      note: (x.note as string | null) ?? null
    })
  }
  return out
}

/** Event ids of these the app's table has. */
export async function knownEventIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set()
  const r = await db.query<{ id: string }>(`SELECT stripe_event_id::text AS id FROM public.stripe_webhooks WHERE stripe_event_id = ANY($1::text[])`, [ids])
  return new Set(r.rows.map((x) => x.id))
}

export async function resolvedEventIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set()
  const r = await db.query<{ id: string }>(
    `SELECT stripe_event_id AS id FROM console.webhook_replays WHERE resolved_at IS NOT NULL AND stripe_event_id = ANY($1::text[])`,
    [ids]
  )
  return new Set(r.rows.map((x) => x.id))
}

export interface TableFailures {
  total: number
  byType: { key: string; count: number }[]
  perDay: { day: string; count: number }[]
  rows: FailureRow[]
}

/**
 * The table's failures (not processed, or an error), filtered, in one statement: the
 * filtered set is read once and counted by type and by day alongside the page.
 */
export async function tableFailures(
  db: Queryable,
  layout: Layout,
  f: ParsedInputOf<'billing:failures'>,
  page: { offset: number; limit: number },
  chartSince: Date
): Promise<TableFailures> {
  const params: unknown[] = []
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const where = [`(w.processed IS NOT TRUE OR w.error IS NOT NULL)`]
  if (!f.includeResolved) {
    where.push(`NOT EXISTS (SELECT 1 FROM console.webhook_replays r WHERE r.stripe_event_id = w.stripe_event_id AND r.resolved_at IS NOT NULL)`)
  }
  if (f.eventType) where.push(`w.event_type = ${p(f.eventType)}`)
  if (f.maxAgeDays) where.push(`w.created_at >= now() - make_interval(days => ${p(f.maxAgeDays)}::int)`)
  let tenantFilter = ''
  if (f.tenantId) {
    const tid = p(f.tenantId)
    // The tenant's customer ids, from the typed column and the metadata key.
    tenantFilter = `AND (w.tenant_id = ${tid}::uuid OR (w.tenant_id IS NULL AND w.payload -> 'data' -> 'object' ->> 'customer' IN (
        SELECT ${customerExpr(layout)} FROM public.tenants t WHERE t.id = ${tid}::uuid)))`
  }
  const since = p(chartSince.toISOString())
  const lim = p(page.limit)
  const off = p(page.offset)
  // The filtered set is read once, without the payload (large, toasted); the customer id is
  // read from the payload only for the page's rows.
  const sql = `
    WITH f AS MATERIALIZED (
      SELECT w.stripe_event_id::text AS id, w.event_type::text AS type, w.created_at
        FROM public.stripe_webhooks w
       WHERE ${where.join(' AND ')} ${tenantFilter}
    ), pg AS (
      SELECT * FROM f ORDER BY created_at DESC, id DESC LIMIT ${lim} OFFSET ${off}
    )
    SELECT (SELECT count(*) FROM f) AS total,
           (SELECT coalesce(json_agg(json_build_object('key', type, 'count', n) ORDER BY n DESC, type), '[]') FROM
              (SELECT type, count(*) AS n FROM f GROUP BY type) x) AS by_type,
           (SELECT coalesce(json_agg(json_build_object('day', d, 'count', n) ORDER BY d), '[]') FROM
              (SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS d, count(*) AS n
                 FROM f WHERE created_at >= ${since}::timestamptz GROUP BY 1) y) AS per_day,
           (SELECT coalesce(json_agg(json_build_object('id', pg.id, 'type', pg.type, 'created', pg.created_at, 'processed', w.processed,
                                                       'error', w.error, 'tenant', w.tenant_id, 'customer', w.payload -> 'data' -> 'object' ->> 'customer')
                                     ORDER BY pg.created_at DESC, pg.id DESC), '[]')
              FROM pg JOIN public.stripe_webhooks w ON w.stripe_event_id = pg.id) AS rows`
  const r = await db.query<{ total: number; by_type: { key: string; count: number }[]; per_day: { day: string; count: number }[]; rows: Record<string, unknown>[] }>(sql, params)
  const x = r.rows[0]!
  const rows: FailureRow[] = x.rows.map((w) => ({
    eventId: String(w.id),
    eventType: String(w.type),
    createdAt: new Date(String(w.created)).toISOString(),
    sources: ['table'],
    tableState: w.error ? 'error' : 'unprocessed',
    error: (w.error as string | null) ?? null,
    customerId: (w.customer as string | null) ?? null,
    tenant: w.tenant ? { id: String(w.tenant), slug: '', name: '', via: 'tenant_id' } : null,
    replay: null
  }))
  return { total: Number(x.total), byType: x.by_type, perDay: x.per_day, rows }
}

/** Names the tenants of these rows (by tenant_id, else by customer id) and adds replay tracking. */
export async function decorate(db: Queryable, layout: Layout, rows: FailureRow[]): Promise<void> {
  const ids = [...new Set(rows.filter((r) => r.tenant).map((r) => r.tenant!.id))]
  if (ids.length) {
    const t = await db.query<{ id: string; slug: string; name: string }>(`SELECT id::text, slug::text, name::text FROM public.tenants WHERE id = ANY($1::uuid[])`, [ids])
    const byId = new Map(t.rows.map((x) => [x.id, x]))
    for (const r of rows) {
      if (!r.tenant) continue
      const hit = byId.get(r.tenant.id)
      r.tenant = hit ? { ...hit, via: 'tenant_id' } : null
    }
  }
  const customers = [...new Set(rows.filter((r) => !r.tenant && r.customerId).map((r) => r.customerId!))]
  const byCustomer = await tenantsByCustomer(db, layout, customers)
  for (const r of rows) if (!r.tenant && r.customerId) r.tenant = byCustomer.get(r.customerId) ?? null
  const info = await replayInfo(db, rows.map((r) => r.eventId))
  for (const r of rows) r.replay = info.get(r.eventId) ?? null
}

export async function recordReplayFailure(
  db: Queryable,
  e: { eventId: string; eventType: string | null; tenantId: string | null; error: string; operator: { name: string; email: string } }
): Promise<void> {
  await db.query(
    `INSERT INTO console.webhook_replays AS r (stripe_event_id, attempts, first_attempt_at, last_attempt_at, last_error, last_outcome, event_type, tenant_id)
     VALUES ($1, 1, now(), now(), $2, 'failed', $3, $4)
     ON CONFLICT (stripe_event_id) DO UPDATE SET attempts = r.attempts + 1, last_attempt_at = now(), last_error = $2, last_outcome = 'failed',
       event_type = coalesce(EXCLUDED.event_type, r.event_type), tenant_id = coalesce(EXCLUDED.tenant_id, r.tenant_id)`,
    [e.eventId, e.error, e.eventType, e.tenantId]
  )
  await db.query(
    `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, params, outcome, error)
     VALUES ($1, $2, 'billing.replay', $3, $4, 'failed', $5)`,
    [e.operator.name, e.operator.email, e.tenantId, JSON.stringify({ eventId: e.eventId, eventType: e.eventType }), e.error]
  )
}

export async function resolveEvent(
  db: Queryable,
  e: { eventId: string; note: string; by: string; operator: { name: string; email: string } }
): Promise<void> {
  await db.query(
    `INSERT INTO console.webhook_replays AS r (stripe_event_id, resolved_by, resolved_at, note, last_outcome)
     VALUES ($1, $2, now(), $3, 'resolved')
     ON CONFLICT (stripe_event_id) DO UPDATE SET resolved_by = $2, resolved_at = now(), note = $3, last_outcome = 'resolved'`,
    [e.eventId, e.by, e.note]
  )
  await db.query(
    `INSERT INTO console.operator_log (operator_name, operator_email, action, params, outcome) VALUES ($1, $2, 'billing.resolve', $3, 'ok')`,
    [e.operator.name, e.operator.email, JSON.stringify({ eventId: e.eventId, note: e.note })]
  )
}

export async function pricePlans(db: Queryable): Promise<Map<string, { plan: string; interval: string }>> {
  const r = await db.query<{ price_id: string; plan: string; billing_interval: string }>(
    `SELECT price_id, plan, billing_interval FROM console.billing_prices`
  )
  return new Map(r.rows.map((x) => [x.price_id, { plan: x.plan, interval: x.billing_interval }]))
}
