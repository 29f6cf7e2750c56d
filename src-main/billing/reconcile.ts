import type Stripe from 'stripe'
import type { BillingJobProgress, DriftItem, DriftRow, FixResult, ParsedInputOf, ReconcileReport } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, Operator, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import type { StripeGateway } from './gateway'
import { allTenantBilling, pricePlans, tenantBilling, type TenantBillingRow } from './repository'
import { changesFromSubscription, subscriptionFacts, type PricePlans, type SubLike } from './state'

/**
 * Reconcile: every tenant's billing fields against Stripe's subscriptions, read with the
 * list endpoint (100 a page, backoff on 429), never one request per tenant.
 */

export interface ReconcileDeps {
  db: ConnectionManager
  layout: Layout
  gw: StripeGateway
}

type Progress = (p: BillingJobProgress) => void

type Dated = SubLike & { created: number }
const live = (x: SubLike) => x.status !== 'canceled' && x.status !== 'incomplete_expired'
/** The customer's current subscription: a live one before a cancelled one, then the newest. */
const better = (a: Dated, b: Dated) => (live(a) && !live(b)) || (live(a) === live(b) && a.created > b.created)
function pickCurrent(list: Dated[]): Dated | null {
  let best: Dated | null = null
  for (const s of list) if (!best || better(s, best)) best = s
  return best
}

async function allSubscriptions(gw: StripeGateway, signal: AbortSignal, onPage: (n: number) => void) {
  const r = await gw.listAll<SubLike & { created: number }>(
    'list subscriptions',
    (s, p) => s.subscriptions.list({ ...(p as Stripe.SubscriptionListParams), status: 'all' }) as never,
    {},
    { signal, onPage }
  )
  const byId = new Map<string, SubLike>()
  const byCustomer = new Map<string, SubLike & { created: number }>()
  for (const s of r.items) {
    byId.set(s.id, s)
    const c = typeof s.customer === 'string' ? s.customer : s.customer.id
    const prev = byCustomer.get(c)
    if (!prev || better(s, prev)) byCustomer.set(c, s)
  }
  return { byId, byCustomer, count: r.items.length }
}

const sameTime = (a: string | null, b: string | null) => (a && b ? Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000) : a === b)

export function driftOf(t: TenantBillingRow, sub: SubLike, prices: PricePlans, layout: Layout): DriftItem[] {
  const f = subscriptionFacts(sub)
  const items: DriftItem[] = []
  const add = (field: DriftItem['field'], console: string | null, stripe: string | null) => items.push({ field, console, stripe })
  if (t.subscriptionId !== f.subscriptionId) add('subscriptionId', t.subscriptionId, f.subscriptionId)
  // The 030 layout has no status column for the subscription: compared where one is recorded (metadata).
  if (t.subscriptionStatus !== null && t.subscriptionStatus !== f.status) add('subscriptionStatus', t.subscriptionStatus, f.status)
  const plan = f.priceId ? prices.get(f.priceId)?.plan : undefined
  if (plan && layout.tenantColumns.has('billing_plan') && t.plan !== plan) add('plan', t.plan, plan)
  if (f.interval && layout.tenantColumns.has('billing_interval') && t.interval !== f.interval) add('interval', t.interval, f.interval)
  if (layout.tenantColumns.has('stripe_price_id') && t.priceId !== f.priceId) add('priceId', t.priceId, f.priceId)
  if (layout.tenantColumns.has('current_period_end') && !sameTime(t.periodEnd, f.periodEnd)) add('periodEnd', t.periodEnd, f.periodEnd)
  if (layout.tenantColumns.has('cancel_at_period_end') && (t.cancelAtPeriodEnd ?? false) !== f.cancelAtPeriodEnd) {
    add('cancelAtPeriodEnd', String(t.cancelAtPeriodEnd ?? false), String(f.cancelAtPeriodEnd))
  }
  return items
}

function subscriptionFor(t: TenantBillingRow, subs: { byId: Map<string, SubLike>; byCustomer: Map<string, SubLike> }): SubLike | null {
  return (t.subscriptionId ? subs.byId.get(t.subscriptionId) : undefined) ?? (t.customerId ? subs.byCustomer.get(t.customerId) : undefined) ?? null
}

export async function reconcileAll(deps: ReconcileDeps, jobId: string, signal: AbortSignal, progress: Progress): Promise<ReconcileReport> {
  const started = Date.now()
  const { db, layout, gw } = deps
  const tenants = (await allTenantBilling(db, layout)).filter((t) => t.customerId || t.subscriptionId)
  const prices = await pricePlans(db)
  let requests = 0
  const emit = (state: BillingJobProgress['state'], done: number) => progress({ jobId, kind: 'reconcile', total: tenants.length, done, failed: 0, state })
  emit('running', 0)
  let subs
  try {
    subs = await allSubscriptions(gw, signal, (n) => {
      requests++
      // Pages arrive newest first; progress counts subscriptions read (the tenant total is the scale).
      emit('running', Math.min(n, tenants.length))
    })
  } catch (e) {
    if (toAppError(e).code === 'CANCELLED') {
      emit('cancelled', 0)
      return { jobId, checkedTenants: 0, subscriptions: 0, drift: [], notes: ['Cancelled before Stripe’s subscriptions were read.'], cancelled: true, requests, durationMs: Date.now() - started }
    }
    emit('failed', 0)
    throw e
  }
  const drift: DriftRow[] = []
  const notes: string[] = []
  const unknownPrices = new Set<string>()
  const unknown: string[] = []
  for (const t of tenants) {
    const sub = subscriptionFor(t, subs)
    if (!sub) {
      unknown.push(t.slug)
      continue
    }
    const pid = subscriptionFacts(sub).priceId
    if (pid && !prices.has(pid)) unknownPrices.add(pid)
    const items = driftOf(t, sub, prices, layout)
    if (items.length) {
      drift.push({ tenantId: t.id, slug: t.slug, name: t.name, customerId: t.customerId, subscriptionId: t.subscriptionId, idsFrom: t.idsFrom, items })
    }
  }
  if (unknown.length) {
    notes.push(`${unknown.length} tenant(s) have Stripe ids that Stripe does not know (deleted, another account or another mode): ${unknown.slice(0, 8).join(', ')}${unknown.length > 8 ? ', …' : ''}.`)
  }
  if (unknownPrices.size) notes.unshift(`${unknownPrices.size} price id(s) are not in the console’s price list, so plans were not compared for them: ${[...unknownPrices].slice(0, 5).join(', ')}${unknownPrices.size > 5 ? ', …' : ''}.`)
  emit('done', tenants.length)
  return { jobId, checkedTenants: tenants.length, subscriptions: subs.count, drift, notes, cancelled: false, requests, durationMs: Date.now() - started }
}

const CAST: Record<string, string> = {
  current_period_start: 'timestamptz',
  current_period_end: 'timestamptz',
  trial_ends_at: 'timestamptz',
  last_payment_date: 'timestamptz',
  cancel_at_period_end: 'boolean',
  last_payment_amount: 'integer'
}

/** One tenant's billing columns from Stripe's subscription; admins only (support has no UPDATE on them). */
async function applyFix(c: Queryable, layout: Layout, id: string, changes: Record<string, unknown>): Promise<void> {
  const sets: string[] = []
  const params: unknown[] = [id]
  for (const [k, v] of Object.entries(changes)) {
    if (k === 'metadata' || !layout.tenantColumns.has(k)) continue
    params.push(v)
    sets.push(`${k} = $${params.length}::${CAST[k] ?? 'text'}`)
  }
  if (layout.tenantColumns.has('metadata') && changes.metadata) {
    params.push(JSON.stringify(changes.metadata))
    sets.push(`metadata = coalesce(metadata, '{}'::jsonb) || $${params.length}::jsonb`)
  }
  if (!sets.length) return
  await c.query(`UPDATE public.tenants SET ${sets.join(', ')} WHERE id = $1`, params)
}

export async function fixDrift(
  deps: ReconcileDeps,
  operator: Operator,
  input: ParsedInputOf<'billing:fixDrift'>,
  signal: AbortSignal,
  progress: Progress
): Promise<FixResult> {
  const { db, layout, gw } = deps
  const ids = [...new Set(input.tenantIds)]
  const prices = await pricePlans(db)
  // A few tenants: one read each; many: the list endpoint, as reconcile does.
  const subs = ids.length > 20 ? await allSubscriptions(gw, signal, () => {}) : null
  const result: FixResult = { jobId: input.jobId, fixed: 0, unchanged: 0, failed: [], cancelled: false }
  let done = 0
  for (const id of ids) {
    if (signal.aborted) {
      result.cancelled = true
      break
    }
    try {
      const t = await tenantBilling(db, layout, id)
      if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
      let sub: SubLike | null = subs ? subscriptionFor(t, subs) : null
      if (!subs) {
        if (t.subscriptionId) sub = (await gw.read('read the subscription', (s) => s.subscriptions.retrieve(t.subscriptionId!))) as unknown as SubLike
        else if (t.customerId) {
          const l = await gw.read('list subscriptions', (s) => s.subscriptions.list({ customer: t.customerId!, status: 'all', limit: 10 }))
          sub = pickCurrent(l.data as unknown as (SubLike & { created: number })[])
        }
      }
      if (!sub) throw new AppError('NOT_FOUND', `Stripe knows no subscription for ${t.slug}.`)
      const items = driftOf(t, sub, prices, layout)
      if (!items.length) {
        result.unchanged++
      } else {
        const { changes } = changesFromSubscription(sub, prices, layout.plans)
        await db.tx(async (c) => {
          await applyFix(c, layout, id, changes)
          await c.query(
            `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, tenant_slug, params, outcome)
             VALUES ($1, $2, 'billing.reconcile_fix', $3, $4, $5, 'ok')`,
            [operator.name, operator.email, id, t.slug, JSON.stringify({ drift: items, subscriptionId: sub!.id })]
          )
        })
        result.fixed++
      }
    } catch (e) {
      const err = toAppError(e)
      const message = err.code === 'FORBIDDEN' ? 'Fixing billing fields needs the admin role.' : err.message
      result.failed.push({ tenantId: id, message })
    }
    done++
    progress({ jobId: input.jobId, kind: 'fix', total: ids.length, done, failed: result.failed.length, state: 'running' })
  }
  progress({ jobId: input.jobId, kind: 'fix', total: ids.length, done, failed: result.failed.length, state: result.cancelled ? 'cancelled' : 'done' })
  return result
}
