/**
 * Stripe's objects as the tenant's billing fields. Both replay and reconcile use these:
 * the console always acts on Stripe's current objects (re-fetched), never on an event's
 * stale payload, so duplicate and out-of-order events converge on the same state.
 */

export interface SubLike {
  id: string
  customer: string | { id: string }
  status: string
  cancel_at_period_end: boolean
  trial_end?: number | null
  current_period_start?: number | null
  current_period_end?: number | null
  metadata?: Record<string, string> | null
  items?: { data: { price: { id: string; unit_amount?: number | null; currency?: string; recurring?: { interval?: string } | null }; current_period_start?: number; current_period_end?: number }[] }
}

export interface InvoiceLike {
  id: string
  customer: string | { id: string } | null
  status: string | null
  amount_paid?: number
  amount_due?: number
  currency?: string
  created: number
  number?: string | null
  hosted_invoice_url?: string | null
  status_transitions?: { paid_at?: number | null } | null
  subscription?: string | { id: string } | null
  parent?: { subscription_details?: { subscription?: string | { id: string } | null } | null } | null
}

export type PricePlans = Map<string, { plan: string; interval: string }>

const ts = (s: number | null | undefined): string | null => (s ? new Date(s * 1000).toISOString() : null)
export const idOf = (v: string | { id: string } | null | undefined): string | null => (v ? (typeof v === 'string' ? v : v.id) : null)

export function subscriptionFacts(sub: SubLike) {
  const item = sub.items?.data?.[0]
  const price = item?.price ?? null
  const interval = price?.recurring?.interval === 'year' ? 'yearly' : price?.recurring?.interval === 'month' ? 'monthly' : null
  return {
    customerId: idOf(sub.customer),
    subscriptionId: sub.id,
    status: sub.status,
    priceId: price?.id ?? null,
    amountCents: price?.unit_amount ?? null,
    currency: price?.currency ?? null,
    interval,
    // Newer API versions keep the period on the item; older ones on the subscription.
    periodStart: ts(item?.current_period_start ?? sub.current_period_start),
    periodEnd: ts(item?.current_period_end ?? sub.current_period_end),
    cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    trialEnd: ts(sub.trial_end)
  }
}

export function invoiceSubscription(inv: InvoiceLike): string | null {
  return idOf(inv.parent?.subscription_details?.subscription ?? null) ?? idOf(inv.subscription ?? null)
}

/**
 * The tenant columns (and metadata keys) a subscription implies. The plan only when its
 * price is configured and the layout allows that plan.
 */
export function changesFromSubscription(sub: SubLike, prices: PricePlans, allowedPlans: string[]): { changes: Record<string, unknown>; notes: string[] } {
  const f = subscriptionFacts(sub)
  const notes: string[] = []
  const changes: Record<string, unknown> = {
    stripe_customer_id: f.customerId,
    stripe_subscription_id: f.subscriptionId,
    stripe_price_id: f.priceId,
    current_period_start: f.periodStart,
    current_period_end: f.periodEnd,
    cancel_at_period_end: f.cancelAtPeriodEnd,
    trial_ends_at: f.trialEnd,
    metadata: { stripeSubscriptionStatus: f.status, stripeCustomerId: f.customerId, stripeSubscriptionId: f.subscriptionId }
  }
  if (f.interval) changes.billing_interval = f.interval
  const plan = f.priceId ? prices.get(f.priceId) : undefined
  if (plan && (!allowedPlans.length || allowedPlans.includes(plan.plan))) changes.billing_plan = plan.plan
  else if (f.priceId) notes.push(`Price ${f.priceId} is not in the console's price list: the plan was left as it is.`)
  return { changes, notes }
}

/** Last payment fields from the newest invoice. */
export function changesFromInvoice(inv: InvoiceLike): Record<string, unknown> {
  const paid = inv.status === 'paid'
  const status = paid ? 'succeeded' : inv.status === 'open' || inv.status === 'uncollectible' ? 'failed' : 'pending'
  return {
    last_payment_date: ts(inv.status_transitions?.paid_at ?? null) ?? ts(inv.created),
    last_payment_amount: paid ? (inv.amount_paid ?? 0) : (inv.amount_due ?? 0),
    last_payment_status: status,
    metadata: { lastPaymentStatus: status }
  }
}

export function mergeChanges(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const meta = { ...((a.metadata as object) ?? {}), ...((b.metadata as object) ?? {}) }
  return { ...a, ...b, metadata: meta }
}
