import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FailuresPage, KeyTestReport, PriceMappings, SavePriceResult, StripePrices, TenantBilling } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { nchatConsole } from '../support/console-cli'
import { FakeStripe } from '../support/fake-stripe'
import { registryCalls } from '../support/registry-calls'
import { dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * Cancel with the tenant at once (the operator's choice in the cancel dialog), and the
 * price → plan list, through the real registry and the real stripe library against the
 * local fake Stripe (test/support/fake-stripe.ts).
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const KEY = 'rk_test_51FakeFullKeyForCancelPriceTests01'
const OPERATOR = { name: 'Test Operator', email: 'ops@example.com' }

const T = {
  golf: '77777777-7777-4777-8777-777777777777',
  hotel: '88888888-8888-4888-8888-888888888888',
  india: '99999999-9999-4999-8999-999999999999',
  juliet: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  kilo: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
}

describe('cancel at once and the price list, with the real stripe library against a fake Stripe', () => {
  let db: Db
  let fake: FakeStripe
  let ctx: AppContext
  let registry: Registry
  let crashOnce = false
  const { call, fail } = registryCalls(() => registry)
  const open = async (url: string, key: string | null) => {
    const c = createContext({
      platform: { emit: () => {} } as never,
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
    await c.db.setTarget(targetFromUrl(url, { stripeKey: key, operator: OPERATOR }))
    return { ctx: c, registry: createRegistry(c, handlers, () => true) }
  }
  const setKey = (key: string | null) => ctx.db.setTarget(targetFromUrl(db.url, { stripeKey: key, operator: OPERATOR }))
  const tenant = async (id: string) =>
    (await db.client.query(`SELECT status, cancel_at_period_end, metadata FROM public.tenants WHERE id = $1`, [id])).rows[0] as {
      status: string
      cancel_at_period_end: boolean
      metadata: Record<string, Record<string, unknown> | string>
    }
  const opLog = async (action: string, tenantId?: string) =>
    (
      await db.client.query(
        `SELECT params, outcome, error, operator_email FROM console.operator_log WHERE action = $1 AND ($2::uuid IS NULL OR tenant_id = $2) ORDER BY id`,
        [action, tenantId ?? null]
      )
    ).rows as { params: Record<string, unknown>; outcome: string; error: string | null; operator_email: string }[]
  const deletes = (sub: string) => fake.effects.filter((e) => e.method === 'DELETE' && e.path === `/v1/subscriptions/${sub}`)

  beforeAll(async () => {
    db = await freshDatabase('billing_cancel_prices')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    fake = await new FakeStripe().start()
    fake.addKey(KEY)
    fake.addPrice('price_pro_monthly', 'month', 1500)
    for (const slug of ['golf', 'hotel', 'india', 'juliet', 'kilo']) {
      fake.addCustomer(`cus_${slug}`)
      fake.addSubscription({ id: `sub_${slug}`, customer: `cus_${slug}`, price: 'price_pro_monthly' })
      await db.client.query(
        `INSERT INTO public.tenants (id, name, slug, status, billing_plan, owner_email, owner_name, schema_name, stripe_customer_id, stripe_subscription_id, stripe_price_id)
         VALUES ($1, $2, $3, 'active', 'pro', $4, 'Owner', $5, $6, $7, 'price_pro_monthly')`,
        [T[slug as keyof typeof T], `Tenant ${slug}`, slug, `${slug}@example.com`, `tenant_${slug}`, `cus_${slug}`, `sub_${slug}`]
      )
    }
    const o = await open(db.url, KEY)
    ctx = o.ctx
    registry = o.registry
  })
  afterAll(async () => {
    await ctx?.db.close()
    await fake?.stop()
    await db?.close()
  })
  beforeEach(() => fake.clearScripts())

  describe('cancel with the tenant at once', () => {
    it('the choice travels from the cancel to Stripe (subscriptions.cancel), once, across a crash between Stripe and the database', async () => {
      crashOnce = true
      const out = await call<{ status: string; warnings: string[]; message: string }>('lifecycle:cancel', { id: T.golf, note: 'fraud', subscription: 'now' })
      expect(out.status).toBe('cancelled')
      expect(out.warnings.join(' ')).toMatch(/not cancelled/)
      // Stripe acted (one DELETE), the database does not know yet: the marker is pending, with the choice.
      let t = await tenant(T.golf)
      expect(t.metadata.consoleCancellation).toMatchObject({ stripe: 'pending', when: 'now', subscriptionId: 'sub_golf' })
      expect(deletes('sub_golf')).toHaveLength(1)
      expect(fake.subscriptions.get('sub_golf')!.status).toBe('canceled')
      const op = await db.client.query(`SELECT kind, status, attempts, idempotency_key FROM console.stripe_operations WHERE tenant_id = $1`, [T.golf])
      expect(op.rows).toHaveLength(1)
      expect(op.rows[0]).toMatchObject({ kind: 'subscription.cancel', status: 'pending', attempts: 1 })
      expect(op.rows[0].idempotency_key).toMatch(new RegExp(`^nchat-console:cancel:${T.golf}:[0-9A-Za-z]+:now$`))
      // The lifecycle's own log says what was chosen.
      expect((await opLog('tenant.cancel', T.golf))[0]!.params).toMatchObject({ subscription: 'now', note: 'fraud' })

      const tab = await call<TenantBilling>('billing:tenant', { id: T.golf })
      expect(tab).toMatchObject({ pendingCancellation: true, pendingCancellationWhen: 'now', pendingCancellationSent: true })
      // Changing the choice after an attempt reached Stripe is refused.
      const changed = await fail('billing:cancelSubscription', { id: T.golf, when: 'period_end' })
      expect(changed.code).toBe('CONFLICT')
      expect(changed.message).toMatch(/already sent to Stripe at once/)

      // The retry reads the subscription, sees Stripe ended it, and records that: no second cancel.
      fake.clearLog()
      const again = await call<{ state: string; message: string }>('billing:cancelSubscription', { id: T.golf })
      expect(again).toMatchObject({ state: 'done', message: 'Stripe subscription sub_golf was cancelled at once.' })
      expect(deletes('sub_golf')).toHaveLength(1)
      expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/subscriptions/sub_golf'])
      t = await tenant(T.golf)
      expect(t.metadata.consoleCancellation).toMatchObject({ stripe: 'cancelled', when: 'now' })
      expect(t.metadata.stripeSubscriptionStatus).toBe('canceled')
      expect(t.cancel_at_period_end).toBe(false)
      const done = await db.client.query(`SELECT status, attempts FROM console.stripe_operations WHERE tenant_id = $1`, [T.golf])
      expect(done.rows).toEqual([{ status: 'succeeded', attempts: 2 }])
      const log = await opLog('billing.cancel_subscription', T.golf)
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ outcome: 'ok', operator_email: 'ops@example.com', params: { when: 'now', kind: 'subscription.cancel', subscriptionId: 'sub_golf', stripeStatus: 'canceled' } })
      // Consumed: nothing is pending any more, whatever is asked.
      expect((await call<{ state: string }>('billing:cancelSubscription', { id: T.golf, when: 'now' })).state).toBe('none')
      expect(deletes('sub_golf')).toHaveLength(1)
    })

    it('without a crash: one DELETE with the key of the cancellation and the choice, done in the same call', async () => {
      const out = await call<{ warnings: string[]; message: string }>('lifecycle:cancel', { id: T.kilo, subscription: 'now' })
      expect(out.warnings).toEqual([])
      expect(out.message).toMatch(/Tenant kilo was cancelled\. Stripe subscription sub_kilo was cancelled at once\./)
      const d = deletes('sub_kilo')
      expect(d).toHaveLength(1)
      expect(d[0]!.idempotencyKey).toMatch(/:now$/)
      expect((await tenant(T.kilo)).metadata.consoleCancellation).toMatchObject({ stripe: 'cancelled', when: 'now' })
    })

    it('a choice not yet sent may change; a failed attempt at once keeps its choice and key until it succeeds', async () => {
      // hotel: cancelled at once while the profile has no key; switched to period end before anything reached Stripe.
      await setKey(null)
      const h = await call<{ warnings: string[] }>('lifecycle:cancel', { id: T.hotel, subscription: 'now' })
      expect(h.warnings.join(' ')).toMatch(/no Stripe key.*pending \(at once\)/)
      expect(await call<TenantBilling>('billing:tenant', { id: T.hotel })).toMatchObject({ pendingCancellationWhen: 'now', pendingCancellationSent: false })
      await setKey(KEY)
      const switched = await call<{ state: string; message: string }>('billing:cancelSubscription', { id: T.hotel, when: 'period_end' })
      expect(switched).toMatchObject({ state: 'done', message: 'Stripe subscription sub_hotel will end at the end of its period.' })
      expect(deletes('sub_hotel')).toHaveLength(0)
      expect(fake.subscriptions.get('sub_hotel')).toMatchObject({ status: 'active', cancel_at_period_end: true })
      const ht = await tenant(T.hotel)
      expect(ht.metadata.consoleCancellation).toMatchObject({ stripe: 'cancel_at_period_end', when: 'period_end' })
      expect(ht.cancel_at_period_end).toBe(true)

      // india: Stripe fails (500, and 500 again on the library's retry): nothing acted, the attempt is recorded.
      fake.script({ method: 'DELETE', path: /^\/v1\/subscriptions\/sub_india$/, status: 500, times: 2 })
      const i = await call<{ warnings: string[] }>('lifecycle:cancel', { id: T.india, subscription: 'now' })
      expect(i.warnings.join(' ')).toMatch(/not cancelled: Stripe failed .*server error.*pending \(at once\)/)
      expect(fake.subscriptions.get('sub_india')!.status).toBe('active')
      expect((await opLog('billing.cancel_subscription', T.india))[0]).toMatchObject({ outcome: 'failed', params: { when: 'now' } })
      expect((await fail('billing:cancelSubscription', { id: T.india, when: 'period_end' })).code).toBe('CONFLICT')
      const keysBefore = fake.requests.filter((r) => r.method === 'DELETE' && r.path === '/v1/subscriptions/sub_india').map((r) => r.idempotencyKey)
      const r = await call<{ state: string }>('billing:cancelSubscription', { id: T.india })
      expect(r.state).toBe('done')
      const keys = fake.requests.filter((x) => x.method === 'DELETE' && x.path === '/v1/subscriptions/sub_india').map((x) => x.idempotencyKey)
      expect(keys.length).toBe(keysBefore.length + 1)
      expect(new Set(keys).size).toBe(1)
      expect(deletes('sub_india')).toHaveLength(1)
      expect(fake.subscriptions.get('sub_india')!.status).toBe('canceled')
    })
  })

  describe('the price → plan list', () => {
    it('lists Stripe’s prices with product names, page by page', async () => {
      fake.addProduct('prod_team', 'Team plan')
      for (let i = 0; i < 230; i++) fake.addPrice(`price_bulk_${String(i).padStart(3, '0')}`, i % 2 ? 'year' : 'month', 1000 + i, 'prod_team')
      fake.addPrice('price_quarterly', 'month', 4000, 'prod_team', { intervalCount: 3 })
      fake.addPrice('price_setup_fee', 'month', 9900, 'prod_team', { oneTime: true })
      fake.clearLog()
      const r = await call<StripePrices>('billing:stripePrices', {})
      expect(r.prices).toHaveLength(fake.prices.size)
      expect(r.pages).toBe(3)
      expect(r.truncated).toBe(false)
      const pages = fake.requests.filter((x) => x.path === '/v1/prices')
      expect(pages.map((x) => x.query.get('limit'))).toEqual(['100', '100', '100'])
      expect(pages.filter((x) => x.query.get('starting_after'))).toHaveLength(2)
      expect(pages.every((x) => [...x.query.values()].includes('data.product'))).toBe(true)
      const by = new Map(r.prices.map((p) => [p.priceId, p]))
      expect(by.get('price_bulk_001')).toMatchObject({ productName: 'Team plan', interval: 'yearly', amountCents: 1001, recurring: 'every year', mappedTo: null })
      expect(by.get('price_quarterly')).toMatchObject({ interval: null, recurring: 'every 3 months' })
      expect(by.get('price_setup_fee')).toMatchObject({ interval: null, recurring: 'one time' })
      expect(by.get('price_pro_monthly')).toMatchObject({ productName: 'nChat', interval: 'monthly' })
    })

    it('add, edit and remove, checked with Stripe and audited; bad input refused', async () => {
      const added = await call<SavePriceResult>('billing:savePrice', { mode: 'add', priceId: 'price_pro_monthly', plan: 'pro', interval: 'monthly' })
      expect(added.mapping).toMatchObject({ priceId: 'price_pro_monthly', plan: 'pro', interval: 'monthly', checked: true, productName: 'nChat', amountCents: 1500, currency: 'usd', tenants: 5 })
      expect(added.message).toMatch(/Added price_pro_monthly → pro \(monthly\)\. 5 tenants have this price/)
      const dup = await fail('billing:savePrice', { mode: 'add', priceId: 'price_pro_monthly', plan: 'enterprise', interval: 'monthly' })
      expect(dup.code).toBe('CONFLICT')

      const edited = await call<SavePriceResult>('billing:savePrice', { mode: 'edit', priceId: 'price_pro_monthly', plan: 'enterprise', interval: 'monthly' })
      expect(edited.mapping).toMatchObject({ plan: 'enterprise', updatedBy: 'ops@example.com' })
      expect(edited.message).toMatch(/Changed price_pro_monthly from pro \(monthly\) to enterprise \(monthly\)/)
      // The mapping is what reconcile and the billing tab use.
      expect((await call<TenantBilling>('billing:tenant', { id: T.juliet })).stripe!.plan).toBe('enterprise')

      // Validation: the id's form (the contract), the plan (the database's plans), the interval Stripe bills, a price Stripe lacks.
      expect((await fail('billing:savePrice', { mode: 'add', priceId: 'prod_team', plan: 'pro', interval: 'monthly' })).code).toBe('INVALID_INPUT')
      expect((await fail('billing:savePrice', { mode: 'add', priceId: 'price_x; DROP TABLE', plan: 'pro', interval: 'monthly' })).code).toBe('INVALID_INPUT')
      const plan = await fail('billing:savePrice', { mode: 'add', priceId: 'price_bulk_000', plan: 'platinum', interval: 'monthly' })
      expect(plan).toMatchObject({ code: 'INVALID_INPUT', message: 'Unknown plan "platinum". This database allows: free, pro, enterprise, custom.' })
      const interval = await fail('billing:savePrice', { mode: 'add', priceId: 'price_bulk_001', plan: 'pro', interval: 'monthly' })
      expect(interval).toMatchObject({ code: 'INVALID_INPUT', message: 'Stripe bills price price_bulk_001 every year: choose yearly, not monthly.' })
      expect((await fail('billing:savePrice', { mode: 'add', priceId: 'price_quarterly', plan: 'pro', interval: 'monthly' })).message).toMatch(/every 3 months: only monthly or yearly/)
      const missing = await fail('billing:savePrice', { mode: 'add', priceId: 'price_nowhere', plan: 'pro', interval: 'monthly' })
      expect(missing).toMatchObject({ code: 'NOT_FOUND' })
      expect((await fail('billing:savePrice', { mode: 'edit', priceId: 'price_bulk_002', plan: 'pro', interval: 'monthly' })).code).toBe('NOT_FOUND')

      await call('billing:savePrice', { mode: 'add', priceId: 'price_bulk_001', plan: 'pro', interval: 'yearly' })
      const list = await call<PriceMappings>('billing:prices', {})
      expect(list.plans).toEqual(['free', 'pro', 'enterprise', 'custom'])
      expect(list.stripe).toBe(true)
      expect(list.mappings.map((m) => [m.priceId, m.plan, m.interval])).toEqual([
        ['price_pro_monthly', 'enterprise', 'monthly'],
        ['price_bulk_001', 'pro', 'yearly']
      ])
      expect((await call<StripePrices>('billing:stripePrices', {})).prices.find((p) => p.priceId === 'price_bulk_001')!.mappedTo).toBe('pro')

      const removed = await call<{ removed: boolean; message: string }>('billing:removePrice', { priceId: 'price_pro_monthly' })
      expect(removed.message).toMatch(/Removed price_pro_monthly \(was enterprise, monthly\)\. 5 tenants have this price/)
      expect((await fail('billing:removePrice', { priceId: 'price_pro_monthly' })).code).toBe('NOT_FOUND')
      expect((await call<TenantBilling>('billing:tenant', { id: T.juliet })).stripe!.plan).toBeNull()

      const audit = await db.client.query(`SELECT action, params, operator_email FROM console.operator_log WHERE action LIKE 'billing.price_%' ORDER BY id`)
      expect(audit.rows.map((r) => [r.action, r.params.priceId, r.params.before?.plan ?? null, r.params.after?.plan ?? null])).toEqual([
        ['billing.price_add', 'price_pro_monthly', null, 'pro'],
        ['billing.price_edit', 'price_pro_monthly', 'pro', 'enterprise'],
        ['billing.price_add', 'price_bulk_001', null, 'pro'],
        ['billing.price_remove', 'price_pro_monthly', 'enterprise', null]
      ])
      expect(audit.rows.every((r) => r.operator_email === 'ops@example.com' && r.params.checkedWithStripe !== false)).toBe(true)
    })

    it('without a Stripe key a typed id is saved, said to be unchecked; Stripe’s list needs the key', async () => {
      await setKey(null)
      try {
        const r = await call<SavePriceResult>('billing:savePrice', { mode: 'add', priceId: 'price_typed_by_hand', plan: 'custom', interval: 'yearly' })
        expect(r.mapping).toMatchObject({ checked: false, productName: null })
        expect(r.message).toMatch(/Not checked with Stripe: this profile has no Stripe key\./)
        const list = await call<PriceMappings>('billing:prices', {})
        expect(list.stripe).toBe(false)
        expect(list.notes.join(' ')).toMatch(/1 price was typed without a Stripe key and never checked/)
        expect((await fail('billing:stripePrices', {})).code).toBe('NOT_CONFIGURED')
      } finally {
        await setKey(KEY)
      }
    })

    it('a key without the prices permission: the list and the check say so (403)', async () => {
      const limited = 'rk_test_51FakeNoPricesKeyForConsoleTest02'
      fake.addKey(limited, ['account_read', 'subscription_read', 'subscription_write', 'customer_read', 'invoice_read', 'event_read', 'webhook_read'])
      await setKey(limited)
      try {
        const e = await fail('billing:stripePrices', {})
        expect(e).toMatchObject({ code: 'FORBIDDEN' })
        expect(e.message).toMatch(/may not list prices \(403\)/)
        expect((await fail('billing:savePrice', { mode: 'add', priceId: 'price_bulk_004', plan: 'pro', interval: 'monthly' })).code).toBe('FORBIDDEN')
        const report = await call<KeyTestReport>('billing:testKey', {})
        expect(report.permissions.find((p) => p.endpoint === 'GET /v1/prices')!.allowed).toBe(false)
      } finally {
        await setKey(KEY)
      }
    })
  })

  it('the command line reads billing without an operator identity or a Stripe key: the table’s failures, Stripe not checked; the price list', async () => {
    await db.client.query(
      `INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, tenant_id, payload, processed, error)
       VALUES ('evt_cli_failed', 'invoice.payment_failed', $1, '{"data":{"object":{"customer":"cus_golf"}}}', true, 'handler threw')`,
      [T.golf]
    )
    const f = await nchatConsole(['billing', 'failures', '--json', '--database-url', db.url])
    expect(f.stderr).toBe('')
    expect(f.code).toBe(0)
    const page = JSON.parse(f.stdout) as FailuresPage
    expect(page.rows.map((r) => [r.eventId, r.tenant?.slug])).toEqual([['evt_cli_failed', 'golf']])
    expect(page.stripe).toMatchObject({ checked: false })
    expect(page.stripe.note).toMatch(/No Stripe key in this profile: Stripe’s side was not checked/)
    const p = await nchatConsole(['billing', 'prices', '--json', '--database-url', db.url])
    expect(p.code).toBe(0)
    expect((JSON.parse(p.stdout) as PriceMappings).plans).toEqual(['free', 'pro', 'enterprise', 'custom'])
    // A change still needs an operator identity.
    const w = await nchatConsole(['billing', 'remove-price', '--price-id', 'price_bulk_001', '--database-url', db.url])
    expect(w.code).not.toBe(0)
    expect((await db.client.query(`SELECT 1 FROM console.billing_prices WHERE price_id = 'price_bulk_001'`)).rowCount).toBe(1)
  })

  describe('roles: support may look, not change; the database refuses too', () => {
    let support: { name: string; password: string }
    let sup: Awaited<ReturnType<typeof open>>
    beforeAll(async () => {
      support = await loginRole(db.client, 'nchat_console_support', 'bcp')
      sup = await open(urlFor(db.url, support.name, support.password), KEY)
    })
    afterAll(async () => {
      await sup?.ctx.db.close()
      const u = new URL(db.url)
      u.pathname = '/postgres'
      if (support) await dropRole(u.toString(), support.name)
    })
    const supCalls = () => registryCalls(() => sup.registry)

    it('cancelling (either choice) needs admin', async () => {
      const s = supCalls()
      expect((await s.fail('lifecycle:cancel', { id: T.juliet, subscription: 'now' })).code).toBe('FORBIDDEN')
      // juliet cancelled by an admin while the profile has no key: pending, at once.
      await setKey(null)
      await call('lifecycle:cancel', { id: T.juliet, subscription: 'now' })
      await setKey(KEY)
      for (const when of [undefined, 'now', 'period_end'] as const) {
        expect((await s.fail('billing:cancelSubscription', { id: T.juliet, ...(when ? { when } : {}) })).code).toBe('FORBIDDEN')
      }
      // Past the registry, the database refuses the record before anything is sent to Stripe.
      fake.clearLog()
      await expect(sup.ctx.billing.cancelWithTenant({ tenantId: T.juliet, when: 'now' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Cancelling a subscription needs the admin role.' })
      expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([])
      expect(fake.subscriptions.get('sub_juliet')!.status).toBe('active')
      expect((await tenant(T.juliet)).metadata.consoleCancellation).toMatchObject({ stripe: 'pending', when: 'now' })
    })

    it('support sees the price list and Stripe’s prices, and may not change them', async () => {
      const s = supCalls()
      const list = await s.call<PriceMappings>('billing:prices', {})
      expect(list.mappings.map((m) => m.priceId)).toContain('price_bulk_001')
      expect((await s.call<StripePrices>('billing:stripePrices', {})).prices.length).toBeGreaterThan(200)
      expect((await s.fail('billing:savePrice', { mode: 'add', priceId: 'price_bulk_003', plan: 'pro', interval: 'yearly' })).code).toBe('FORBIDDEN')
      expect((await s.fail('billing:savePrice', { mode: 'edit', priceId: 'price_bulk_001', plan: 'custom', interval: 'yearly' })).code).toBe('FORBIDDEN')
      expect((await s.fail('billing:removePrice', { priceId: 'price_bulk_001' })).code).toBe('FORBIDDEN')
      // Past the registry: the service's own write is refused by the database.
      await expect(sup.ctx.billing.savePrice({ mode: 'add', priceId: 'price_bulk_003', plan: 'pro', interval: 'yearly' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'Changing the price list needs the admin role.'
      })
      await expect(sup.ctx.billing.removePrice('price_bulk_001')).rejects.toMatchObject({ code: 'FORBIDDEN' })
      const c = new pg.Client({ connectionString: urlFor(db.url, support.name, support.password) })
      await c.connect()
      try {
        await expect(c.query(`UPDATE console.billing_prices SET plan = 'free'`)).rejects.toMatchObject({ code: '42501' })
        await expect(c.query(`DELETE FROM console.billing_prices`)).rejects.toMatchObject({ code: '42501' })
      } finally {
        await c.end()
      }
      const rows = await db.client.query(`SELECT price_id, plan FROM console.billing_prices ORDER BY price_id`)
      expect(rows.rows).toEqual([
        { price_id: 'price_bulk_001', plan: 'pro' },
        { price_id: 'price_typed_by_hand', plan: 'custom' }
      ])
    })
  })
})
