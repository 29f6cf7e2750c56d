import { z } from 'zod'
import { Uuid } from './common'

/**
 * Billing: the Stripe key's health, webhook endpoints, webhook failures (the app's table
 * merged with what Stripe reports), replay, reconcile and a tenant's billing. The Stripe
 * key itself never crosses the bridge.
 */

/** The six events the deployment guide tells operators to subscribe the app's endpoint to. */
export const REQUIRED_EVENTS = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.trial_will_end'
] as const
export type RequiredEvent = (typeof REQUIRED_EVENTS)[number]

export const EventId = z.string().regex(/^evt_[A-Za-z0-9_]{1,250}$/, 'a Stripe event id (evt_…)')
const JobId = Uuid

export const TestKeyInput = z.strictObject({ acceptLiveSecretKey: z.boolean().default(false) })

/** Where a failure was seen. */
export const FAILURE_SOURCES = ['table', 'undelivered', 'missing'] as const
export type FailureSource = (typeof FAILURE_SOURCES)[number]

export const FailuresInput = z.strictObject({
  source: z.enum(FAILURE_SOURCES).optional(),
  eventType: z.string().max(100).optional(),
  tenantId: Uuid.optional(),
  /** Only events younger than this many days. */
  maxAgeDays: z.number().int().min(1).max(3650).optional(),
  includeResolved: z.boolean().default(false),
  offset: z.number().int().min(0).max(10_000).default(0),
  limit: z.number().int().min(1).max(500).default(100)
})
export const EventIdInput = z.strictObject({ eventId: EventId })
export const ResolveInput = z.strictObject({ eventId: EventId, note: z.string().trim().min(1).max(2000) })
export const ReplayManyInput = z.strictObject({ jobId: JobId, eventIds: z.array(EventId).min(1).max(1000) })
export const BillingJobInput = z.strictObject({ jobId: JobId })
export const TenantBillingInput = z.strictObject({ id: Uuid })
export const OpenInvoiceInput = z.strictObject({ id: Uuid, invoiceId: z.string().regex(/^in_[A-Za-z0-9_]{1,250}$/) })
export const DRIFT_FIELDS = ['subscriptionStatus', 'plan', 'interval', 'priceId', 'periodEnd', 'cancelAtPeriodEnd', 'subscriptionId'] as const
export type DriftField = (typeof DRIFT_FIELDS)[number]
export const FixDriftInput = z.strictObject({ jobId: JobId, tenantIds: z.array(Uuid).min(1).max(10_000) })

export interface KeyStatus {
  configured: boolean
  kind: 'restricted' | 'secret' | 'publishable' | 'unknown' | null
  mode: 'live' | 'test' | 'unknown' | null
  /** A live secret key: used only after the operator confirmed the warning. */
  needsLiveWarning: boolean
  liveWarningAccepted: boolean
  /** What to do, in words, when something is off. */
  advice: string | null
}

export interface PermissionCheck {
  /** What the console uses it for. */
  call: string
  endpoint: string
  allowed: boolean | null
  detail: string | null
}

export interface KeyTestReport {
  status: KeyStatus
  account: { id: string; name: string | null; email: string | null } | null
  livemode: boolean | null
  permissions: PermissionCheck[]
  /** A sentence for each problem found. */
  problems: string[]
}

export interface EndpointHealth {
  id: string
  url: string
  enabled: boolean
  /** Looks like the app's endpoint (/api/billing/webhook). */
  isApp: boolean
  subscribesAll: boolean
  missing: string[]
}

export interface WebhookHealth {
  endpoints: EndpointHealth[]
  required: string[]
  /** Plain sentences: what is missing, disabled or absent. */
  problems: string[]
}

export interface ReplayInfo {
  attempts: number
  lastAttemptAt: string | null
  lastError: string | null
  lastOutcome: string | null
  resolvedBy: string | null
  resolvedAt: string | null
  note: string | null
}

export interface TenantRef {
  id: string
  slug: string
  name: string
  /** How the event was tied to the tenant. */
  via: 'tenant_id' | 'column' | 'metadata'
}

export interface FailureRow {
  eventId: string
  eventType: string
  createdAt: string
  sources: FailureSource[]
  /** The app's row: missing, not processed, or processed with an error. */
  tableState: 'absent' | 'unprocessed' | 'error'
  error: string | null
  customerId: string | null
  tenant: TenantRef | null
  replay: ReplayInfo | null
}

export interface StripeCheckInfo {
  checked: boolean
  checkedAt: string | null
  /** Why Stripe's side was not checked, or what was left out. */
  note: string | null
  undelivered: number
  missing: number
}

export interface FailuresPage {
  rows: FailureRow[]
  total: number
  offset: number
  byType: { key: string; count: number }[]
  /** Failures per UTC day ('YYYY-MM-DD'), oldest first, days without failures included. */
  perDay: { day: string; count: number }[]
  stripe: StripeCheckInfo
  notes: string[]
}

export interface EventPayload {
  eventId: string
  source: 'table' | 'stripe'
  json: string
}

export interface ReplayOutcome {
  eventId: string
  eventType: string
  tenant: TenantRef | null
  applied: boolean
  /** The fields written, from Stripe's current objects. */
  changes: Record<string, unknown>
  message: string
}

export interface BillingJobProgress {
  jobId: string
  kind: 'replay' | 'reconcile' | 'fix'
  total: number
  done: number
  failed: number
  state: 'running' | 'done' | 'cancelled' | 'failed'
}

export interface BulkReplayResult {
  jobId: string
  results: { eventId: string; ok: boolean; message: string }[]
  cancelled: boolean
}

export interface DriftItem {
  field: DriftField
  console: string | null
  stripe: string | null
}

export interface DriftRow {
  tenantId: string
  slug: string
  name: string
  customerId: string | null
  subscriptionId: string | null
  idsFrom: 'columns' | 'metadata' | 'none'
  items: DriftItem[]
}

export interface ReconcileReport {
  jobId: string
  checkedTenants: number
  subscriptions: number
  drift: DriftRow[]
  /** Tenants with Stripe ids that Stripe does not know, and prices not configured. */
  notes: string[]
  cancelled: boolean
  requests: number
  durationMs: number
}

export interface FixResult {
  jobId: string
  fixed: number
  unchanged: number
  failed: { tenantId: string; message: string }[]
  cancelled: boolean
}

export interface InvoiceSummary {
  id: string
  number: string | null
  status: string | null
  amountCents: number
  currency: string
  createdAt: string
  hasHostedUrl: boolean
}

export interface TenantBilling {
  tenantId: string
  idsFrom: 'columns' | 'metadata' | 'none'
  customerId: string | null
  subscriptionId: string | null
  /** What the console's database says. */
  recorded: {
    plan: string | null
    interval: string | null
    priceId: string | null
    subscriptionStatus: string | null
    periodEnd: string | null
    cancelAtPeriodEnd: boolean | null
    lastPaymentDate: string | null
    lastPaymentAmount: number | null
    lastPaymentStatus: string | null
  }
  /** What Stripe says now; null when Stripe was not asked. */
  stripe: {
    customerEmail: string | null
    subscriptionStatus: string | null
    priceId: string | null
    plan: string | null
    amountCents: number | null
    currency: string | null
    interval: string | null
    periodStart: string | null
    periodEnd: string | null
    cancelAtPeriodEnd: boolean | null
    trialEnd: string | null
    invoices: InvoiceSummary[]
  } | null
  /** The tenant was cancelled in the console; its subscription's cancellation is still pending. */
  pendingCancellation: boolean
  /** The choice made when the tenant was cancelled (period end when not recorded). */
  pendingCancellationWhen: 'period_end' | 'now' | null
  /** An attempt of the pending cancellation reached Stripe: its choice can no longer change. */
  pendingCancellationSent: boolean
  notes: string[]
}

/**
 * Retry a pending cancellation. Without `when`, the choice made when the tenant was
 * cancelled (the pending marker's) is sent. A different choice is accepted only while no
 * attempt of this cancellation has reached Stripe.
 */
export const CancelSubscriptionInput = z.strictObject({ id: Uuid, when: z.enum(['period_end', 'now']).optional() })
export interface CancelSubscriptionResult {
  state: 'done' | 'pending' | 'none'
  subscriptionId: string | null
  message: string
}

// ------------------------------------------------------------ price → plan mapping

/** A Stripe price id, as console.billing_prices' CHECK allows it. */
export const PriceId = z.string().regex(/^price_[A-Za-z0-9_]{1,200}$/, 'a Stripe price id (price_…)')
export const BILLING_INTERVALS = ['monthly', 'yearly'] as const
export type BillingInterval = (typeof BILLING_INTERVALS)[number]

/**
 * Add ('add': the price must not be mapped yet) or change ('edit': plan and interval of a
 * mapped price). The plan must be one of the database's plans; with a Stripe key the price
 * is read from Stripe (it must exist and be billed at that interval).
 */
export const SavePriceInput = z.strictObject({
  mode: z.enum(['add', 'edit']),
  priceId: PriceId,
  plan: z.string().trim().min(1).max(20),
  interval: z.enum(BILLING_INTERVALS)
})
export const RemovePriceInput = z.strictObject({ priceId: PriceId })

export interface PriceMapping {
  priceId: string
  plan: string
  interval: BillingInterval
  /** Read from Stripe when it was saved; false: typed without a Stripe key, not checked. */
  checked: boolean
  productName: string | null
  amountCents: number | null
  currency: string | null
  addedAt: string
  addedBy: string
  updatedAt: string | null
  updatedBy: string | null
  /** Tenants whose stripe_price_id is this price. */
  tenants: number
}

export interface PriceMappings {
  mappings: PriceMapping[]
  /** The plans the database allows (its CHECK constraint), in its order. */
  plans: string[]
  /** The profile has a usable Stripe key: prices can be picked from Stripe and are checked. */
  stripe: boolean
  notes: string[]
}

/** One of Stripe's prices, to pick from. */
export interface StripePriceOption {
  priceId: string
  productId: string | null
  productName: string | null
  nickname: string | null
  amountCents: number | null
  currency: string
  /** The console's interval for it; null: not a monthly or yearly recurring price. */
  interval: BillingInterval | null
  /** Stripe's own words for the billing period (e.g. "every 3 months", "one time"). */
  recurring: string
  active: boolean
  /** The plan it is mapped to already, if it is. */
  mappedTo: string | null
}

export interface StripePrices {
  prices: StripePriceOption[]
  /** Pages read from Stripe (100 prices a page). */
  pages: number
  /** More prices than the console lists (the first 1,000 are shown). */
  truncated: boolean
}

export interface SavePriceResult {
  mapping: PriceMapping
  message: string
}
