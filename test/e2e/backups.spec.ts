import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { expect, test } from './harness'

/** Backups end to end: back up one tenant from its panel, see it on the Backups screen, verify it, show it in the folder, back up a selection. */

test.use({ database: 'fresh' })

const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const README_SHOTS = resolve(__dirname, '../../resources/screenshots')

test('back up a tenant and a selection; the Backups screen lists, verifies and shows them', async ({ page, harness }) => {
  const dir = mkdtempSync(join(tmpdir(), 'nchat-e2e-bk-'))
  const [t] = await harness.sql<{ id: string; slug: string }>(
    `SELECT t.id::text, t.slug FROM public.tenants t JOIN pg_namespace n ON n.nspname = t.schema_name ORDER BY t.slug LIMIT 1`
  )
  const file = join(dir, `${t!.slug}.nchatbak`)
  harness.platform.answer('saveDialog', file)
  await harness.open('tenants')
  await page.getByRole('searchbox', { name: 'Search tenants' }).fill(t!.slug)
  await page.getByTestId('tenant-table').locator(`[data-row-id="${t!.id}"] [data-col="name"]`).click()
  await page.getByTestId('tenant-detail').getByTestId('backup-tenant').click()
  await expect(page.getByTestId('tenant-detail')).toContainText('Started: see Backups')
  expect(harness.platform.callsOf('saveDialog')).toHaveLength(1)

  await harness.open('backups')
  const row = page.getByTestId('backup-row').filter({ hasText: `${t!.slug}.nchatbak` })
  await expect(row).toContainText('succeeded', { timeout: 60_000 })
  await expect(row).toContainText('✓ quick')
  expect(existsSync(file)).toBe(true)
  await expect(page.getByTestId('backup-tools')).toContainText('pg_dump 15')

  await row.getByRole('button', { name: 'Verify' }).click()
  await expect(row).toContainText('Checksums match')
  await row.getByRole('button', { name: 'Show in folder' }).click()
  await expect.poll(() => harness.platform.callsOf('showInFolder').length).toBe(1)
  expect(harness.platform.callsOf('showInFolder')[0]).toEqual([file])

  // A selection of three tenants: one batch, a file each, into the chosen folder.
  const batchDir = join(dir, 'batch')
  mkdirSync(batchDir)
  harness.platform.answer('chooseFolder', batchDir)
  await harness.open('tenants')
  const boxes = page.getByTestId('tenant-table').locator('[role=row][data-row-id] input[type=checkbox]')
  for (let i = 0; i < 3; i++) await boxes.nth(i).check()
  await page.getByTestId('backup-selection').click()
  await harness.open('backups')
  await expect(page.getByTestId('batch-row').first()).toContainText('succeeded', { timeout: 90_000 })
  await expect(page.getByTestId('batch-row').first()).toContainText('3')
  await expect(page.getByTestId('backup-job').first()).toBeVisible()

  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, 'backups.png') })
  mkdirSync(README_SHOTS, { recursive: true })
  copyFileSync(join(SHOTS, 'backups.png'), join(README_SHOTS, 'backups.png'))
})

test('restore as a copy from the catalog: progress, a cancel that rolls back, then a restore that lands', async ({ page, harness }) => {
  const [t] = await harness.sql<{ id: string; slug: string }>(
    `SELECT t.id::text, t.slug FROM public.tenants t JOIN pg_namespace n ON n.nspname = t.schema_name ORDER BY t.slug DESC LIMIT 1`
  )
  const rec = await harness.ctx.backups.backupTenantNow(t!.id, { dir: mkdtempSync(join(tmpdir(), 'nchat-e2e-restore-')) })
  const slug = `${t!.slug}-copy`.slice(0, 50)
  // Another session holds public.tenant_settings: the restore loads the schema, then waits there.
  const locker = new pg.Client({ connectionString: harness.dbUrl })
  await locker.connect()
  try {
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE public.tenant_settings IN EXCLUSIVE MODE')
    await harness.open('backups')
    const row = page.getByTestId('backup-row').filter({ hasText: rec.fileName })
    await row.getByRole('button', { name: 'Restore…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Restore backup' })
    await dialog.getByLabel('New slug').fill(slug)
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click()
    const progress = dialog.getByTestId('restore-progress')
    await expect(progress).toBeVisible()
    await expect
      .poll(async () => (await harness.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nchat-console-restore' AND wait_event_type = 'Lock'`)).length, {
        timeout: 30_000
      })
      .toBe(1)
    await expect(progress).toContainText(/Writing\s*the tenant's public rows/)
    await expect(dialog.getByRole('button', { name: 'Cancel', exact: true })).toHaveCount(0)
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, 'restore-progress.png') })
    await progress.getByRole('button', { name: 'Cancel restore' }).click()
    await expect(dialog.getByRole('alert')).toContainText('cancelled and rolled back; nothing was changed')
    expect(await harness.sql(`SELECT 1 FROM public.tenants WHERE slug = $1`, [slug])).toHaveLength(0)
  } finally {
    await locker.query('ROLLBACK').catch(() => {})
    await locker.end()
  }
  const dialog = page.getByRole('dialog', { name: 'Restore backup' })
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click()
  await expect(dialog.getByRole('status')).toContainText(`Restored ${slug} into tenant_`, { timeout: 60_000 })
  expect(await harness.sql(`SELECT 1 FROM public.tenants WHERE slug = $1`, [slug])).toHaveLength(1)
})

test('a tenant whose schema is missing: its backup is marked, verifies deep, and restores its rows only (never as a copy)', async ({ page, harness }) => {
  const [t] = await harness.sql<{ id: string; slug: string }>(
    `SELECT t.id::text, t.slug FROM public.tenants t
      WHERE NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = t.schema_name OR n.nspname = lower(t.schema_name))
      ORDER BY t.slug LIMIT 1`
  )
  expect(t).toBeTruthy()
  const rec = await harness.ctx.backups.backupTenantNow(t!.id, { dir: mkdtempSync(join(tmpdir(), 'nchat-e2e-noschema-')) })
  expect(rec.schemaMissing).toBe(true)
  await harness.open('backups')
  const row = page.getByTestId('backup-row').filter({ hasText: rec.fileName })
  await expect(row.getByTestId('backup-no-schema')).toContainText('no schema')
  await row.getByRole('button', { name: 'Deep' }).click()
  await expect(row).toContainText(/holds no schema: the tenant's schema .* was missing when it was backed up\. Its \d+ public rows were restored into scratch tables/, { timeout: 60_000 })

  await row.getByRole('button', { name: 'Restore…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Restore backup' })
  await expect(dialog.getByTestId('restore-no-schema')).toContainText('There is no schema to restore')
  await expect(dialog.getByRole('radio', { name: /As a new tenant \(copy\)/ })).toBeDisabled()
  await expect(dialog.getByRole('radio', { name: /Into the same tenant/ })).toBeChecked()
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, 'restore-no-schema.png') })
  await dialog.getByLabel(/to confirm/).fill(t!.slug)
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click()
  await expect(dialog.getByRole('status')).toContainText('only its public rows were restored, and the tenant still has no schema', { timeout: 60_000 })
  expect(await harness.sql(`SELECT 1 FROM public.tenants WHERE id = $1`, [t!.id])).toHaveLength(1)
})
