import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import Stripe from 'stripe'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type {
  BillingJobProgress,
  BulkReplayResult,
  FailuresPage,
  FixResult,
  KeyTestReport,
  ReconcileReport,
  ReplayOutcome,
  TenantBilling,
  WebhookHealth
} from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { setLogSink } from '../../src-main/core/logger'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { FakeStripe } from '../support/fake-stripe'
import { dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * Billing through the real registry and the real stripe library, pointed at a local fake
 * Stripe (test/support/fake-stripe.ts) that answers with Stripe's shapes and errors.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const meta = { senderUrl: 'file:///test/index.html' }
const KEY = 'rk_test_51FakeFullKeyForConsoleTests0001'
const LIMITED = 'rk_test_51FakeLimitedKeyForConsoleTests02'
const LIVE = 'sk_live_51FakeLiveSecretKeyForConsole0003'
const BAD = 'rk_test_51ThisKeyIsNotKnownToStripe00004'
const DAY = 86_400
const nowS = () => Math.floor(Date.now() / 1000)
const SIX = ['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', 'invoice.payment_failed', 'customer.subscription.trial_will_end']

const T = {
  alpha: '11111111-1111-4111-8111-111111111111',
  bravo: '22222222-2222-4222-8222-222222222222',
  charlie: '33333333-3333-4333-8333-333333333333',
  delta: '44444444-4444-4444-8444-444444444444',
  echo: '55555555-5555-4555-8555-555555555555',
  foxtrot: '66666666-6666-4666-8666-666666666666'
}

describe('billing with the real stripe library against a fake Stripe', () => {
  let db: Db
  let fake: FakeStripe
  let ctx: AppContext
  let registry: Registry
  let logLines: string[] = []
  const progress: BillingJobProgress[] = []
  let crashOnce = false
  const call = async <T>(channel: string, input: unknown, r: Registry = registry): Promise<T> => {
    const res = await r.invoke(channel, input, meta)
    if (!res.ok) throw new Error(`${channel} failed: ${res.error.code} ${res.error.message}\n${logLines.slice(-3).join('\n')}`)
    return res.data as T
  }
  const fail = async (channel: string, input: unknown, r: Registry = registry) => {
    const res = await r.invoke(channel, input, meta)
    if (res.ok) throw new Error(`${channel} unexpectedly succeeded`)
    return res.error
  }
  const open = async (url: string, key: string | null) => {
    const platform = { emit: (event: string, p: unknown) => event === 'billing:progress' && progress.push(p as BillingJobProgress) }
    const c = createContext({
      platform: platform as never,
      migrationsDir: join(ROOT, 'migrations'),
      billing: {
        stripeApi: fake.api,
        gateway: { timeoutMs: 700, maxNetworkRetries: 1, rateLimitBaseMs: 5 },
        afterStripeCancel: () => {
          if (crashOnce) {
            crashOnce = false
            throw new Error('simulated crash between Stripe and the database')
          }
        }
      }
    })
    await c.db.setTarget(targetFromUrl(url, { stripeKey: key, operator: { name: 'Test Operator', email: 'ops@example.com' } }))
    return { ctx: c, registry: createRegistry(c, handlers, () => true) }
  }
  const setKey = async (key: string | null) => {
    await ctx.db.setTarget(targetFromUrl(db.url, { stripeKey: key, operator: { name: 'Test Operator', email: 'ops@example.com' } }))
  }
  let subA: string, subB: string, subD: string, cusA: string

  beforeAll(async () => {
    setLogSink((l) => logLines.push(l))
    db = await freshDatabase('billing')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    fake = await new FakeStripe().start()
    fake.addKey(KEY)
    fake.addKey(LIMITED, ['account_read', 'event_read', 'subscription_read', 'invoice_read', 'customer_read'])
    fake.addKey(LIVE)
    fake.addPrice('price_pro_monthly', 'month', 1500)
    fake.addPrice('price_pro_yearly', 'year', 15000)
    fake.addPrice('price_ent_monthly', 'month', 9900)
    await db.client.query(
      `INSERT INTO console.billing_prices (price_id, plan, billing_interval) VALUES ('price_pro_monthly', 'pro', 'monthly'), ('price_pro_yearly', 'pro', 'yearly'), ('price_ent_monthly', 'enterprise', 'monthly')`
    )
    cusA = fake.addCustomer('cus_alpha').id
    fake.addCustomer('cus_bravo')
    fake.addCustomer('cus_delta')
    fake.addCustomer('cus_echo')
    subA = fake.addSubscription({ id: 'sub_alpha', customer: 'cus_alpha', price: 'price_pro_monthly' }).id
    subB = fake.addSubscription({ id: 'sub_bravo', customer: 'cus_bravo', price: 'price_pro_yearly', status: 'past_due' }).id
    subD = fake.addSubscription({ id: 'sub_delta', customer: 'cus_delta', price: 'price_pro_monthly' }).id
    fake.addSubscription({ id: 'sub_echo', customer: 'cus_echo', price: 'price_ent_monthly' })
    fake.addCustomer('cus_fox')
    fake.addSubscription({ id: 'sub_fox', customer: 'cus_fox', price: 'price_pro_monthly' })
    fake.addInvoice({ customer: 'cus_alpha', subscription: subA, status: 'paid', amount: 1500, created: nowS() - 40 * DAY })
    fake.addInvoice({ customer: 'cus_alpha', subscription: subA, status: 'paid', amount: 1500, created: nowS() - 10 * DAY })

    const t = async (id: string, slug: string, extra: Record<string, unknown>) => {
      const all: Record<string, unknown> = { id, name: `Tenant ${slug}`, slug, status: 'active', billing_plan: 'pro', owner_email: `${slug}@example.com`, owner_name: 'Owner', schema_name: `tenant_${slug}`, ...extra }
      const cols = Object.keys(all)
      const vals = Object.values(all)
      await db.client.query(`INSERT INTO public.tenants (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, vals)
    }
    const sA = fake.subscriptions.get(subA)!
    const endA = new Date(((sA.items as { data: { current_period_end: number }[] }).data[0]!.current_period_end) * 1000).toISOString()
    await t(T.alpha, 'alpha', { stripe_customer_id: 'cus_alpha', stripe_subscription_id: subA, stripe_price_id: 'price_pro_monthly', current_period_end: endA, metadata: JSON.stringify({ stripeSubscriptionStatus: 'active' }) })
    // bravo: ids only in metadata (real deployments), typed columns empty.
    await t(T.bravo, 'bravo', { billing_interval: 'monthly', metadata: JSON.stringify({ stripeCustomerId: 'cus_bravo', stripeSubscriptionId: subB, stripeSubscriptionStatus: 'active' }) })
    await t(T.charlie, 'charlie', { billing_plan: 'free' })
    await t(T.delta, 'delta', { stripe_customer_id: 'cus_delta', stripe_subscription_id: subD })
    await t(T.echo, 'echo', { stripe_customer_id: 'cus_echo', stripe_subscription_id: 'sub_echo', billing_plan: 'pro' })
    await t(T.foxtrot, 'foxtrot', { metadata: JSON.stringify({ stripeCustomerId: 'cus_fox', stripeSubscriptionId: 'sub_fox', stripeSubscriptionStatus: 'active' }) })

    // The app's table: processed rows, an unprocessed one, one with an error, one for a metadata tenant.
    const hook = async (id: string, type: string, object: Record<string, unknown>, state: { processed: boolean; error?: string; tenant?: string | null; daysAgo: number }) => {
      const created = nowS() - state.daysAgo * DAY
      const payload = { id, object: 'event', type, created, data: { object } }
      await db.client.query(
        `INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, tenant_id, payload, processed, error, created_at, processed_at)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), CASE WHEN $5 THEN to_timestamp($7) END)`,
        [id, type, state.tenant ?? null, JSON.stringify(payload), state.processed, state.error ?? null, created]
      )
      fake.addEvent(type, object, { id, created, delivered: true })
    }
    await hook('evt_ok_1', 'invoice.paid', { id: 'in_x', customer: 'cus_alpha' }, { processed: true, tenant: T.alpha, daysAgo: 9 })
    await hook('evt_tbl_unprocessed', 'customer.subscription.updated', { ...sA, cancel_at_period_end: false }, { processed: false, tenant: T.alpha, daysAgo: 3 })
    await hook('evt_tbl_error', 'invoice.payment_failed', { id: [...fake.invoices.keys()][1], object: 'invoice', customer: 'cus_alpha' }, { processed: true, error: 'duplicate key value violates unique constraint', tenant: null, daysAgo: 2 })
    await hook('evt_tbl_bravo', 'customer.subscription.updated', { id: subB, object: 'subscription', customer: 'cus_bravo' }, { processed: false, tenant: null, daysAgo: 1 })
    await hook('evt_tbl_other', 'customer.created', { id: 'cus_zzz', object: 'customer' }, { processed: false, tenant: null, daysAgo: 5 })
    // Stripe only: never delivered (the app has no row), and one of the six the app lacks.
    fake.addEvent('customer.subscription.updated', { id: subA, object: 'subscription', customer: 'cus_alpha' }, { id: 'evt_undelivered', created: nowS() - 4 * DAY, delivered: false })
    fake.addEvent('customer.subscription.trial_will_end', { id: 'sub_echo', object: 'subscription', customer: 'cus_echo' }, { id: 'evt_missing', created: nowS() - 6 * DAY, delivered: true })
    fake.addEvent('customer.subscription.created', { id: subA, customer: cusA }, { id: 'evt_too_old', created: nowS() - 45 * DAY, delivered: false })

    fake.addEndpoint('https://chat.example.com/api/billing/webhook', SIX.filter((e) => e !== 'invoice.payment_failed' && e !== 'customer.subscription.trial_will_end'))
    fake.addEndpoint('https://old.example.com/hooks', ['*'], 'disabled')

    const o = await open(db.url, KEY)
    ctx = o.ctx
    registry = o.registry
  })
  afterAll(async () => {
    await ctx?.db.close()
    await fake?.stop()
    await db?.close()
  })
  beforeEach(() => {
    logLines = []
    fake.clearScripts()
  })
  const noKeyAnywhere = (text: string) => {
    for (const k of [KEY, LIMITED, LIVE, BAD]) expect(text).not.toContain(k)
  }

  it('test key: account, mode, and which calls a full and a restricted key may make', async () => {
    const full = await call<KeyTestReport>('billing:testKey', {})
    expect(full.account).toEqual({ id: 'acct_1FakeConsole', name: 'nChat Example', email: 'billing@example.com' })
    expect(full.status).toMatchObject({ configured: true, kind: 'restricted', mode: 'test', needsLiveWarning: false })
    expect(full.livemode).toBe(false)
    expect(full.permissions.every((p) => p.allowed === true)).toBe(true)
    expect(full.problems).toEqual([])

    await setKey(LIMITED)
    const limited = await call<KeyTestReport>('billing:testKey', {})
    const denied = limited.permissions.filter((p) => p.allowed === false).map((p) => p.endpoint)
    expect(denied).toEqual(['GET /v1/webhook_endpoints', 'GET /v1/prices', 'POST /v1/subscriptions/:id', 'DELETE /v1/subscriptions/:id'])
    expect(limited.problems.join(' ')).toMatch(/may not: read webhook endpoints/)
    const e = await fail('billing:webhookHealth', {})
    expect(e.code).toBe('FORBIDDEN')
    expect(e.message).toMatch(/may not list webhook endpoints \(403\)/)
    noKeyAnywhere(JSON.stringify([limited, e]) + logLines.join('\n'))
    await setKey(KEY)
  })

  it('a bad key is a clear NOT_CONFIGURED; Stripe’s own message (which quotes the key) never reaches the caller or the log', async () => {
    await setKey(BAD)
    const e = await fail('billing:webhookHealth', {})
    expect(e.code).toBe('NOT_CONFIGURED')
    expect(e.message).toMatch(/Stripe refused the key/)
    const r = await call<KeyTestReport>('billing:testKey', {})
    expect(r.problems[0]).toMatch(/refused the key/)
    noKeyAnywhere(JSON.stringify([e, r]) + logLines.join('\n'))
    expect(logLines.join('\n')).not.toContain('Invalid API Key provided')
    await setKey(KEY)
  })

  it('a live secret key is refused until the operator confirms the warning', async () => {
    await setKey(LIVE)
    const before = await call<KeyTestReport>('billing:testKey', {})
    expect(before.status).toMatchObject({ kind: 'secret', mode: 'live', needsLiveWarning: true, liveWarningAccepted: false })
    expect(before.account).toBeNull()
    expect((await fail('billing:webhookHealth', {})).message).toMatch(/live secret key/)
    const after = await call<KeyTestReport>('billing:testKey', { acceptLiveSecretKey: true })
    expect(after.status.liveWarningAccepted).toBe(true)
    expect(after.account?.id).toBe('acct_1FakeConsole')
    await call<WebhookHealth>('billing:webhookHealth', {})
    await setKey(KEY)
  })

  it('429 then success is retried; 500 is retried by the library; repeated 500 and a timeout are clear errors', async () => {
    fake.script({ path: /^\/v1\/webhook_endpoints$/, status: 429, times: 2 })
    const h = await call<WebhookHealth>('billing:webhookHealth', {})
    expect(h.endpoints).toHaveLength(2)
    fake.script({ path: /^\/v1\/webhook_endpoints$/, status: 500 })
    await call<WebhookHealth>('billing:webhookHealth', {})
    fake.script({ path: /^\/v1\/webhook_endpoints$/, status: 500, times: 2 })
    const e500 = await fail('billing:webhookHealth', {})
    expect(e500).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' })
    expect(e500.message).toMatch(/server error/)
    fake.script({ path: /^\/v1\/webhook_endpoints$/, status: 429, times: 5 })
    const e429 = await fail('billing:webhookHealth', {})
    expect(e429.code).toBe('RATE_LIMITED')
    fake.script({ path: /^\/v1\/webhook_endpoints$/, hang: true, times: 2 })
    const eTimeout = await fail('billing:webhookHealth', {})
    expect(eTimeout.code).toBe('UPSTREAM_UNAVAILABLE')
    expect(eTimeout.message).toMatch(/network error or timeout/)
    noKeyAnywhere(JSON.stringify([e500, e429, eTimeout]) + logLines.join('\n'))
  })

  it('webhook health: the app’s endpoint misses two of the six events; the disabled one is said', async () => {
    const h = await call<WebhookHealth>('billing:webhookHealth', {})
    const app = h.endpoints.find((e) => e.isApp)!
    expect(app).toMatchObject({ enabled: true, subscribesAll: false, missing: ['invoice.payment_failed', 'customer.subscription.trial_will_end'] })
    expect(h.problems).toEqual(['The endpoint https://chat.example.com/api/billing/webhook does not receive invoice.payment_failed, customer.subscription.trial_will_end.'])
    const other = h.endpoints.find((e) => !e.isApp)!
    expect(other).toMatchObject({ enabled: false, subscribesAll: true })
  })

  it('failures without a key: the table’s failures, and Stripe’s side plainly not checked', async () => {
    const { ctx: c, registry: r } = await open(db.url, null)
    try {
      const p = await call<FailuresPage>('billing:failures', {}, r)
      expect(p.rows.map((x) => x.eventId)).toEqual(['evt_tbl_bravo', 'evt_tbl_error', 'evt_tbl_unprocessed', 'evt_tbl_other'])
      expect(p.stripe).toMatchObject({ checked: false })
      expect(p.stripe.note).toMatch(/No Stripe key.*not checked/)
      expect(p.rows.find((x) => x.eventId === 'evt_tbl_error')).toMatchObject({ tableState: 'error', tenant: { slug: 'alpha', via: 'column' } })
      expect(p.rows.find((x) => x.eventId === 'evt_tbl_bravo')!.tenant).toMatchObject({ slug: 'bravo', via: 'metadata' })
      expect(p.rows.find((x) => x.eventId === 'evt_tbl_unprocessed')!.tenant).toMatchObject({ slug: 'alpha', via: 'tenant_id' })
      expect((await fail('billing:checkStripe', {}, r)).code).toBe('NOT_CONFIGURED')
    } finally {
      await c.db.close()
    }
  })

  it('failures with Stripe checked: merged by event id, filters, counts by type and per day', async () => {
    const info = await call<{ checked: boolean; undelivered: number; missing: number }>('billing:checkStripe', {})
    expect(info).toMatchObject({ checked: true, undelivered: 1, missing: 1 })
    const p = await call<FailuresPage>('billing:failures', {})
    expect(p.rows.map((x) => [x.eventId, x.sources.join('+')])).toEqual([
      ['evt_tbl_bravo', 'table'],
      ['evt_tbl_error', 'table'],
      ['evt_tbl_unprocessed', 'table'],
      ['evt_undelivered', 'undelivered'],
      ['evt_tbl_other', 'table'],
      ['evt_missing', 'missing']
    ])
    expect(p.total).toBe(6)
    expect(p.rows.find((x) => x.eventId === 'evt_missing')).toMatchObject({ tableState: 'absent', tenant: { slug: 'echo' } })
    expect(p.byType).toEqual([
      { key: 'customer.subscription.updated', count: 3 },
      { key: 'customer.created', count: 1 },
      { key: 'customer.subscription.trial_will_end', count: 1 },
      { key: 'invoice.payment_failed', count: 1 }
    ])
    expect(p.perDay).toHaveLength(30)
    expect(p.perDay.reduce((a, d) => a + d.count, 0)).toBe(6)
    const bySource = await call<FailuresPage>('billing:failures', { source: 'missing' })
    expect(bySource.rows.map((x) => x.eventId)).toEqual(['evt_missing'])
    const byTenant = await call<FailuresPage>('billing:failures', { tenantId: T.alpha })
    expect(byTenant.rows.map((x) => x.eventId)).toEqual(['evt_tbl_error', 'evt_tbl_unprocessed', 'evt_undelivered'])
    const byAge = await call<FailuresPage>('billing:failures', { maxAgeDays: 2, eventType: 'customer.subscription.updated' })
    expect(byAge.rows.map((x) => x.eventId)).toEqual(['evt_tbl_bravo'])
    const page2 = await call<FailuresPage>('billing:failures', { offset: 2, limit: 2 })
    expect(page2.rows.map((x) => x.eventId)).toEqual(['evt_tbl_unprocessed', 'evt_undelivered'])
    const payload = await call<{ source: string; json: string }>('billing:event', { eventId: 'evt_missing' })
    expect(payload.source).toBe('stripe')
    expect(JSON.parse(payload.json).type).toBe('customer.subscription.trial_will_end')
  })

  it('replay applies Stripe’s current subscription, marks the row processed and records the attempt', async () => {
    // Stripe moved on since the event: cancel at period end, a new period end.
    const newEnd = nowS() + 40 * DAY
    fake.updateSubscription(subA, { cancelAtPeriodEnd: true, periodEnd: newEnd })
    const r = await call<ReplayOutcome>('billing:replay', { eventId: 'evt_tbl_unprocessed' })
    expect(r).toMatchObject({ applied: true, tenant: { slug: 'alpha' } })
    const row = await db.client.query(`SELECT cancel_at_period_end, current_period_end, billing_plan, metadata FROM public.tenants WHERE id = $1`, [T.alpha])
    expect(row.rows[0].cancel_at_period_end).toBe(true)
    expect(new Date(row.rows[0].current_period_end).getTime()).toBe(newEnd * 1000)
    expect(row.rows[0].metadata.stripeSubscriptionStatus).toBe('active')
    const w = await db.client.query(`SELECT processed, error, processed_at FROM public.stripe_webhooks WHERE stripe_event_id = 'evt_tbl_unprocessed'`)
    expect(w.rows[0].processed).toBe(true)
    expect(w.rows[0].processed_at).not.toBeNull()
    const rp = await db.client.query(`SELECT attempts, last_outcome FROM console.webhook_replays WHERE stripe_event_id = 'evt_tbl_unprocessed'`)
    expect(rp.rows[0]).toEqual({ attempts: 1, last_outcome: 'applied' })
    const log = await db.client.query(`SELECT action, outcome, operator_email FROM console.operator_log WHERE params ->> 'eventId' = 'evt_tbl_unprocessed'`)
    expect(log.rows).toEqual([{ action: 'billing.replay', outcome: 'ok', operator_email: 'ops@example.com' }])
  })

  it('duplicate and out-of-order events converge on Stripe’s current state', async () => {
    // Two updates of bravo arrive out of order: the newer stale payload says active, the older says past_due.
    fake.addEvent('customer.subscription.updated', { id: subB, customer: 'cus_bravo', status: 'active' }, { id: 'evt_b_new', created: nowS() - 100 })
    fake.addEvent('customer.subscription.updated', { id: subB, customer: 'cus_bravo', status: 'incomplete' }, { id: 'evt_b_old', created: nowS() - 5000 })
    fake.updateSubscription(subB, { status: 'canceled' })
    for (const id of ['evt_b_new', 'evt_b_old', 'evt_b_new', 'evt_tbl_bravo']) await call<ReplayOutcome>('billing:replay', { eventId: id })
    const t = await db.client.query(`SELECT metadata, billing_interval, stripe_subscription_id FROM public.tenants WHERE id = $1`, [T.bravo])
    expect(t.rows[0].metadata.stripeSubscriptionStatus).toBe('canceled')
    expect(t.rows[0].billing_interval).toBe('yearly')
    const rp = await db.client.query(`SELECT attempts FROM console.webhook_replays WHERE stripe_event_id = 'evt_b_new'`)
    expect(rp.rows[0].attempts).toBe(2)
    // Never-received events got their row, processed.
    const rows = await db.client.query(`SELECT stripe_event_id, processed, tenant_id FROM public.stripe_webhooks WHERE stripe_event_id IN ('evt_b_new', 'evt_b_old') ORDER BY 1`)
    expect(rows.rows).toEqual([
      { stripe_event_id: 'evt_b_new', processed: true, tenant_id: T.bravo },
      { stripe_event_id: 'evt_b_old', processed: true, tenant_id: T.bravo }
    ])
  })

  it('an invoice replay takes the newest invoice as the last payment; a non-billing event is refused and recorded', async () => {
    const r = await call<ReplayOutcome>('billing:replay', { eventId: 'evt_tbl_error' })
    expect(r.changes).toMatchObject({ last_payment_status: 'succeeded', last_payment_amount: 1500 })
    const t = await db.client.query(`SELECT last_payment_status, last_payment_date FROM public.tenants WHERE id = $1`, [T.alpha])
    expect(t.rows[0].last_payment_status).toBe('succeeded')
    const e = await fail('billing:replay', { eventId: 'evt_tbl_other' })
    expect(e.code).toBe('UNSUPPORTED')
    const rp = await db.client.query(`SELECT attempts, last_outcome, last_error FROM console.webhook_replays WHERE stripe_event_id = 'evt_tbl_other'`)
    expect(rp.rows[0]).toMatchObject({ attempts: 1, last_outcome: 'failed' })
    // Resolved with a note instead: gone from the list, back with includeResolved.
    await call('billing:resolve', { eventId: 'evt_tbl_other', note: 'Not a billing event; the app ignores it.' })
    const p = await call<FailuresPage>('billing:failures', {})
    expect(p.rows.map((x) => x.eventId)).not.toContain('evt_tbl_other')
    const all = await call<FailuresPage>('billing:failures', { includeResolved: true })
    expect(all.rows.find((x) => x.eventId === 'evt_tbl_other')!.replay).toMatchObject({ resolvedBy: 'ops@example.com', note: 'Not a billing event; the app ignores it.' })
  })

  it('webhook payloads signed with the library’s helper verify, and a replay of the stored event agrees', async () => {
    const secret = 'whsec_test_console_secret'
    const ev = fake.addEvent('invoice.payment_failed', { id: [...fake.invoices.keys()][0], object: 'invoice', customer: 'cus_alpha' }, { id: 'evt_signed' })
    const body = JSON.stringify({ ...ev, delivered: undefined })
    const stripe = new Stripe('sk_test_unused_for_signing')
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret })
    const verified = stripe.webhooks.constructEvent(body, header, secret)
    expect(verified.id).toBe('evt_signed')
    expect(() => stripe.webhooks.constructEvent(body, header, 'whsec_wrong')).toThrow()
    // As the app would: stored, then its handler failed.
    await db.client.query(`INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, payload, processed, error) VALUES ($1, $2, $3, false, 'handler timeout')`, [verified.id, verified.type, body])
    const r = await call<ReplayOutcome>('billing:replay', { eventId: 'evt_signed' })
    expect(r.tenant?.slug).toBe('alpha')
    expect(r.changes).toMatchObject({ last_payment_status: 'succeeded' })
  })

  it('bulk replay with progress, and cancel', async () => {
    progress.length = 0
    const jobId = randomUUID()
    const res = await call<BulkReplayResult>('billing:replayMany', { jobId, eventIds: ['evt_missing', 'evt_undelivered', 'evt_tbl_other'] })
    expect(res.results.map((x) => x.ok)).toEqual([true, true, false])
    expect(progress.filter((p) => p.jobId === jobId).at(-1)).toMatchObject({ state: 'done', done: 3, failed: 1 })
    const echo = await db.client.query(`SELECT billing_plan FROM public.tenants WHERE id = $1`, [T.echo])
    expect(echo.rows[0].billing_plan).toBe('enterprise')
    // Cancel: a slow Stripe, cancelled after the first.
    const job2 = randomUUID()
    fake.script({ path: /^\/v1\/events\//, delayMs: 300, times: 5 })
    const running = call<BulkReplayResult>('billing:replayMany', { jobId: job2, eventIds: ['evt_b_new', 'evt_b_old', 'evt_tbl_bravo'] })
    await new Promise((r) => setTimeout(r, 100))
    expect(await call<{ cancelled: boolean }>('billing:cancelJob', { jobId: job2 })).toEqual({ cancelled: true })
    const out = await running
    expect(out.cancelled).toBe(true)
    expect(out.results.length).toBeLessThan(3)
  })

  it('reconcile lists the drift from Stripe’s list endpoints and fixes the selected rows, audited', async () => {
    fake.updateSubscription('sub_echo', { cancelAtPeriodEnd: true })
    fake.updateSubscription(subD, { price: 'price_pro_yearly' })
    fake.clearLog()
    const jobId = randomUUID()
    const rep = await call<ReconcileReport>('billing:reconcile', { jobId })
    expect(fake.requests.every((r) => r.path === '/v1/subscriptions')).toBe(true)
    expect(fake.requests[0]!.query.get('limit')).toBe('100')
    expect(rep.checkedTenants).toBe(5)
    const bySlug = Object.fromEntries(rep.drift.map((d) => [d.slug, d.items.map((i) => i.field).sort()]))
    // echo was replayed earlier (all fields from Stripe); since then only its cancel flag moved.
    expect(bySlug.echo).toEqual(['cancelAtPeriodEnd'])
    expect(bySlug.delta).toEqual(['interval', 'periodEnd', 'priceId'])
    expect(bySlug.foxtrot).toEqual(['periodEnd', 'priceId'])
    expect(rep.drift.find((d) => d.slug === 'foxtrot')!.idsFrom).toBe('metadata')
    expect(bySlug.alpha).toBeUndefined()
    const fix = await call<FixResult>('billing:fixDrift', { jobId: randomUUID(), tenantIds: [T.echo, T.delta] })
    expect(fix).toMatchObject({ fixed: 2, failed: [] })
    const again = await call<ReconcileReport>('billing:reconcile', { jobId: randomUUID() })
    expect(again.drift.map((d) => d.slug)).toEqual(['foxtrot'])
    const log = await db.client.query(`SELECT count(*)::int AS n FROM console.operator_log WHERE action = 'billing.reconcile_fix'`)
    expect(log.rows[0].n).toBe(2)
  })

  it('reconcile pages through many subscriptions (has_more, starting_after) with a 429 in the middle', async () => {
    for (let i = 0; i < 230; i++) fake.addSubscription({ customer: `cus_bulk${i}`, price: 'price_pro_monthly' })
    fake.clearLog()
    fake.script({ path: /^\/v1\/subscriptions$/, status: 429, times: 1 })
    const rep = await call<ReconcileReport>('billing:reconcile', { jobId: randomUUID() })
    expect(rep.subscriptions).toBe(235)
    const after = fake.requests.map((r) => r.query.get('starting_after'))
    expect(after.filter(Boolean)).toHaveLength(2)
  })

  it('the tenant’s billing tab: Stripe’s subscription, invoices, and where the ids came from', async () => {
    const a = await call<TenantBilling>('billing:tenant', { id: T.alpha })
    expect(a).toMatchObject({ idsFrom: 'columns', customerId: 'cus_alpha', subscriptionId: subA })
    expect(a.stripe).toMatchObject({ subscriptionStatus: 'active', plan: 'pro', interval: 'monthly', amountCents: 1500, cancelAtPeriodEnd: true })
    expect(a.stripe!.invoices.map((i) => i.status)).toEqual(['paid', 'paid'])
    const b = await call<TenantBilling>('billing:tenant', { id: T.foxtrot })
    expect(b.idsFrom).toBe('metadata')
    expect(b.stripe).toMatchObject({ subscriptionStatus: 'active', plan: 'pro' })
    expect(b.notes.join(' ')).toMatch(/metadata/)
    const c = await call<TenantBilling>('billing:tenant', { id: T.charlie })
    expect(c).toMatchObject({ idsFrom: 'none', stripe: null })
  })

  it('cancel with the tenant: once, at period end, the pending marker consumed; a crash between Stripe and the database does not cancel twice', async () => {
    fake.effects.length = 0
    crashOnce = true
    const out = await call<{ warnings: string[]; status: string }>('lifecycle:cancel', { id: T.delta, note: 'owner left' })
    expect(out.status).toBe('cancelled')
    expect(out.warnings.join(' ')).toMatch(/not cancelled/)
    let t = await db.client.query(`SELECT metadata -> 'consoleCancellation' ->> 'stripe' AS m FROM public.tenants WHERE id = $1`, [T.delta])
    expect(t.rows[0].m).toBe('pending')
    const op = await db.client.query(`SELECT status, attempts FROM console.stripe_operations WHERE tenant_id = $1`, [T.delta])
    expect(op.rows).toEqual([{ status: 'pending', attempts: 1 }])
    expect(fake.effects).toHaveLength(1)
    // Retry: same idempotency key, Stripe answers the first result, nothing acts again.
    const again = await call<{ state: string }>('billing:cancelSubscription', { id: T.delta })
    expect(again.state).toBe('done')
    expect(fake.effects).toHaveLength(1)
    const keys = fake.requests.filter((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${subD}`).map((r) => r.idempotencyKey)
    expect(new Set(keys).size).toBe(1)
    t = await db.client.query(`SELECT metadata -> 'consoleCancellation' ->> 'stripe' AS m, cancel_at_period_end FROM public.tenants WHERE id = $1`, [T.delta])
    expect(t.rows[0]).toEqual({ m: 'cancel_at_period_end', cancel_at_period_end: true })
    expect(fake.subscriptions.get(subD)!.cancel_at_period_end).toBe(true)
    const third = await call<{ state: string }>('billing:cancelSubscription', { id: T.delta, when: 'now' })
    expect(third.state).toBe('none')
    expect(fake.effects).toHaveLength(1)
  })

  describe('roles, enforced by the database too', () => {
    let support: { name: string; password: string }
    let sup: Awaited<ReturnType<typeof open>>
    beforeAll(async () => {
      support = await loginRole(db.client, 'nchat_console_support', 'bsup')
      sup = await open(urlFor(db.url, support.name, support.password), KEY)
    })
    afterAll(async () => {
      await sup?.ctx.db.close()
      const u = new URL(db.url)
      u.pathname = '/postgres'
      if (support) await dropRole(u.toString(), support.name)
    })

    it('support sees the failures and may replay and resolve; fixing drift and cancelling need admin', async () => {
      await call<FailuresPage>('billing:failures', {}, sup.registry)
      fake.updateSubscription(subA, { cancelAtPeriodEnd: false })
      fake.addEvent('customer.subscription.updated', { id: subA, customer: 'cus_alpha' }, { id: 'evt_by_support' })
      const r = await call<ReplayOutcome>('billing:replay', { eventId: 'evt_by_support' }, sup.registry)
      expect(r.applied).toBe(true)
      const t = await db.client.query(`SELECT cancel_at_period_end FROM public.tenants WHERE id = $1`, [T.alpha])
      expect(t.rows[0].cancel_at_period_end).toBe(false)
      await call('billing:resolve', { eventId: 'evt_tbl_bravo', note: 'checked' }, sup.registry)
      expect((await fail('billing:fixDrift', { jobId: randomUUID(), tenantIds: [T.foxtrot] }, sup.registry)).code).toBe('FORBIDDEN')
      expect((await fail('billing:cancelSubscription', { id: T.bravo }, sup.registry)).code).toBe('FORBIDDEN')
      // Past the registry, the database refuses too.
      const direct = await sup.ctx.billing.fixDrift({ jobId: randomUUID(), tenantIds: [T.foxtrot] })
      expect(direct.failed).toEqual([{ tenantId: T.foxtrot, message: 'Fixing billing fields needs the admin role.' }])
      const c = await import('pg').then((m) => new m.default.Client({ connectionString: urlFor(db.url, support.name, support.password) }))
      await c.connect()
      try {
        await expect(c.query(`UPDATE public.tenants SET billing_plan = 'enterprise' WHERE id = $1`, [T.bravo])).rejects.toMatchObject({ code: '42501' })
        await expect(c.query(`INSERT INTO console.stripe_operations (idempotency_key, kind, stripe_object_id) VALUES ('abcdefgh', 'subscription.cancel', 'sub_x')`)).rejects.toMatchObject({ code: '42501' })
        // The replay function changes only billing columns.
        await c.query(`SELECT console.billing_apply_replay('evt_sneaky', 'customer.subscription.updated', '{}', $1, '{"status":"suspended","name":"x","billing_plan":"free"}', '{}')`, [T.bravo])
        const b = await db.client.query(`SELECT status, name, billing_plan FROM public.tenants WHERE id = $1`, [T.bravo])
        expect(b.rows[0]).toMatchObject({ status: 'active', name: 'Tenant bravo', billing_plan: 'free' })
      } finally {
        await c.end()
      }
    })
  })
})
