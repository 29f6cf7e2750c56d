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

test('cancel a tenant: the dialog’s Stripe choice (at once) is carried to Stripe once', async ({ page, harness }) => {
  mkdirSync(SHOTS, { recursive: true })
  const { fake } = await withFakeStripe(harness)
  try {
    const [t] = await harness.sql<{ id: string; slug: string; sub: string }>(
      `SELECT id, slug, stripe_subscription_id AS sub FROM public.tenants
        WHERE status IN ('active', 'trial') AND stripe_subscription_id IS NOT NULL AND stripe_price_id IS NOT NULL ORDER BY slug LIMIT 1`
    )
    expect(t).toBeTruthy()
    await page.setViewportSize({ width: 1440, height: 1000 })
    await harness.open('tenants')
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill(t!.slug)
    await page.getByTestId('tenant-table').locator(`[data-row-id="${t!.id}"] [data-col="name"]`).click()
    await page.getByTestId('lc-actions').getByRole('button', { name: 'Cancel tenant' }).click()
    const dlg = page.getByTestId('lc-cancel-dialog')
    const choice = dlg.getByTestId('lc-subscription-choice')
    // Period end is the default; each choice says what it means.
    await expect(choice.getByRole('radio', { name: /At the end of the period/ })).toBeChecked()
    await expect(choice).toContainText('Nothing more is billed')
    await expect(choice).toContainText('no proration credit and no final invoice')
    await choice.getByRole('radio', { name: /At once/ }).check()
    await page.screenshot({ path: join(SHOTS, 'billing-cancel-dialog.png') })
    await dlg.getByTestId('lc-confirm').click()
    await expect(dlg.getByTestId('lc-result')).toContainText(`Tenant ${t!.slug} was cancelled. Stripe subscription ${t!.sub} was cancelled at once.`)
    await page.screenshot({ path: join(SHOTS, 'billing-cancel-done.png') })
    const deletes = fake.effects.filter((e) => e.method === 'DELETE' && e.path === `/v1/subscriptions/${t!.sub}`)
    expect(deletes).toHaveLength(1)
    expect(fake.subscriptions.get(t!.sub)!.status).toBe('canceled')
    const [row] = await harness.sql<{ m: { stripe: string; when: string } }>(`SELECT metadata -> 'consoleCancellation' AS m FROM public.tenants WHERE id = $1`, [t!.id])
    expect(row!.m).toMatchObject({ stripe: 'cancelled', when: 'now' })
    const log = await harness.sql<{ params: { when: string } }>(`SELECT params FROM console.operator_log WHERE action = 'billing.cancel_subscription' AND tenant_id = $1`, [t!.id])
    expect(log.map((l) => l.params.when)).toEqual(['now'])
  } finally {
    await fake.stop()
  }
})

test('the price list: pick a Stripe price for a plan, edit it, remove it', async ({ page, harness }) => {
  mkdirSync(SHOTS, { recursive: true })
  const { fake } = await withFakeStripe(harness)
  try {
    fake.addProduct('prod_team', 'nChat Team')
    fake.addPrice('price_team_yearly', 'year', 12000, 'prod_team', { nickname: 'Team yearly' })
    fake.addPrice('price_team_quarterly', 'month', 3500, 'prod_team', { intervalCount: 3 })
    const before = (await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM console.billing_prices`))[0]!.n
    await page.setViewportSize({ width: 1440, height: 1000 })
    await harness.open('billing')
    const card = page.getByTestId('price-mapping')
    await card.scrollIntoViewIfNeeded()
    await expect(card.getByTestId('price-table').locator('tbody tr')).toHaveCount(before)
    // Rows written by SQL before the screen existed were never checked with Stripe.
    await expect(card).toContainText(`${before} prices were typed without a Stripe key and never checked`)
    const add = card.getByTestId('price-add')
    await add.getByRole('button', { name: 'Load prices from Stripe' }).click()
    const pick = add.getByRole('combobox', { name: 'Stripe price' })
    await expect(pick.locator('option[value="price_team_quarterly"]')).toBeDisabled()
    await expect(pick.locator('option[value="price_team_yearly"]')).toHaveText(/nChat Team · Team yearly · \$120\.00 every year · price_team_yearly/)
    await pick.selectOption('price_team_yearly')
    await expect(add.getByRole('combobox', { name: 'Interval' })).toHaveValue('yearly')
    await add.getByRole('combobox', { name: 'Plan' }).selectOption('enterprise')
    await add.getByRole('button', { name: 'Add' }).click()
    await expect(add.getByTestId('price-result')).toHaveText('Added price_team_yearly → enterprise (yearly).')
    const row = card.locator('tr[data-price-id="price_team_yearly"]')
    await expect(row).toContainText('nChat Team')
    await expect(row).toContainText('✓ Stripe')

    await row.getByRole('button', { name: 'Edit' }).click()
    await row.getByRole('combobox', { name: 'Plan of price_team_yearly' }).selectOption('custom')
    await row.getByRole('button', { name: 'Save' }).click()
    await expect(card).toContainText('Changed price_team_yearly from enterprise (yearly) to custom (yearly).')
    await expect(row.locator('td').nth(3)).toHaveText('custom')
    await page.mouse.move(0, 0)
    await card.screenshot({ path: join(SHOTS, 'billing-prices.png') })

    await row.getByRole('button', { name: 'Remove…' }).click()
    await row.getByRole('button', { name: 'Remove', exact: true }).click()
    await expect(card.getByTestId('price-removed')).toHaveText('Removed price_team_yearly (was custom, yearly).')
    await expect(row).toHaveCount(0)
    const audit = await harness.sql<{ action: string }>(`SELECT action FROM console.operator_log WHERE action LIKE 'billing.price_%' ORDER BY id`)
    expect(audit.map((a) => a.action)).toEqual(['billing.price_add', 'billing.price_edit', 'billing.price_remove'])

    // Without a Stripe key: the id is typed, its form checked here, and saved as not checked with Stripe.
    await harness.ctx.db.setTarget(targetFromUrl(harness.dbUrl, { stripeKey: null }))
    await harness.open('billing')
    await page.reload()
    const add2 = page.getByTestId('price-mapping').getByTestId('price-add')
    await add2.scrollIntoViewIfNeeded()
    await expect(add2).toContainText('not checked with Stripe')
    await add2.getByRole('textbox', { name: 'Price id' }).fill('prod_not_a_price')
    await expect(add2).toContainText('A Stripe price id looks like price_')
    await expect(add2.getByRole('button', { name: 'Add' })).toBeDisabled()
    await add2.getByRole('textbox', { name: 'Price id' }).fill('price_typed_by_hand')
    await add2.getByRole('combobox', { name: 'Plan' }).selectOption('pro')
    await add2.getByRole('button', { name: 'Add' }).click()
    await expect(add2.getByTestId('price-result')).toHaveText('Added price_typed_by_hand → pro (monthly). Not checked with Stripe: this profile has no Stripe key.')
    await expect(page.locator('tr[data-price-id="price_typed_by_hand"]')).toContainText('not checked')
    await add2.screenshot({ path: join(SHOTS, 'billing-prices-nokey.png') })
  } finally {
    await fake.stop()
  }
})

test('failures: filter by any tenant of the fleet; resolve with a note', async ({ page, harness }) => {
  mkdirSync(SHOTS, { recursive: true })
  // The tenant with the fewest failures (not on the first page), and one failure of it.
  const [t] = await harness.sql<{ id: string; slug: string; n: number }>(
    `SELECT t.id, t.slug, count(*)::int AS n FROM public.stripe_webhooks w JOIN public.tenants t ON t.id = w.tenant_id
      WHERE w.processed IS NOT TRUE OR w.error IS NOT NULL GROUP BY t.id, t.slug ORDER BY n, t.slug LIMIT 1`
  )
  expect(t).toBeTruthy()
  await page.setViewportSize({ width: 1440, height: 1000 })
  await harness.open('billing')
  const screen = page.getByTestId('billing')
  const picker = screen.getByRole('combobox', { name: 'Tenant' })
  await picker.fill(t!.slug)
  await expect(screen.locator(`#bl-tenant-options option[value="${t!.slug}"]`)).toHaveCount(1)
  await picker.press('Enter')
  await expect(screen.getByTestId('tenant-filter-chip')).toContainText(t!.slug)
  await expect(screen.getByTestId('failure-types')).toContainText(`${t!.n} failure`)
  const rows = screen.getByTestId('failures-table').locator('tbody tr')
  await expect(rows).toHaveCount(t!.n)
  const first = rows.first()
  const eventId = await first.getAttribute('data-event-id')
  await first.getByRole('button', { name: 'Resolve' }).click()
  await first.getByRole('textbox', { name: `Why ${eventId} needs no replay` }).fill('refunded by hand in Stripe')
  await page.screenshot({ path: join(SHOTS, 'billing-resolve.png') })
  await first.getByRole('button', { name: 'Mark resolved' }).click()
  await expect(screen.locator(`tr[data-event-id="${eventId}"]`)).toHaveCount(0)
  const [r] = await harness.sql<{ note: string; last_outcome: string }>(`SELECT note, last_outcome FROM console.webhook_replays WHERE stripe_event_id = $1`, [eventId])
  expect(r).toEqual({ note: 'refunded by hand in Stripe', last_outcome: 'resolved' })
  await screen.getByRole('button', { name: 'Clear the tenant filter' }).click()
  await expect(screen.getByTestId('tenant-filter-chip')).toHaveCount(0)
})
