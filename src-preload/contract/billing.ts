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
  notes: string[]
}

export const CancelSubscriptionInput = z.strictObject({ id: Uuid, when: z.enum(['period_end', 'now']).default('period_end') })
export interface CancelSubscriptionResult {
  state: 'done' | 'pending' | 'none'
  subscriptionId: string | null
  message: string
}
