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

    // The orphan, from its finding: backed up (a verified file), then dropped.
    const orphanCard = report.locator('[data-kind="orphan-schema"]')
    await orphanCard.getByRole('button').first().click()
    const row = orphanCard.locator('[data-schema="tenant_zz_orphan"]')
    await row.getByRole('button', { name: 'Back up and drop…' }).click()
    const drop = page.getByTestId('drop-dialog')
    await expect(drop.getByTestId('drop-confirm')).toBeDisabled()
    await drop.getByLabel('Schema name').fill('tenant_zz_orphan')
    await page.screenshot({ path: join(SHOTS, 'health-orphan-drop.png') })
    await drop.getByTestId('drop-confirm').click()
    await expect(row).toContainText('dropped; backup', { timeout: 60_000 })
    const [{ gone, backups }] = (await harness.sql<{ gone: boolean; backups: number }>(
      `SELECT to_regnamespace('tenant_zz_orphan') IS NULL AS gone,
              (SELECT count(*)::int FROM console.backup_catalog WHERE tenant_schema = 'tenant_zz_orphan' AND status = 'succeeded' AND verified_at IS NOT NULL) AS backups`
    )) as [{ gone: boolean; backups: number }]
    expect(gone).toBe(true)
    expect(backups).toBe(1)
  })
})

test.describe('fleet health: checklist and incident mode', () => {
  test.use({ database: 'fresh' })

  test('the guide’s checklist with evidence; incident mode behind a dry-run count and a typed phrase, and its exact undo', async ({ page, harness }) => {
    mkdirSync(SHOTS, { recursive: true })
    // A tenant suspended for another reason before the incident must stay suspended after it.
    const [before] = await harness.sql<{ id: string; slug: string }>(`SELECT id::text, slug FROM public.tenants WHERE status = 'suspended' ORDER BY slug LIMIT 1`)
    await harness.open('health')

    const checklist = page.getByTestId('checklist')
    await expect(checklist.getByTestId('check-line')).toHaveCount(10)
    await expect(checklist.locator('[data-check="wildcard-ssl"]')).toHaveAttribute('data-status', 'cannot-tell')
    await expect(checklist.locator('[data-check="wildcard-ssl"]')).toContainText('not verifiable from the console')
    await expect(checklist.locator('[data-check="rls"]')).toHaveAttribute('data-status', 'pass')
    await expect(checklist.locator('[data-check="rls"]')).toContainText('public.tenants (2 policies)')
    await expect(checklist.locator('[data-check="backups"]')).toHaveAttribute('data-status', /fail|cannot-tell/)
    await checklist.scrollIntoViewIfNeeded()
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'health-checklist.png'), fullPage: true })

    // Trials that lapsed before the incident: the lifecycle refuses to reactivate them without a choice.
    const [{ n, lapsed }] = (await harness.sql<{ n: number; lapsed: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'trial' AND trial_ends_at <= now())::int AS lapsed
         FROM public.tenants WHERE status IN ('active', 'trial') AND lower(schema_name) <> 'nchat'`
    )) as [{ n: number; lapsed: number }]
    const incident = page.getByTestId('incident')
    await incident.getByRole('button', { name: 'Start incident mode…' }).click()
    const dialog = page.getByTestId('incident-dialog')
    await expect(dialog.getByTestId('incident-count')).toContainText(`Dry run: ${n.toLocaleString('en-US')} live tenants would be suspended`)
    const confirm = dialog.getByTestId('incident-confirm')
    await expect(confirm).toBeDisabled()
    await dialog.getByLabel('Confirmation phrase').fill(`SUSPEND ${n - 1} TENANTS`)
    await expect(confirm).toBeDisabled()
    await dialog.getByLabel('Incident note').fill('Ticket 4711: tenant A saw tenant B’s channels')
    await dialog.getByLabel('Confirmation phrase').fill(`SUSPEND ${n} TENANTS`)
    await expect(confirm).toBeEnabled()
    await page.screenshot({ path: join(SHOTS, 'health-incident-confirm.png') })
    await confirm.click()

    await expect(incident.getByTestId('incident-started')).toContainText(`Suspended ${n.toLocaleString('en-US')} tenants`)
    await expect(incident.getByTestId('incident-open')).toContainText('security_incident')
    // The audit opens at the policy and search_path findings.
    await expect(page.getByTestId('incident-focus')).toBeVisible({ timeout: 60_000 })
    const [{ live }] = (await harness.sql<{ live: number }>(
      `SELECT count(*)::int AS live FROM public.tenants WHERE status IN ('active', 'trial') AND lower(schema_name) <> 'nchat'`
    )) as [{ live: number }]
    expect(live).toBe(0)
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'health-incident-open.png'), fullPage: true })

    await incident.getByRole('button', { name: 'Reactivate those…' }).click()
    await page.getByTestId('incident-restore-confirm').click()
    const restored = incident.getByTestId('incident-restored')
    await expect(restored).toContainText(`Reactivated ${(n - lapsed).toLocaleString('en-US')} tenants`)
    await expect(restored.locator('.hl-reported li')).toHaveCount(lapsed)
    if (lapsed) await expect(restored.locator('.hl-reported li').first()).toContainText('(refused): Tenant')
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'health-incident-restored.png'), fullPage: true })
    const [{ back }] = (await harness.sql<{ back: number }>(
      `SELECT count(*)::int AS back FROM public.tenants WHERE status IN ('active', 'trial') AND lower(schema_name) <> 'nchat'`
    )) as [{ back: number }]
    expect(back).toBe(n - lapsed)
    if (before) {
      const [still] = await harness.sql<{ status: string }>(`SELECT status FROM public.tenants WHERE id = $1`, [before.id])
      expect(still!.status).toBe('suspended')
    }
  })
})
