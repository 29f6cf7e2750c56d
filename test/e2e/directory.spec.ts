import type { Locator, Page } from '@playwright/test'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { targetFromUrl } from '../../src-main/db/connection'
import { expect, test, type Harness } from './harness'

const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const README_SHOTS = resolve(__dirname, '../../resources/screenshots')
const fmt = (n: number) => n.toLocaleString('en-US')
const PERIOD = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')`

const range = (page: Page) => page.getByTestId('pager-range')
const table = (page: Page) => page.getByTestId('tenant-table')
const search = (page: Page) => page.getByRole('searchbox', { name: 'Search tenants' })
const detail = (page: Page) => page.getByTestId('tenant-detail')
const field = (panel: Locator, name: string) => panel.locator(`[data-field="${name}"]`)

/** Text of one column for the first `n` rendered rows (rows are virtualized: only those near the viewport exist). */
async function column(page: Page, col: string, n: number): Promise<string[]> {
  const texts = await table(page).locator(`[role=row][data-row-id] [data-col="${col}"]`).allTextContents()
  return texts.slice(0, n).map((t) => t.trim())
}

async function count(h: Harness, where = 'true', params: unknown[] = []): Promise<number> {
  const r = await h.sql<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants t WHERE ${where}`, params)
  return r[0]!.n
}

/** What the directory should show for a search: the service matches name, slug, owner email and domain. */
const SEARCH_WHERE = `(t.name ILIKE $1 OR t.slug ILIKE $1 OR t.owner_email ILIKE $1 OR t.custom_domain ILIKE $1)`
const likeOf = (s: string) => '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%'

async function expectRange(page: Page, from: number, to: number, total: number) {
  await expect(range(page)).toHaveText(`${fmt(from)}–${fmt(to)} of ${fmt(total)}`)
  await expect(table(page)).not.toHaveAttribute('aria-busy', 'true')
}

async function openTenant(page: Page, slug: string, id: string) {
  await search(page).fill(slug)
  const row = table(page).locator(`[data-row-id="${id}"]`)
  await row.locator('[data-col="name"]').click()
  await expect(detail(page)).toHaveAttribute('data-tenant-id', id)
  await expect(detail(page).locator('h2')).toBeVisible()
}

test.describe('tenant directory', () => {
  test('lists, searches, filters and clears against the database', async ({ page, harness }) => {
    // Skeleton rows while the first page loads (every request held for a few seconds).
    harness.setLatency(6_000)
    await page.goto(`${harness.origin}/index.html#/tenants`)
    await expect(page.getByTestId('table-skeleton')).toBeVisible()
    harness.setLatency(0)
    const total = await count(harness)
    await expectRange(page, 1, Math.min(50, total), total)
    const firstNames = await harness.sql<{ name: string }>(`SELECT name FROM public.tenants ORDER BY lower(name), id LIMIT 8`)
    expect(await column(page, 'name', 8)).toEqual(firstNames.map((r) => r.name))

    // Search by owner email, custom domain and slug (debounced input, server-side match).
    const [t] = await harness.sql<{ name: string; slug: string; owner_email: string; custom_domain: string }>(
      `SELECT name, slug, owner_email, custom_domain FROM public.tenants WHERE custom_domain IS NOT NULL ORDER BY slug LIMIT 1`
    )
    for (const term of [t!.owner_email, t!.custom_domain, t!.slug, t!.name.slice(0, 5).toUpperCase()]) {
      await search(page).fill(term)
      const n = await count(harness, SEARCH_WHERE, [likeOf(term)])
      await expectRange(page, 1, Math.min(50, n), n)
      if (term !== t!.name.slice(0, 5).toUpperCase()) expect(await column(page, 'name', 50)).toContain(t!.name)
    }

    // Nothing matches: the empty state offers to clear the filters.
    await search(page).fill('zz-no-such-tenant-anywhere')
    await expect(page.getByTestId('empty-state')).toContainText('No tenants match')
    await page.getByTestId('empty-state').getByRole('button', { name: 'Clear filters' }).click()
    await expect(search(page)).toHaveValue('')
    await expectRange(page, 1, Math.min(50, total), total)

    // Filters: options come from tenants:facets (the CHECK constraints).
    const statusGroup = page.getByRole('group', { name: 'Status' })
    const planGroup = page.getByRole('group', { name: 'Plan' })
    await expect(statusGroup.getByRole('button')).toHaveText(['active', 'suspended', 'trial', 'cancelled', 'pending'], { ignoreCase: true })
    await expect(planGroup.getByRole('button')).toHaveText(['free', 'pro', 'enterprise', 'custom'], { ignoreCase: true })
    await statusGroup.getByRole('button', { name: 'suspended' }).click()
    await expect(statusGroup.getByRole('button', { name: 'suspended' })).toHaveAttribute('aria-pressed', 'true')
    const suspended = await count(harness, `t.status = 'suspended'`)
    expect(suspended).toBeGreaterThan(0)
    await expectRange(page, 1, Math.min(50, suspended), suspended)
    expect(new Set(await column(page, 'status', 50))).toEqual(new Set(['suspended']))

    await statusGroup.getByRole('button', { name: 'trial' }).click()
    await planGroup.getByRole('button', { name: 'pro' }).click()
    const both = await count(harness, `t.status IN ('suspended', 'trial') AND t.billing_plan = 'pro'`)
    await expect(range(page)).toHaveText(both === 0 ? 'No tenants' : `1–${fmt(Math.min(50, both))} of ${fmt(both)}`)
    if (both > 0) expect(new Set(await column(page, 'plan', 50))).toEqual(new Set(['pro']))

    await page.getByRole('button', { name: 'Clear filters' }).first().click()
    await expectRange(page, 1, Math.min(50, total), total)
  })

  test('sorts on every column and pages on the server', async ({ page, harness }) => {
    await harness.open()
    const total = await count(harness)
    await expectRange(page, 1, Math.min(50, total), total)

    // Users: first click sorts descending, the second ascending (NULLs last both ways).
    const users = async (dir: 'ASC' | 'DESC') =>
      (
        await harness.sql<{ u: number | null }>(
          `SELECT u.users_total AS u FROM public.tenants t
             LEFT JOIN public.tenant_usage u ON u.tenant_id = t.id AND u.period = ${PERIOD}
            ORDER BY u.users_total ${dir} NULLS LAST, t.id ${dir} LIMIT 6`
        )
      ).map((r) => (r.u === null ? '—' : fmt(r.u)))
    const usersHeader = page.getByRole('columnheader', { name: 'Users' })
    await usersHeader.getByRole('button').click()
    await expect(usersHeader).toHaveAttribute('aria-sort', 'descending')
    await expect.poll(() => column(page, 'usersTotal', 6)).toEqual(await users('DESC'))
    await usersHeader.getByRole('button').click()
    await expect(usersHeader).toHaveAttribute('aria-sort', 'ascending')
    await expect.poll(() => column(page, 'usersTotal', 6)).toEqual(await users('ASC'))

    // Name descending.
    const nameHeader = page.getByRole('columnheader', { name: 'Name' })
    await nameHeader.getByRole('button').click()
    await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending')
    await nameHeader.getByRole('button').click()
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending')
    const desc = await harness.sql<{ name: string }>(`SELECT name FROM public.tenants ORDER BY lower(name) DESC, id DESC LIMIT 6`)
    await expect.poll(() => column(page, 'name', 6)).toEqual(desc.map((r) => r.name))

    // Every column header sorts, both ways, without an error from the server.
    for (const key of ['slug', 'status', 'plan', 'ownerEmail', 'customDomain', 'storageBytes', 'createdAt', 'trialEndsAt', 'lastVerifiedBackupAt']) {
      const btn = table(page).locator(`[data-sort-key="${key}"]`)
      const header = table(page).getByRole('columnheader').filter({ has: page.locator(`[data-sort-key="${key}"]`) })
      await btn.click()
      const first = await header.getAttribute('aria-sort')
      expect(first === 'ascending' || first === 'descending').toBe(true)
      await btn.click()
      await expect(header).toHaveAttribute('aria-sort', first === 'ascending' ? 'descending' : 'ascending')
      await expectRange(page, 1, Math.min(50, total), total)
    }
    const slugHeader = table(page).getByRole('columnheader').filter({ has: page.locator('[data-sort-key="slug"]') })
    await slugHeader.getByRole('button').click()
    await expect(slugHeader).toHaveAttribute('aria-sort', 'ascending')
    const slugs = await harness.sql<{ slug: string }>(`SELECT slug FROM public.tenants ORDER BY slug, id LIMIT 6`)
    await expect.poll(() => column(page, 'slug', 6)).toEqual(slugs.map((r) => r.slug))

    // Rows are virtualized: a page of 100 puts only the rows near the viewport in the DOM.
    await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('100')
    await expectRange(page, 1, Math.min(100, total), total)
    const rendered = await table(page).locator('[role=row][data-row-id]').count()
    expect(rendered).toBeGreaterThan(10)
    if (total >= 100) expect(rendered).toBeLessThan(60)
    await table(page).evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    const lastOnPage = (await harness.sql<{ slug: string }>(`SELECT slug FROM public.tenants ORDER BY slug, id OFFSET $1 LIMIT 1`, [Math.min(100, total) - 1]))[0]!
    await expect(table(page).locator('[data-col="slug"]', { hasText: lastOnPage.slug }).first()).toBeVisible()

    // Pages: size selector, next, last, first; rows come from the server's OFFSET.
    await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('25')
    await expectRange(page, 1, Math.min(25, total), total)
    await page.getByRole('button', { name: 'Next page' }).click()
    await expectRange(page, 26, Math.min(50, total), total)
    const page2 = await harness.sql<{ slug: string }>(`SELECT slug FROM public.tenants ORDER BY slug, id OFFSET 25 LIMIT 5`)
    await expect.poll(() => column(page, 'slug', 5)).toEqual(page2.map((r) => r.slug))
    await page.getByRole('button', { name: 'Last page' }).click()
    const lastStart = Math.floor((total - 1) / 25) * 25 + 1
    await expectRange(page, lastStart, total, total)
    await expect(page.getByTestId('pager')).toContainText(`Page ${Math.ceil(total / 25)} of ${Math.ceil(total / 25)}`)
    await page.getByRole('button', { name: 'First page' }).click()
    await expectRange(page, 1, 25, total)

    // Selection: single rows, then the whole page; it is exposed in the selection bar.
    const rows = table(page).locator('[role=row][data-row-id]')
    await rows.nth(0).getByRole('checkbox').check()
    await rows.nth(2).getByRole('checkbox').check()
    await expect(page.getByTestId('selection-bar')).toContainText('2 tenants selected')
    await expect(detail(page)).toHaveCount(0) // ticking a box does not open the panel
    await page.getByRole('checkbox', { name: 'Select all tenants on this page' }).check()
    await expect(page.getByTestId('selection-bar')).toContainText('25 tenants selected')
    await page.getByRole('checkbox', { name: 'Select all tenants on this page' }).uncheck()
    await expect(page.getByTestId('selection-bar')).toHaveCount(0)
  })

  test('detail panel shows the tenant as the database has it', async ({ page, harness }) => {
    await harness.open()
    await expect(range(page)).toContainText(' of ')
    const [t] = await harness.sql<Record<string, unknown> & { id: string; slug: string }>(
      `SELECT t.*, u.users_total, u.api_calls_total, s.timezone
         FROM public.tenants t
         JOIN public.tenant_usage u ON u.tenant_id = t.id AND u.period = ${PERIOD}
         JOIN public.tenant_settings s ON s.tenant_id = t.id
        WHERE t.stripe_customer_id IS NOT NULL AND t.features IS NOT NULL AND t.branding ? 'primaryColor'
          AND u.users_total IS NOT NULL AND t.schema_name = lower(t.schema_name)
          AND to_regnamespace(t.schema_name) IS NOT NULL
        ORDER BY t.slug LIMIT 1`
    )
    expect(t, 'the seed has a tenant with billing, usage, settings and a schema').toBeTruthy()
    await openTenant(page, t!.slug, t!.id)
    const panel = detail(page)
    await expect(panel.locator('h2')).toHaveText(String(t!.name))
    await expect(field(panel, 'id')).toHaveText(t!.id)
    await expect(field(panel, 'ownerEmail')).toHaveText(String(t!.owner_email))
    await expect(field(panel, 'ownerName')).toHaveText(String(t!.owner_name))
    await expect(field(panel, 'billing.stripeCustomerId')).toHaveText(String(t!.stripe_customer_id))
    await expect(field(panel, 'schemaName')).toHaveText(String(t!.schema_name))
    await expect(field(panel, 'resolvedSchemaName')).toHaveCount(0)
    const [schema] = await harness.sql<{ tables: number }>(
      `SELECT count(*)::int AS tables FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
      [t!.schema_name]
    )
    await expect(field(panel, 'schemaTableCount')).toHaveText(fmt(schema!.tables))
    await expect(panel.getByRole('region', { name: 'Schema' })).toContainText('exists')
    await expect(field(panel, 'settings.timezone')).toHaveText(String(t!.timezone))

    const features = t!.features as Record<string, boolean>
    expect(Object.keys(features)).toHaveLength(21)
    await expect(panel.locator('[data-feature]')).toHaveCount(21)
    await expect(panel.locator('[data-feature][data-on="true"]')).toHaveCount(Object.values(features).filter(Boolean).length)
    const primary = String((t!.branding as Record<string, unknown>).primaryColor)
    await expect(field(panel, 'branding.primaryColor')).toContainText(primary)
    await expect(panel.locator('[data-metric="users"]')).toContainText(fmt(Number(t!.users_total)))
    const limits = t!.limits as Record<string, number>
    await expect(panel.locator('[data-metric="users"]')).toContainText(limits.maxUsers === -1 ? 'of unlimited' : `of ${fmt(limits.maxUsers!)}`)
    await expect(field(panel, 'limits.maxUsers')).toHaveText(limits.maxUsers === -1 ? 'Unlimited' : fmt(limits.maxUsers!))
    await expect(panel.getByRole('region', { name: 'Status' })).toContainText(String(t!.status))

    // Keyboard: down and up move through the rows, Esc closes.
    await search(page).fill('')
    await expect(search(page)).toHaveValue('')
    await expect(table(page)).not.toHaveAttribute('aria-busy', 'true')
    await page.locator('.page-head h1').click() // focus out of the search box
    // Wait until the unfiltered page is back (the search is debounced).
    const rowIds = () => table(page).locator('[role=row][data-row-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-row-id')))
    await expect.poll(async () => (await rowIds()).length).toBeGreaterThan(2)
    const ids = await rowIds()
    // Start from the first row: the virtualized table renders only the rows near the viewport.
    const start = 0
    await table(page).locator(`[data-row-id="${ids[0]}"] [data-col="name"]`).click()
    await expect(detail(page)).toHaveAttribute('data-tenant-id', ids[0]!)
    await page.keyboard.press('ArrowDown')
    await expect(detail(page)).toHaveAttribute('data-tenant-id', ids[start + 1]!)
    await expect(table(page).locator(`[data-row-id="${ids[start + 1]}"]`)).toHaveAttribute('aria-selected', 'true')
    await page.keyboard.press('ArrowUp')
    await expect(detail(page)).toHaveAttribute('data-tenant-id', ids[start]!)
    await page.keyboard.press('Escape')
    await expect(detail(page)).toHaveCount(0)
  })

  test('detail panel copes with the quirks of real deployments', async ({ page, harness }) => {
    const { upperCaseTenantId, missingSchemaTenantId, noSettingsTenantIds } = harness.seed.quirks
    await harness.open()
    await expect(range(page)).toContainText(' of ')
    const slugOf = async (id: string) => (await harness.sql<{ slug: string; schema_name: string }>(`SELECT slug, schema_name FROM public.tenants WHERE id = $1`, [id]))[0]!

    if (upperCaseTenantId) {
      const t = await slugOf(upperCaseTenantId)
      await openTenant(page, t.slug, upperCaseTenantId)
      await expect(field(detail(page), 'schemaName')).toHaveText(t.schema_name)
      await expect(field(detail(page), 'resolvedSchemaName')).toHaveText(t.schema_name.toLowerCase())
      await expect(detail(page).getByRole('region', { name: 'Schema' })).toContainText('exists')
    }
    if (missingSchemaTenantId) {
      const t = await slugOf(missingSchemaTenantId)
      await openTenant(page, t.slug, missingSchemaTenantId)
      await expect(detail(page).getByRole('region', { name: 'Schema' })).toContainText('missing')
      await expect(field(detail(page), 'schemaTableCount')).toHaveText('—')
    }
    const noSettings = noSettingsTenantIds[0]
    if (noSettings) {
      const t = await slugOf(noSettings)
      await openTenant(page, t.slug, noSettings)
      await expect(detail(page).getByRole('region', { name: 'Settings' })).toContainText('no settings row')
    }
  })

  test('database outage: error state and banner, then recovery by Retry and by itself', async ({ page, harness }) => {
    test.skip(!harness.pg.canStop, 'NCHAT_TEST_DATABASE_URL points at a server these tests do not own')
    await harness.open()
    const total = await count(harness)
    await expectRange(page, 1, Math.min(50, total), total)
    const banner = page.getByTestId('db-banner')
    const errorState = page.locator('[data-error-code="DB_UNAVAILABLE"]')

    await harness.pg.stop()
    try {
      await search(page).fill('a') // any new request now fails
      await expect(errorState).toBeVisible()
      await expect(errorState).toContainText('The database cannot be reached')
      await expect(banner).toBeVisible()
      await expect(page.getByTestId('topbar')).toContainText('Not connected')
      mkdirSync(SHOTS, { recursive: true })
      await page.screenshot({ path: join(SHOTS, 'outage.png') })
    } finally {
      await harness.pg.start()
    }
    // Retry (the console may also have got there on its own meanwhile).
    await errorState
      .getByRole('button', { name: 'Retry' })
      .click({ timeout: 2_000 })
      .catch(() => {})
    const n = await count(harness, SEARCH_WHERE, [likeOf('a')])
    await expectRange(page, 1, Math.min(50, n), n)
    await expect(banner).toHaveCount(0)
    await expect(page.getByTestId('topbar')).toContainText('Connected')

    // Second outage: no click at all; the automatic retry brings it back. A search
    // never made before, so the answer cannot come from the query cache.
    await harness.pg.stop()
    try {
      await search(page).fill('e')
      await expect(errorState).toBeVisible()
    } finally {
      await harness.pg.start()
    }
    const ne = await count(harness, SEARCH_WHERE, [likeOf('e')])
    await expectRange(page, 1, Math.min(50, ne), ne)
    await expect(banner).toHaveCount(0)
  })

  test('session:changed refreshes the session and drops every cached query', async ({ page, harness }) => {
    await harness.open()
    await expect(range(page)).toContainText(' of ')
    await expect(page.getByTestId('env-badge')).toHaveCount(0)
    await search(page).fill('alpine')
    await expect(search(page)).toHaveValue('alpine')

    const before = harness.ctx.db.gen
    await harness.switchTarget(
      targetFromUrl(harness.dbUrl, { profile: { id: 'p-prod', name: 'Acme production', environment: 'production', color: '#b42318' } })
    )
    expect(harness.ctx.db.gen).toBeGreaterThan(before)
    await expect(page.getByTestId('session-title')).toHaveText('Acme production')
    await expect(page.getByTestId('env-badge')).toHaveText('production')
    await expect(page.locator('.app')).toHaveAttribute('data-environment', 'production')
    await expect(page.locator('.app')).toHaveCSS('border-top-color', 'rgb(180, 35, 24)')
    // The screen was remounted: the old search is gone and the list was fetched again.
    await expect(search(page)).toHaveValue('')
    const total = await count(harness)
    await expectRange(page, 1, Math.min(50, total), total)
  })
})

test.describe('screenshots', () => {
  test.use({
    target: { profile: { id: 'p-staging', name: 'Staging · eu-west-1', environment: 'staging', color: '#d9822b' } }
  })

  test('directory and detail panel', async ({ page, harness }) => {
    mkdirSync(SHOTS, { recursive: true })
    await harness.open()
    await expect(range(page)).toContainText(' of ')
    await expect(table(page)).not.toHaveAttribute('aria-busy', 'true')
    const rows = table(page).locator('[role=row][data-row-id]')
    await rows.nth(1).getByRole('checkbox').check()
    await rows.nth(3).getByRole('checkbox').check()
    await page.locator('.page-head h1').click()
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'directory.png') })

    await rows.nth(3).getByRole('checkbox').uncheck()
    await rows.nth(1).getByRole('checkbox').uncheck()
    const [rich] = await harness.sql<{ id: string; slug: string }>(
      `SELECT t.id, t.slug FROM public.tenants t
         JOIN public.tenant_usage u ON u.tenant_id = t.id AND u.period = ${PERIOD}
        WHERE t.status = 'active' AND t.billing_plan = 'pro' AND t.stripe_customer_id IS NOT NULL
          AND u.users_total IS NOT NULL AND t.custom_domain IS NOT NULL
        ORDER BY u.api_calls_total DESC NULLS LAST LIMIT 1`
    )
    const target = rich ?? (await harness.sql<{ id: string; slug: string }>(`SELECT id, slug FROM public.tenants ORDER BY slug LIMIT 1`))[0]!
    await openTenant(page, target.slug, target.id)
    await search(page).fill('')
    await expect(range(page)).toHaveText(/^1–50 of /)
    await expect(table(page)).not.toHaveAttribute('aria-busy', 'true')
    await expect(page.getByTestId('detail-skeleton')).toHaveCount(0)
    await page.locator('.page-head h1').click() // focus out of the search box
    // Show the most telling part of the panel: billing, usage against limits, features.
    await detail(page)
      .getByRole('region', { name: 'Plan and billing' })
      .evaluate((el) => {
        const body = el.parentElement as HTMLElement
        body.scrollTop = (el as HTMLElement).offsetTop - body.offsetTop
      })
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'detail.png') })

    // The same view in the OS's dark appearance (not copied to the README).
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SHOTS, 'detail-dark.png') })
    await page.emulateMedia({ colorScheme: 'light' })

    if (process.env.NCHAT_E2E_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(README_SHOTS, { recursive: true })
      copyFileSync(join(SHOTS, 'directory.png'), join(README_SHOTS, 'directory.png'))
      copyFileSync(join(SHOTS, 'detail.png'), join(README_SHOTS, 'detail.png'))
    }
  })
})
