import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect, test } from './harness'

const SHOTS = resolve(__dirname, '../../test-results/screenshots')

test.describe('fleet health', () => {
  test.use({ database: 'fresh' })

  test('vital signs, the audit with its findings, and a fix an admin applies', async ({ page, harness }) => {
    mkdirSync(SHOTS, { recursive: true })
    // Hand-made problems: an orphan schema, CREATE for everyone on a tenant schema.
    const [t] = await harness.sql<{ schema_name: string }>(
      `SELECT t.schema_name FROM public.tenants t JOIN pg_namespace n ON n.nspname = t.schema_name WHERE t.status = 'active' ORDER BY t.slug LIMIT 1`
    )
    await harness.sql(`CREATE SCHEMA tenant_zz_orphan; CREATE TABLE tenant_zz_orphan.left_behind (id int)`)
    await harness.sql(`GRANT CREATE ON SCHEMA "${t!.schema_name}" TO PUBLIC`)
    await harness.open('health')
    const vitals = page.getByTestId('health-vitals')
    const [{ active }] = (await harness.sql<{ active: number }>(`SELECT count(*) FILTER (WHERE status = 'active')::int AS active FROM public.tenants`)) as [{ active: number }]
    await expect(vitals).toContainText(`Active tenants${active.toLocaleString('en-US')}`)

    await page.getByRole('button', { name: 'Run the audit' }).click()
    const report = page.getByTestId('audit-report')
    await expect(report).toBeVisible({ timeout: 60_000 })
    const orphan = report.locator('[data-kind="orphan-schema"]')
    await expect(orphan).toContainText('with no tenant row')
    const open = report.locator('[data-kind="public-create"]')
    await open.getByRole('button').first().click()
    await expect(open.getByTestId('fix-sql')).toContainText(`REVOKE CREATE ON SCHEMA "${t!.schema_name}" FROM PUBLIC;`)
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'health.png') })

    await open.getByRole('button', { name: 'Apply this fix…' }).click()
    await open.getByRole('button', { name: 'Apply the fix' }).click()
    await expect(open).toContainText('Applied 1 statements')
    const [{ can }] = (await harness.sql<{ can: boolean }>(`SELECT has_schema_privilege('public', $1::regnamespace, 'CREATE') AS can`, [t!.schema_name])) as [{ can: boolean }]
    expect(can).toBe(false)
    await page.getByRole('button', { name: 'Run the audit again' }).click()
    await expect(report.locator('[data-kind="public-create"]')).toHaveCount(0, { timeout: 60_000 })
    await expect(report.locator('[data-kind="orphan-schema"]')).toHaveCount(1)
  })
})
