import { randomUUID } from 'node:crypto'
import type Stripe from 'stripe'
import {
  REQUIRED_EVENTS,
  type BillingJobProgress,
  type BulkReplayResult,
  type EventPayload,
  type FailuresPage,
  type FixResult,
  type KeyStatus,
  type KeyTestReport,
  type ParsedInputOf,
  type PermissionCheck,
  type PriceMappings,
  type SavePriceResult,
  type StripePrices,
  type ReconcileReport,
  type ReplayOutcome,
  type StripeCheckInfo,
  type TenantBilling,
  type WebhookHealth
} from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, ConnectionTarget } from '../db/connection'
import type { Layout } from '../db/layout'
import type { Platform } from '../platform'
import type { SessionService } from '../session'
import { checkStripe, failuresPage, type StripeSnapshot } from './failures'
import { keyFacts, StripeGateway, type GatewayOptions, type StripeApiOverride } from './gateway'
import { reconcileAll, fixDrift } from './reconcile'
import { listMappings, removePrice, savePrice, stripePrices } from './prices'
import { replayEvent } from './replay'
import { resolveEvent, tenantBilling as readTenantBilling, pricePlans } from './repository'
import { idOf, invoiceSubscription, subscriptionFacts, type InvoiceLike, type SubLike } from './state'
import { cancellationAttempt, cancelSubscription, markerWhen, type CancelMarker, type CancelRequest, type CancelResult } from './cancel'

export interface BillingOptions {
  /** Tests and benchmarks: the fake Stripe. Never set from the renderer. */
  stripeApi?: StripeApiOverride | null
  gateway?: Omit<GatewayOptions, 'api'>
  /** Tests: a crash between Stripe's answer and the database write of a cancellation. */
  afterStripeCancel?: () => void | Promise<void>
}

/** The calls the console makes, probed by "test key" (a write probed on an id that cannot exist). */
const PROBES: { call: string; endpoint: string; run: (s: Stripe) => Promise<unknown>; write?: boolean }[] = [
  { call: 'Read webhook events (failures, replay)', endpoint: 'GET /v1/events', run: (s) => s.events.list({ limit: 1 }) },
  { call: 'Read webhook endpoints (webhook health)', endpoint: 'GET /v1/webhook_endpoints', run: (s) => s.webhookEndpoints.list({ limit: 1 }) },
  { call: 'Read subscriptions (replay, reconcile, billing tab)', endpoint: 'GET /v1/subscriptions', run: (s) => s.subscriptions.list({ limit: 1, status: 'all' }) },
  { call: 'Read invoices (replay, billing tab)', endpoint: 'GET /v1/invoices', run: (s) => s.invoices.list({ limit: 1 }) },
  { call: 'Read customers (billing tab)', endpoint: 'GET /v1/customers', run: (s) => s.customers.list({ limit: 1 }) },
  { call: 'Read prices and products (price list)', endpoint: 'GET /v1/prices', run: (s) => s.prices.list({ limit: 1, expand: ['data.product'] }) },
  {
    call: 'Cancel subscriptions (cancel with the tenant)',
    endpoint: 'POST /v1/subscriptions/:id',
    write: true,
    run: (s) => s.subscriptions.update('sub_console_permission_probe', { cancel_at_period_end: true }, { idempotencyKey: `nchat-console:permission-probe:${randomUUID()}` })
  },
  {
    call: 'Cancel subscriptions at once (cancel with the tenant)',
    endpoint: 'DELETE /v1/subscriptions/:id',
    write: true,
    run: (s) => s.subscriptions.cancel('sub_console_permission_probe', {}, { idempotencyKey: `nchat-console:permission-probe:${randomUUID()}` })
  }
]

export class BillingService {
  private gw: { gen: number; key: string; gateway: StripeGateway } | null = null
  /** Live secret keys the operator accepted after the warning (fingerprints), this session. */
  private readonly acceptedLive = new Set<string>()
  private snapshot: { gen: number; snap: StripeSnapshot } | null = null
  private readonly jobs = new Map<string, AbortController>()

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly platform: Pick<Platform, 'emit' | 'openExternal'>,
    private readonly opts: BillingOptions = {}
  ) {}

  private target(): ConnectionTarget {
    const t = this.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  private async layout(): Promise<Layout> {
    const l = await this.session.layout()
    if (!l.tenantColumns.size) throw new AppError('UNSUPPORTED', 'This database has no public.tenants table.')
    return l
  }

  keyStatus(): KeyStatus {
    const key = this.db.target?.stripeKey ?? null
    if (!key) {
      return { configured: false, kind: null, mode: null, needsLiveWarning: false, liveWarningAccepted: false, advice: 'No Stripe key in this profile. Add a restricted key (rk_…) to the profile to check Stripe’s side.' }
    }
    const f = keyFacts(key)
    const accepted = this.acceptedLive.has(f.fingerprint)
    const advice =
      f.kind === 'publishable' || f.kind === 'unknown'
        ? 'This is not a secret or restricted key. Use a restricted key (rk_…).'
        : f.needsLiveWarning && !accepted
          ? 'This is a live secret key: it can do anything on the Stripe account. A restricted key (rk_live_…) with only the permissions below is recommended. Confirm the warning to use it anyway.'
          : f.kind === 'secret'
            ? 'A restricted key (rk_…) with only the permissions the console needs is recommended.'
            : null
    return { configured: true, kind: f.kind, mode: f.mode, needsLiveWarning: f.needsLiveWarning, liveWarningAccepted: accepted, advice }
  }

  /** The gateway for the current profile's key, or null without a key. */
  private gateway(): StripeGateway | null {
    const t = this.db.target
    const key = t?.stripeKey ?? null
    if (!key) return null
    if (this.gw && this.gw.gen === this.db.gen && this.gw.key === key) return this.gw.gateway
    const f = keyFacts(key)
    if (f.needsLiveWarning && !this.acceptedLive.has(f.fingerprint)) {
      throw new AppError('NOT_CONFIGURED', 'The profile holds a live secret key (sk_live_…). Confirm the warning under Billing → Test key, or use a restricted key (rk_…).')
    }
    const gateway = new StripeGateway(key, { ...this.opts.gateway, api: this.opts.stripeApi ?? null })
    this.gw = { gen: this.db.gen, key, gateway }
    return gateway
  }

  private requireGateway(): StripeGateway {
    const g = this.gateway()
    if (!g) throw new AppError('NOT_CONFIGURED', 'This needs the profile’s Stripe key. Add a restricted key (rk_…) to the connection profile.')
    return g
  }

  async testKey(input: ParsedInputOf<'billing:testKey'>): Promise<KeyTestReport> {
    const key = this.target().stripeKey ?? null
    if (key && input.acceptLiveSecretKey) {
      const f = keyFacts(key)
      if (f.needsLiveWarning) this.acceptedLive.add(f.fingerprint)
    }
    const status = this.keyStatus()
    const problems: string[] = []
    if (!key) return { status, account: null, livemode: null, permissions: [], problems: [status.advice!] }
    if (status.needsLiveWarning && !status.liveWarningAccepted) {
      return { status, account: null, livemode: null, permissions: [], problems: [status.advice!] }
    }
    const gw = this.requireGateway()
    let account: KeyTestReport['account'] = null
    let livemode: boolean | null = null
    try {
      const a = (await gw.read('read the account', (s) => s.accounts.retrieveCurrent())) as unknown as {
        id: string
        email?: string | null
        business_profile?: { name?: string | null } | null
        settings?: { dashboard?: { display_name?: string | null } } | null
      }
      account = { id: a.id, name: a.settings?.dashboard?.display_name ?? a.business_profile?.name ?? null, email: a.email ?? null }
    } catch (e) {
      const err = toAppError(e)
      if (err.code !== 'FORBIDDEN') {
        problems.push(err.message)
        return { status, account: null, livemode: null, permissions: [], problems }
      }
      problems.push('The key may not read the account’s name (optional).')
    }
    const permissions: PermissionCheck[] = []
    for (const p of PROBES) {
      try {
        const r = (await gw.read(p.call, (s) => p.run(s))) as { livemode?: boolean; data?: { livemode?: boolean }[] }
        livemode ??= r.data?.[0]?.livemode ?? null
        permissions.push({ call: p.call, endpoint: p.endpoint, allowed: true, detail: null })
      } catch (e) {
        const err = toAppError(e)
        if (p.write && err.code === 'NOT_FOUND') permissions.push({ call: p.call, endpoint: p.endpoint, allowed: true, detail: 'Probed on an id that does not exist: Stripe checked the permission first.' })
        else if (err.code === 'FORBIDDEN') {
          permissions.push({ call: p.call, endpoint: p.endpoint, allowed: false, detail: 'The key lacks this permission.' })
          problems.push(`The key may not: ${p.call.toLowerCase()}.`)
        } else {
          permissions.push({ call: p.call, endpoint: p.endpoint, allowed: null, detail: err.message })
          problems.push(err.message)
        }
      }
    }
    if (livemode === null && status.mode !== 'unknown') livemode = status.mode === 'live'
    return { status, account, livemode, permissions, problems }
  }

  async webhookHealth(): Promise<WebhookHealth> {
    const gw = this.requireGateway()
    const r = await gw.listAll<{ id: string; url: string; status: string; enabled_events: string[] }>('list webhook endpoints', (s, p) =>
      s.webhookEndpoints.list(p as Stripe.WebhookEndpointListParams) as never
    )
    const required = [...REQUIRED_EVENTS]
    const endpoints = r.items.map((w) => {
      const all = w.enabled_events.includes('*')
      const missing = all ? [] : required.filter((e) => !w.enabled_events.includes(e))
      let isApp = false
      try {
        isApp = new URL(w.url).pathname.replace(/\/+$/, '') === '/api/billing/webhook'
      } catch {
        isApp = false
      }
      return { id: w.id, url: w.url, enabled: w.status === 'enabled', isApp, subscribesAll: missing.length === 0, missing }
    })
    const problems: string[] = []
    const app = endpoints.filter((e) => e.isApp)
    if (!endpoints.length) problems.push('Stripe has no webhook endpoint for this account: the app never hears about payments. Add one for https://<your domain>/api/billing/webhook.')
    else if (!app.length) problems.push('No endpoint points at the app’s /api/billing/webhook. Check that one of the URLs below is the app’s.')
    for (const e of app.length ? app : endpoints) {
      if (!e.enabled) problems.push(`The endpoint ${e.url} is disabled: Stripe sends it nothing.`)
      if (e.missing.length) problems.push(`The endpoint ${e.url} does not receive ${e.missing.join(', ')}.`)
    }
    return { endpoints, required, problems }
  }

  /** Reads Stripe's side (30 days) and keeps it for the failures screen. */
  async checkStripe(): Promise<StripeCheckInfo> {
    const layout = await this.layout()
    const gw = this.requireGateway()
    const snap = await checkStripe(this.db, layout, gw)
    this.snapshot = { gen: this.db.gen, snap }
    return { checked: true, checkedAt: snap.checkedAt, note: null, undelivered: snap.undelivered, missing: snap.missing }
  }

  async failures(input: ParsedInputOf<'billing:failures'>): Promise<FailuresPage> {
    const layout = await this.layout()
    const snap = this.snapshot?.gen === this.db.gen ? this.snapshot.snap : null
    const note = this.db.target?.stripeKey
      ? 'Stripe’s side has not been checked yet: use “Check Stripe”.'
      : 'No Stripe key in this profile: Stripe’s side was not checked. Only the app’s table is shown.'
    return failuresPage(this.db, layout, input, snap, snap ? null : note)
  }

  async event(eventId: string): Promise<EventPayload> {
    const layout = await this.layout()
    if (layout.hasStripeWebhooks) {
      const r = await this.db.query<{ payload: unknown }>(`SELECT payload FROM public.stripe_webhooks WHERE stripe_event_id = $1`, [eventId])
      if (r.rows[0]) return { eventId, source: 'table', json: JSON.stringify(r.rows[0].payload, null, 2) }
    }
    const gw = this.gateway()
    if (!gw) throw new AppError('NOT_FOUND', 'The app’s table has no such event, and without a Stripe key it cannot be read from Stripe.')
    const e = await gw.read('read the event', (s) => s.events.retrieve(eventId))
    return { eventId, source: 'stripe', json: JSON.stringify(e, null, 2) }
  }

  async replay(eventId: string): Promise<ReplayOutcome> {
    const layout = await this.layout()
    const out = await replayEvent({ db: this.db, layout, gw: this.requireGateway(), operator: this.target().operator }, eventId)
    this.dropFromSnapshot([eventId])
    return out
  }

  private dropFromSnapshot(ids: string[]): void {
    if (!this.snapshot) return
    const s = new Set(ids)
    this.snapshot.snap.rows = this.snapshot.snap.rows.filter((r) => !s.has(r.eventId))
  }

  private progress(p: BillingJobProgress): void {
    this.platform.emit('billing:progress', p)
  }

  private startJob(id: string): AbortController {
    if (this.jobs.has(id)) throw new AppError('CONFLICT', 'That job is already running.')
    const a = new AbortController()
    this.jobs.set(id, a)
    return a
  }

  cancelJob(jobId: string): { cancelled: boolean } {
    const a = this.jobs.get(jobId)
    if (!a) return { cancelled: false }
    a.abort()
    return { cancelled: true }
  }

  async replayMany(input: ParsedInputOf<'billing:replayMany'>): Promise<BulkReplayResult> {
    const layout = await this.layout()
    const gw = this.requireGateway()
    const operator = this.target().operator
    const abort = this.startJob(input.jobId)
    const ids = [...new Set(input.eventIds)]
    const results: BulkReplayResult['results'] = []
    let failed = 0
    try {
      for (const id of ids) {
        if (abort.signal.aborted) break
        try {
          const r = await replayEvent({ db: this.db, layout, gw, operator }, id)
          results.push({ eventId: id, ok: true, message: r.message })
        } catch (e) {
          failed++
          results.push({ eventId: id, ok: false, message: toAppError(e).message })
        }
        this.progress({ jobId: input.jobId, kind: 'replay', total: ids.length, done: results.length, failed, state: 'running' })
      }
      const cancelled = abort.signal.aborted
      this.progress({ jobId: input.jobId, kind: 'replay', total: ids.length, done: results.length, failed, state: cancelled ? 'cancelled' : 'done' })
      this.dropFromSnapshot(results.filter((r) => r.ok).map((r) => r.eventId))
      return { jobId: input.jobId, results, cancelled }
    } finally {
      this.jobs.delete(input.jobId)
    }
  }

  async resolve(input: ParsedInputOf<'billing:resolve'>): Promise<{ resolved: boolean }> {
    const t = this.target()
    // Only an event the app's table or Stripe knows can be marked resolved (NOT_FOUND otherwise).
    await this.event(input.eventId)
    await resolveEvent(this.db, { eventId: input.eventId, note: input.note, by: t.operator.email || t.operator.name, operator: t.operator })
    this.dropFromSnapshot([input.eventId])
    return { resolved: true }
  }

  async tenant(id: string): Promise<TenantBilling> {
    const layout = await this.layout()
    const row = await readTenantBilling(this.db, layout, id)
    if (!row) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
    const notes: string[] = []
    if (row.idsFrom === 'metadata') notes.push('The Stripe ids come from the tenant’s metadata (the typed columns are empty).')
    if (row.idsFrom === 'none') notes.push('This tenant has no Stripe customer or subscription.')
    const recorded = {
      plan: row.plan,
      interval: row.interval,
      priceId: row.priceId,
      subscriptionStatus: row.subscriptionStatus,
      periodEnd: row.periodEnd,
      cancelAtPeriodEnd: row.cancelAtPeriodEnd,
      lastPaymentDate: row.lastPaymentDate,
      lastPaymentAmount: row.lastPaymentAmount,
      lastPaymentStatus: row.lastPaymentStatus
    }
    const marker = row.metadata.consoleCancellation as CancelMarker | undefined
    const pendingCancellation = marker?.stripe === 'pending'
    const pendingSub = pendingCancellation ? (marker?.subscriptionId ?? row.subscriptionId) : null
    const attempt = pendingSub ? await cancellationAttempt(this.db, id, pendingSub, marker!) : null
    const base = {
      tenantId: id,
      idsFrom: row.idsFrom,
      customerId: row.customerId,
      subscriptionId: row.subscriptionId,
      recorded,
      pendingCancellation,
      pendingCancellationWhen: pendingCancellation ? (attempt ? (attempt.kind === 'subscription.cancel' ? 'now' : 'period_end') : markerWhen(marker)) : null,
      pendingCancellationSent: Boolean(attempt)
    } as const
    const gw = this.gateway()
    if (!gw) return { ...base, stripe: null, notes: [...notes, 'No Stripe key in this profile: Stripe was not asked.'] }
    if (!row.customerId && !row.subscriptionId) return { ...base, stripe: null, notes }
    const prices = await pricePlans(this.db)
    let sub: SubLike | null = null
    if (row.subscriptionId) {
      sub = (await gw.read('read the subscription', (s) => s.subscriptions.retrieve(row.subscriptionId!))) as unknown as SubLike
    }
    const customerId = row.customerId ?? (sub ? idOf(sub.customer) : null)
    let email: string | null = null
    let invoices: InvoiceLike[] = []
    if (customerId) {
      const c = (await gw.read('read the customer', (s) => s.customers.retrieve(customerId))) as unknown as { email?: string | null; deleted?: boolean }
      email = c.email ?? null
      const l = await gw.read('list invoices', (s) => s.invoices.list({ customer: customerId, limit: 10 }))
      invoices = l.data as unknown as InvoiceLike[]
    }
    const f = sub ? subscriptionFacts(sub) : null
    return {
      ...base,
      customerId,
      stripe: {
        customerEmail: email,
        subscriptionStatus: f?.status ?? null,
        priceId: f?.priceId ?? null,
        plan: f?.priceId ? (prices.get(f.priceId)?.plan ?? null) : null,
        amountCents: f?.amountCents ?? null,
        currency: f?.currency ?? null,
        interval: f?.interval ?? null,
        periodStart: f?.periodStart ?? null,
        periodEnd: f?.periodEnd ?? null,
        cancelAtPeriodEnd: f?.cancelAtPeriodEnd ?? null,
        trialEnd: f?.trialEnd ?? null,
        invoices: invoices.map((i) => ({
          id: i.id,
          number: i.number ?? null,
          status: i.status,
          amountCents: i.status === 'paid' ? (i.amount_paid ?? 0) : (i.amount_due ?? 0),
          currency: i.currency ?? 'usd',
          createdAt: new Date(i.created * 1000).toISOString(),
          hasHostedUrl: Boolean(i.hosted_invoice_url),
          subscriptionId: invoiceSubscription(i)
        })).map(({ subscriptionId: _s, ...rest }) => rest)
      },
      notes: f?.priceId && !prices.has(f.priceId) ? [...notes, `Price ${f.priceId} is not in the console's price list, so its plan is unknown.`] : notes
    }
  }

  /** Opens a tenant's hosted invoice in the OS browser; the URL comes from Stripe, never from the renderer. */
  async openInvoice(input: ParsedInputOf<'billing:openInvoice'>): Promise<{ opened: boolean }> {
    const layout = await this.layout()
    const row = await readTenantBilling(this.db, layout, input.id)
    if (!row) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
    const gw = this.requireGateway()
    const inv = (await gw.read('read the invoice', (s) => s.invoices.retrieve(input.invoiceId))) as unknown as InvoiceLike
    if (idOf(inv.customer) !== row.customerId) throw new AppError('FORBIDDEN', 'That invoice does not belong to this tenant’s customer.')
    const url = inv.hosted_invoice_url
    if (!url || new URL(url).protocol !== 'https:') throw new AppError('NOT_FOUND', 'Stripe has no hosted page for this invoice.')
    if (!this.platform.openExternal) throw new AppError('UNSUPPORTED', 'Opening the browser is not available here.')
    this.platform.openExternal(url)
    return { opened: true }
  }

  async reconcile(input: ParsedInputOf<'billing:reconcile'>): Promise<ReconcileReport> {
    const layout = await this.layout()
    const gw = this.requireGateway()
    const abort = this.startJob(input.jobId)
    try {
      return await reconcileAll({ db: this.db, layout, gw }, input.jobId, abort.signal, (p) => this.progress(p))
    } finally {
      this.jobs.delete(input.jobId)
    }
  }

  async fixDrift(input: ParsedInputOf<'billing:fixDrift'>): Promise<FixResult> {
    const layout = await this.layout()
    const gw = this.requireGateway()
    const abort = this.startJob(input.jobId)
    try {
      return await fixDrift({ db: this.db, layout, gw }, this.target().operator, input, abort.signal, (p) => this.progress(p))
    } finally {
      this.jobs.delete(input.jobId)
    }
  }

  // ---------------------------------------------------------------- price → plan mapping

  private async priceDeps() {
    return { db: this.db, layout: await this.layout(), gw: this.gateway(), operator: this.target().operator }
  }

  async prices(): Promise<PriceMappings> {
    return listMappings(await this.priceDeps())
  }

  async stripePrices(): Promise<StripePrices> {
    await this.layout()
    return stripePrices(this.db, this.requireGateway())
  }

  async savePrice(input: ParsedInputOf<'billing:savePrice'>): Promise<SavePriceResult> {
    return savePrice(await this.priceDeps(), input)
  }

  async removePrice(priceId: string): Promise<{ removed: boolean; message: string }> {
    return removePrice(await this.priceDeps(), priceId)
  }

  /**
   * Cancel with the tenant (called after the lifecycle's cancel committed): cancels the
   * subscription once, consuming the lifecycle's pending marker. Without a key the marker
   * stays pending and the caller is told.
   */
  async cancelWithTenant(req: CancelRequest): Promise<CancelResult> {
    const layout = await this.layout()
    return cancelSubscription({ db: this.db, layout, gw: this.gateway(), operator: this.target().operator, afterStripe: this.opts.afterStripeCancel }, req)
  }
}
