import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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
