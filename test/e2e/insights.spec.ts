import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test } from './harness'

const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const PERIOD = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')`
const fmt = (n: number) => n.toLocaleString('en-US')

test.describe('fleet overview', () => {
  test('the home screen: counts from the database, a chart’s table and CSV, a bar that opens the filtered directory', async ({ page, harness }) => {
    mkdirSync(SHOTS, { recursive: true })
    await harness.open('overview')
    const overview = page.getByTestId('overview')
    await expect(overview).toBeVisible()
    const total = (await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants`))[0]!.n
    await expect(overview.locator('.in-kpi').first()).toContainText(fmt(total))

    // Every status is a bar; its table shows the database's counts.
    const statuses = await harness.sql<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM public.tenants GROUP BY status ORDER BY n DESC, status`)
    const statusCard = page.getByTestId('chart-status')
    await expect(statusCard.locator('.recharts-bar-rectangle')).toHaveCount(statuses.length)
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'overview.png') })
    await page.setViewportSize({ width: 1024, height: 700 })
    await page.screenshot({ path: join(SHOTS, 'overview-1024.png') })
    await page.setViewportSize({ width: 1440, height: 900 })

    await statusCard.getByRole('button', { name: 'Table' }).click()
    const cells = await statusCard.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)))
    expect(cells).toEqual(statuses.map((s) => [s.status.charAt(0).toUpperCase() + s.status.slice(1), fmt(s.n)]))

    // CSV through the native save dialog: main writes exactly the numbers.
    const file = join(tmpdir(), `nchat-status-${process.pid}.csv`)
    rmSync(file, { force: true })
    // The first save chooses the file; the next dialog is closed.
    harness.platform.answer('saveDialog', file, null)
    await statusCard.getByRole('button', { name: 'CSV' }).click()
    await expect(statusCard).toContainText(`Saved ${statuses.length} rows`)
    expect(readFileSync(file, 'utf8')).toBe(['status,tenants', ...statuses.map((s) => `${s.status},${s.n}`), ''].join('\r\n'))
    rmSync(file)
    // A closed dialog saves nothing.
    await statusCard.getByRole('button', { name: 'CSV' }).click()
    await expect(statusCard).not.toContainText('Saved')
    expect(existsSync(file)).toBe(false)

    // Clicking the plan bar of "pro" opens the directory filtered to it.
    const planCard = page.getByTestId('chart-plan')
    const plans = await harness.sql<{ plan: string }>(`SELECT billing_plan AS plan FROM public.tenants GROUP BY 1 ORDER BY count(*) DESC, 1`)
    const proIndex = plans.findIndex((p) => p.plan === 'pro')
    expect(proIndex).toBeGreaterThanOrEqual(0)
    await planCard.locator('.recharts-bar-rectangle').nth(proIndex).click()
    await expect(page).toHaveURL(/#\/tenants\?plan=pro$/)
    const pro = (await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants WHERE billing_plan = 'pro'`))[0]!.n
    await expect(page.getByTestId('pager-range')).toHaveText(new RegExp(` of ${fmt(pro)}$`))
  })

  test("a tenant's usage tab: months against the plan's limits, gaps for months without a row", async ({ page, harness }) => {
    const [t] = await harness.sql<{ id: string; slug: string; months: number }>(
      `SELECT t.id, t.slug, count(u.*)::int AS months FROM public.tenants t JOIN public.tenant_usage u ON u.tenant_id = t.id
        WHERE t.billing_plan = 'pro' AND (t.limits ->> 'maxUsers') IS NOT NULL
        GROUP BY t.id, t.slug HAVING bool_or(u.period = ${PERIOD}) ORDER BY count(u.*) DESC, t.slug LIMIT 1`
    )
    expect(t).toBeTruthy()
    await harness.open('tenants')
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill(t!.slug)
    await page.getByTestId('tenant-table').locator(`[data-row-id="${t!.id}"] [data-col="name"]`).click()
    const panel = page.getByTestId('tenant-detail')
    await panel.getByRole('tab', { name: 'Usage' }).click()
    const tab = panel.getByTestId('usage-tab')
    await expect(tab).toBeVisible()
    // The users chart draws the plan's limit as a line.
    await expect(tab.getByTestId('usage-users').locator('.recharts-reference-line')).toHaveCount(1)
    // The table of the users chart has one row per month of the range (12), '—' where no row exists.
    await tab.getByTestId('usage-users').getByRole('button', { name: 'Table' }).click()
    await expect(tab.getByTestId('usage-users').locator('tbody tr')).toHaveCount(12)
    const reported = await harness.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.tenant_usage WHERE tenant_id = $1 AND period >= to_char((date_trunc('month', now() AT TIME ZONE 'UTC') - interval '11 months'), 'YYYY-MM')`,
      [t!.id]
    )
    const gaps = await tab.getByTestId('usage-users').locator('tbody tr').evaluateAll((rows) => rows.filter((r) => r.querySelectorAll('td')[1]?.textContent === '—').length)
    expect(gaps).toBeGreaterThanOrEqual(12 - reported[0]!.n)
    await tab.getByTestId('usage-users').getByRole('button', { name: 'Chart' }).click()
    await expect(tab.getByTestId('limit-check')).toContainText(/limit/)
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'usage-tab.png') })
    await page.setViewportSize({ width: 1024, height: 700 })
    await page.screenshot({ path: join(SHOTS, 'usage-tab-1024.png') })
  })
})
