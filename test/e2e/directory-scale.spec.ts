import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { buildFleet } from '../../bench/fleet'
import { expect, test } from './harness'

const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const fmt = (n: number) => n.toLocaleString('en-US')

test.use({ database: 'fresh' })

/**
 * The directory on a fleet past the exact-count cap: slow mode says so and links to the
 * Console indexes screen; an admin creates the directory's indexes there; the directory
 * then shows "about N" with the exact count on request, and "select all matching" selects
 * the filter (the bulk dialog shows the exact count, not a list of ids).
 */
test('slow-mode hint, console indexes, about total, exact count, select all matching', async ({ page, harness }) => {
  test.setTimeout(120_000)
  const c = new pg.Client({ connectionString: harness.dbUrl })
  await c.connect()
  try {
    await buildFleet(c, { tenants: 1500, seed: 11, months: 1 })
  } finally {
    await c.end()
  }
  const exact = (await harness.sql<{ n: number }>('SELECT count(*)::int AS n FROM public.tenants'))[0]!.n
  mkdirSync(SHOTS, { recursive: true })

  await harness.open()
  const hint = page.getByTestId('slow-mode')
  await expect(hint).toContainText(/Slow mode: \d+ of the directory's indexes are missing/)
  // Slow mode counts exactly.
  await expect(page.getByTestId('tenant-total')).toHaveText(fmt(exact))
  await page.screenshot({ path: join(SHOTS, 'directory-slow-mode.png') })

  await hint.getByRole('link', { name: 'Open Console indexes' }).click()
  await expect(page.getByRole('heading', { name: 'Console indexes' })).toBeVisible()
  const area = page.getByTestId('ix-area-directory')
  await expect(area).toContainText('0 of')
  await area.getByTestId('ix-create-all-directory').click()
  await expect(area).toContainText(/(\d+) of \1 present/, { timeout: 60_000 })
  await expect(page.getByTestId('ix-nchat_console_tenants_search')).toContainText('present')
  await page.screenshot({ path: join(SHOTS, 'console-indexes.png') })
  const logged = await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM console.operator_log WHERE action = 'indexes.create'`)
  expect(logged[0]!.n).toBeGreaterThan(10)

  await harness.open()
  await expect(hint).toHaveCount(0)
  await expect(page.getByTestId('tenant-total')).toHaveText(/^about [\d,]+$/)
  await expect(page.getByTestId('pager-range')).toContainText('of about')
  await page.getByTestId('exact-count').click()
  await expect(page.getByTestId('tenant-total')).toHaveText(fmt(exact))
  await expect(page.getByTestId('pager-range')).toHaveText(`1–50 of ${fmt(exact)}`)

  // Next pages by keyset, still the database's order.
  await page.getByRole('button', { name: 'Next page' }).click()
  await expect(page.getByTestId('pager-range')).toHaveText(`51–100 of ${fmt(exact)}`)
  const second = await harness.sql<{ name: string }>(`SELECT name FROM public.tenants ORDER BY lower(name), id OFFSET 50 LIMIT 3`)
  const names = await page.getByTestId('tenant-table').locator('[role=row][data-row-id] [data-col="name"]').allTextContents()
  expect(names.slice(0, 3).map((x) => x.trim())).toEqual(second.map((r) => r.name))

  // Select all matching (a filter: suspended tenants).
  await page.getByRole('button', { name: 'First page' }).click()
  await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: 'suspended' }).click()
  const suspended = (await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants WHERE status = 'suspended'`))[0]!.n
  expect(suspended).toBeGreaterThan(50)
  await expect(page.getByTestId('tenant-total')).toHaveText(fmt(suspended))
  await page.getByRole('checkbox', { name: 'Select all tenants on this page' }).check()
  await page.getByTestId('select-all-matching').click()
  await expect(page.getByTestId('selection-count')).toHaveText(`All ${fmt(suspended)} matching tenants selected`)
  await page.getByTestId('lc-bulk-reactivate').click()
  const dialog = page.getByTestId('lc-bulk-dialog')
  await expect(dialog).toContainText(`Reactivate ${fmt(suspended)} tenants`)
  await expect(dialog.getByTestId('lc-bulk-matching')).toContainText(`${fmt(suspended)} suspended`)
  await page.screenshot({ path: join(SHOTS, 'select-all-matching.png') })
  await dialog.getByRole('button', { name: 'Cancel' }).click()
})
