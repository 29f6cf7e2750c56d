import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { BillingService } from '../../src-main/billing'
import { targetFromUrl } from '../../src-main/db/connection'
import { FakeStripe } from '../support/fake-stripe'
import { expect, test, type Harness } from './harness'

/**
 * Billing end to end: the real registry and the real stripe library, pointed at the local
 * fake Stripe, which is filled from the seeded fleet (its customers, subscriptions and
 * webhook events) so the console's answers can be checked against both.
 */
const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const KEY = 'rk_test_51E2eFakeRestrictedKeyForBilling01'

test.use({ database: 'fresh' })

interface TenantRow {
  id: string
  slug: string
  plan: string
  interval: string | null
  cus: string
  sub: string
  price: string | null
  start: string | null
  end: string | null
  cancel: boolean | null
}

async function withFakeStripe(harness: Harness): Promise<{ fake: FakeStripe; tenants: TenantRow[] }> {
  const fake = await new FakeStripe().start()
  fake.addKey(KEY)
  const tenants = await harness.sql<TenantRow>(
    `SELECT id, slug, billing_plan AS plan, billing_interval AS interval, stripe_customer_id AS cus, stripe_subscription_id AS sub,
            stripe_price_id AS price, current_period_start AS start, current_period_end AS "end", cancel_at_period_end AS cancel
       FROM public.tenants WHERE stripe_customer_id IS NOT NULL AND stripe_subscription_id IS NOT NULL AND stripe_price_id IS NOT NULL ORDER BY slug`
  )
  for (const t of tenants) {
    fake.addPrice(t.price!, t.interval === 'yearly' ? 'year' : 'month', 1500)
    await harness.sql(`INSERT INTO console.billing_prices (price_id, plan, billing_interval) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [t.price, t.plan, t.interval ?? 'monthly'])
    fake.addCustomer(t.cus)
    const s = (v: string | null) => (v ? Math.floor(new Date(v).getTime() / 1000) : undefined)
    fake.addSubscription({ id: t.sub, customer: t.cus, price: t.price!, periodStart: s(t.start), periodEnd: s(t.end), cancelAtPeriodEnd: Boolean(t.cancel) })
    fake.addInvoice({ customer: t.cus, subscription: t.sub, status: 'paid', amount: 1500, created: (s(t.start) ?? 0) + 60 })
  }
  // Every event of the app's table is one Stripe has.
  const hooks = await harness.sql<{ id: string; type: string; payload: { data: { object: Record<string, unknown> } }; created: string }>(
    `SELECT stripe_event_id AS id, event_type AS type, payload, created_at AS created FROM public.stripe_webhooks`
  )
  for (const h of hooks) fake.addEvent(h.type, h.payload.data.object, { id: h.id, created: Math.floor(new Date(h.created).getTime() / 1000) })
  harness.ctx.billing = new BillingService(harness.ctx.db, harness.ctx.session, harness.platform, { stripeApi: fake.api, gateway: { timeoutMs: 2000, rateLimitBaseMs: 10 } })
  await harness.ctx.db.setTarget(targetFromUrl(harness.dbUrl, { stripeKey: KEY }))
  return { fake, tenants }
}

test('failures: the table’s failures, then Stripe’s side; the chart; the payload; a replay', async ({ page, harness }) => {
  mkdirSync(SHOTS, { recursive: true })
  const { fake, tenants } = await withFakeStripe(harness)
  try {
    const t = tenants[0]!
    fake.addEvent('invoice.payment_failed', { id: 'in_never_delivered', object: 'invoice', customer: t.cus, subscription: t.sub }, { id: 'evt_e2e_undelivered', delivered: false })
    const failed = await harness.sql<{ id: string }>(
      `SELECT w.stripe_event_id AS id FROM public.stripe_webhooks w JOIN public.tenants t ON t.id = w.tenant_id
        WHERE (w.processed IS NOT TRUE OR w.error IS NOT NULL) AND t.stripe_subscription_id IS NOT NULL AND t.stripe_price_id IS NOT NULL
          AND w.event_type LIKE 'customer.subscription.%' ORDER BY w.created_at DESC LIMIT 1`
    )
    const total = (await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM public.stripe_webhooks WHERE processed IS NOT TRUE OR error IS NOT NULL`))[0]!.n
    expect(failed[0]).toBeTruthy()
    await page.setViewportSize({ width: 1440, height: 1000 })
    await harness.open('billing')
    const screen = page.getByTestId('billing')
    await expect(screen.getByTestId('failure-types')).toContainText(`${total.toLocaleString('en-US')} failures`)
    await expect(screen.getByTestId('stripe-check')).toContainText('not been checked')
    await screen.getByRole('button', { name: 'Check Stripe' }).click()
    await expect(screen.getByTestId('stripe-check')).toContainText('1 not delivered')
    await expect(screen.getByTestId('failure-types')).toContainText(`${(total + 1).toLocaleString('en-US')} failures`)
    await expect(screen.locator('tr[data-event-id="evt_e2e_undelivered"] .bl-src.undelivered')).toBeVisible()
    await expect(screen.getByTestId('failures-chart').locator('.recharts-bar-rectangle').first()).toBeVisible()
    await expect(screen.getByTestId('webhook-health')).toContainText('Stripe has no webhook endpoint')
    await screen.getByRole('button', { name: 'Test key' }).click()
    await expect(screen.getByTestId('key-report')).toContainText('acct_1FakeConsole')
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'billing-failures.png'), fullPage: true })

    // The payload, formatted and searchable.
    const row = screen.locator(`tr[data-event-id="${failed[0]!.id}"]`)
    await screen.getByRole('combobox', { name: 'Event type' }).selectOption('customer.subscription.updated')
    await screen.getByRole('combobox', { name: 'Event type' }).selectOption('')
    await row.getByRole('button', { name: 'Payload' }).click()
    const viewer = screen.getByTestId('payload-viewer')
    await expect(viewer).toContainText(failed[0]!.id)
    await viewer.getByRole('searchbox', { name: 'Search the payload' }).fill('"customer"')
    await expect(viewer.getByTestId('payload-hits')).toHaveText('1 matching line')
    await expect(viewer.locator('.hit')).toContainText('"customer"')
    await page.screenshot({ path: join(SHOTS, 'billing-payload.png') })
    await viewer.getByRole('button', { name: 'Close' }).click()

    // Replay: the row leaves the list, the table row is processed.
    await row.getByRole('button', { name: 'Replay' }).click()
    await expect(screen.getByTestId('replay-result')).toContainText('Replayed')
    await expect(row).toHaveCount(0)
    const after = await harness.sql<{ processed: boolean; error: string | null }>(`SELECT processed, error FROM public.stripe_webhooks WHERE stripe_event_id = $1`, [failed[0]!.id])
    expect(after[0]).toEqual({ processed: true, error: null })
  } finally {
    await fake.stop()
  }
})

test('reconcile finds the drift and fixes it; the billing tab of a tenant', async ({ page, harness }) => {
  mkdirSync(SHOTS, { recursive: true })
  const { fake, tenants } = await withFakeStripe(harness)
  try {
    const [a, b] = tenants as [TenantRow, TenantRow]
    fake.updateSubscription(a.sub, { cancelAtPeriodEnd: !a.cancel })
    fake.updateSubscription(b.sub, { periodEnd: Math.floor(Date.now() / 1000) + 90 * 86_400 })
    await page.setViewportSize({ width: 1440, height: 1000 })
    await harness.open('billing')
    const card = page.getByTestId('reconcile')
    await card.getByRole('button', { name: 'Reconcile all tenants' }).click()
    // Tenants with ids in the typed columns or only in metadata (whose ids Stripe does not know here).
    const withIds = (await harness.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.tenants WHERE coalesce(stripe_customer_id, metadata ->> 'stripeCustomerId', stripe_subscription_id, metadata ->> 'stripeSubscriptionId') IS NOT NULL`
    ))[0]!.n
    await expect(card.getByTestId('reconcile-summary')).toContainText(`${withIds} tenants with Stripe ids checked against ${tenants.length} subscriptions`)
    await expect(card.getByTestId('reconcile-summary')).toContainText('2 with drift')
    await expect(card.getByTestId('drift-table')).toContainText('cancelAtPeriodEnd')
    await expect(card.getByTestId('drift-table')).toContainText('periodEnd')
    await card.getByRole('checkbox', { name: `Select ${a.slug}` }).check()
    await card.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(SHOTS, 'billing-reconcile.png'), fullPage: true })
    await card.getByRole('button', { name: /Fix selected from Stripe/ }).click()
    await expect(card.getByTestId('fix-result')).toHaveText('1 fixed, 0 unchanged, 0 failed')
    const fixed = await harness.sql<{ cancel: boolean }>(`SELECT cancel_at_period_end AS cancel FROM public.tenants WHERE id = $1`, [a.id])
    expect(fixed[0]!.cancel).toBe(!a.cancel)

    // The billing tab of tenant b: Stripe's period, the invoices, where the ids came from.
    await harness.open('tenants')
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill(b.slug)
    await page.getByTestId('tenant-table').locator(`[data-row-id="${b.id}"] [data-col="name"]`).click()
    const panel = page.getByTestId('tenant-detail')
    await panel.getByRole('tab', { name: 'Billing' }).click()
    const tab = panel.getByTestId('billing-tab')
    await expect(tab.getByTestId('ids-from')).toHaveText('the typed columns')
    await expect(tab.getByTestId('billing-stripe')).toContainText(b.plan)
    await expect(tab.getByTestId('invoices').locator('tbody tr')).toHaveCount(1)
    await tab.getByRole('button', { name: 'Open' }).click()
    await expect.poll(() => harness.platform.callsOf('openExternal').length).toBe(1)
    expect(String(harness.platform.callsOf('openExternal')[0]![0])).toMatch(/^https:\/\/invoice\.stripe\.com\//)
    await page.screenshot({ path: join(SHOTS, 'billing-tab.png') })
  } finally {
    await fake.stop()
  }
})
