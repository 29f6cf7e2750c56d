import type { Page } from '@playwright/test'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { targetFromUrl } from '../../src-main/db/connection'
import { expect, test, type Harness } from './harness'

/** Tenant lifecycle end to end: create, suspend with a reason, reactivate, edit, bulk suspend, hard delete. */

test.use({ database: 'fresh' })

const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const README_SHOTS = resolve(__dirname, '../../resources/screenshots')

const search = (page: Page) => page.getByRole('searchbox', { name: 'Search tenants' })
const detail = (page: Page) => page.getByTestId('tenant-detail')
const actions = (page: Page) => page.getByTestId('lc-actions')

async function shot(page: Page, name: string, readme = false) {
  mkdirSync(SHOTS, { recursive: true })
  const file = join(SHOTS, `${name}.png`)
  await page.screenshot({ path: file })
  if (readme) {
    mkdirSync(README_SHOTS, { recursive: true })
    copyFileSync(file, join(README_SHOTS, `${name}.png`))
  }
}

async function openTenant(page: Page, h: Harness, slug: string) {
  const [t] = await h.sql<{ id: string }>('SELECT id FROM public.tenants WHERE slug = $1', [slug])
  await search(page).fill(slug)
  await page.getByTestId('tenant-table').locator(`[data-row-id="${t!.id}"] [data-col="name"]`).click()
  await expect(detail(page)).toHaveAttribute('data-tenant-id', t!.id)
  await expect(actions(page)).toBeVisible()
  return t!.id
}

async function status(h: Harness, slug: string): Promise<string | undefined> {
  return (await h.sql<{ status: string }>('SELECT status FROM public.tenants WHERE slug = $1', [slug]))[0]?.status
}

test('create a tenant, suspend it with a reason, reactivate it, edit its branding with a live preview', async ({ page, harness }) => {
  await harness.open()
  await page.getByTestId('lc-create').click()
  const dlg = page.getByTestId('lc-create-dialog')
  await dlg.getByLabel('Name', { exact: true }).fill('Orbit Labs')
  // The slug follows the name until edited, and is checked while typing.
  await expect(dlg.getByLabel('Slug')).toHaveValue('orbit-labs')
  await dlg.getByLabel('Slug').fill('Orbit')
  await expect(dlg.getByTestId('lc-slug-problem')).toContainText('lower case')
  await expect(dlg.getByTestId('lc-create-submit')).toBeDisabled()
  await dlg.getByLabel('Slug').fill('orbit-labs')
  await expect(dlg).toContainText('tenant_orbit_labs')
  await dlg.getByLabel('Owner name').fill('Ada Orbit')
  await dlg.getByLabel('Owner email').fill('ada@orbit.example')
  await dlg.getByLabel('Plan').selectOption('pro')
  await dlg.getByTestId('lc-create-submit').click()
  await expect(dlg.getByTestId('lc-result')).toContainText('Tenant orbit-labs was created with schema tenant_orbit_labs')
  const [row] = await harness.sql<{ status: string; billing_plan: string; schema_name: string }>(
    `SELECT status, billing_plan, schema_name FROM public.tenants WHERE slug = 'orbit-labs'`
  )
  expect(row).toEqual({ status: 'trial', billing_plan: 'pro', schema_name: 'tenant_orbit_labs' })
  expect((await harness.sql(`SELECT email FROM tenant_orbit_labs.nchat_users`)).length).toBe(1)
  await dlg.getByRole('button', { name: 'Open orbit-labs' }).click()
  await expect(detail(page).locator('h2')).toHaveText('Orbit Labs')
  await expect(actions(page).getByRole('button', { name: 'Suspend' })).toBeEnabled()
  await shot(page, 'lifecycle-actions')

  // Suspend with a reason.
  await actions(page).getByRole('button', { name: 'Suspend' }).click()
  const sd = page.getByTestId('lc-suspend-dialog')
  await expect(sd.getByTestId('lc-confirm')).toBeDisabled()
  await sd.getByLabel('Other (note required)').check()
  await expect(sd.getByTestId('lc-confirm')).toBeDisabled()
  await sd.getByLabel('Payment failure').check()
  await sd.getByLabel('Note', { exact: true }).fill('card declined twice')
  await sd.getByTestId('lc-confirm').click()
  await expect(sd.getByTestId('lc-result')).toContainText('Tenant orbit-labs was suspended')
  await sd.getByRole('button', { name: 'Close' }).last().click()
  expect(await status(harness, 'orbit-labs')).toBe('suspended')
  const audit = await harness.sql<{ details: { reason: string; note: string } }>(
    `SELECT details FROM public.tenant_audit_logs a JOIN public.tenants t ON t.id = a.tenant_id WHERE t.slug = 'orbit-labs' AND a.action = 'tenant.suspend'`
  )
  expect(audit[0]!.details).toMatchObject({ reason: 'payment_failure', note: 'card declined twice' })
  await expect(detail(page).locator('.detail-sub')).toContainText('suspended')

  // Reactivate.
  await actions(page).getByRole('button', { name: 'Reactivate' }).click()
  const rd = page.getByTestId('lc-reactivate-dialog')
  await rd.getByLabel('Owner request').check()
  await rd.getByTestId('lc-confirm').click()
  // It was a trial when suspended (its trial has not ended): it goes back to trial.
  await expect(rd.getByTestId('lc-result')).toContainText('reactivated (back to trial)')
  await rd.getByRole('button', { name: 'Close' }).last().click()
  expect(await status(harness, 'orbit-labs')).toBe('trial')

  // Edit: the preview follows the colour as it is typed.
  await actions(page).getByRole('button', { name: 'Edit' }).click()
  const ed = page.getByTestId('lc-edit-dialog')
  await ed.getByLabel('App name').fill('Orbit Chat')
  await ed.getByLabel('Primary colour', { exact: true }).fill('#aa3355')
  const bar = ed.getByTestId('lc-branding-preview').locator('.lc-preview-bar')
  await expect(bar).toHaveCSS('background-color', 'rgb(170, 51, 85)')
  await expect(bar).toContainText('Orbit Chat')
  await ed.getByLabel('Custom domain').fill('chat.orbit.example.com')
  await shot(page, 'lifecycle-edit')
  await ed.getByTestId('lc-save').click()
  await expect(ed.getByTestId('lc-result')).toContainText('was updated')
  const [b] = await harness.sql<{ branding: Record<string, string>; custom_domain: string }>(`SELECT branding, custom_domain FROM public.tenants WHERE slug = 'orbit-labs'`)
  expect(b!.branding).toMatchObject({ appName: 'Orbit Chat', primaryColor: '#aa3355' })
  expect(b!.custom_domain).toBe('chat.orbit.example.com')
})

test('an edit based on stale data is refused and the current values are shown', async ({ page, harness }) => {
  await harness.open()
  const [t] = await harness.sql<{ slug: string }>(`SELECT slug FROM public.tenants WHERE status = 'active' ORDER BY slug LIMIT 1`)
  await openTenant(page, harness, t!.slug)
  await actions(page).getByRole('button', { name: 'Edit' }).click()
  const ed = page.getByTestId('lc-edit-dialog')
  await expect(ed.getByLabel('Name', { exact: true })).not.toHaveValue('')
  await harness.sql(`UPDATE public.tenants SET name = 'Renamed Elsewhere' WHERE slug = $1`, [t!.slug])
  await ed.getByLabel('Name', { exact: true }).fill('My Edit')
  await ed.getByTestId('lc-save').click()
  await expect(ed.getByTestId('lc-conflict')).toContainText('Renamed Elsewhere')
  expect((await harness.sql<{ name: string }>('SELECT name FROM public.tenants WHERE slug = $1', [t!.slug]))[0]!.name).toBe('Renamed Elsewhere')
})

test('bulk suspend reports each tenant, failures included', async ({ page, harness }) => {
  await harness.open()
  const active = await harness.sql<{ id: string; slug: string }>(`SELECT id, slug FROM public.tenants WHERE status = 'active' ORDER BY slug LIMIT 2`)
  const [cancelled] = await harness.sql<{ id: string; slug: string }>(`SELECT id, slug FROM public.tenants WHERE status = 'cancelled' ORDER BY slug LIMIT 1`)
  for (const t of [...active, cancelled!]) {
    await search(page).fill(t.slug)
    await page.getByTestId('tenant-table').locator(`[data-row-id="${t.id}"]`).getByRole('checkbox').check()
  }
  await expect(page.getByTestId('selection-bar')).toContainText('3 tenants selected')
  await page.getByTestId('lc-bulk-suspend').click()
  const bd = page.getByTestId('lc-bulk-dialog')
  await bd.getByLabel('Security incident').check()
  await bd.getByTestId('lc-confirm').click()
  await expect(bd.getByTestId('lc-bulk-summary')).toContainText('2 suspended, 0 already so, 1 failed')
  await expect(bd.locator(`tr[data-outcome="failed"]`)).toContainText('cancelled')
  await shot(page, 'lifecycle-bulk')
  for (const t of active) expect(await status(harness, t.slug)).toBe('suspended')
  expect(await status(harness, cancelled!.slug)).toBe('cancelled')
})

test('hard delete: shows what will be dropped, needs the typed slug, then drops it', async ({ page, harness }) => {
  await harness.open()
  const [t] = await harness.sql<{ id: string; slug: string; schema_name: string }>(
    `SELECT t.id, t.slug, t.schema_name FROM public.tenants t JOIN pg_namespace n ON n.nspname = t.schema_name
      WHERE t.status = 'active' AND t.schema_name = 'tenant_' || replace(t.slug, '-', '_') ORDER BY t.slug LIMIT 1`
  )
  await harness.sql(`UPDATE public.tenants SET status = 'cancelled', cancelled_at = now() - interval '45 days' WHERE id = $1`, [t!.id])
  await openTenant(page, harness, t!.slug)
  await actions(page).getByRole('button', { name: 'Hard delete…' }).click()
  let dd = page.getByTestId('lc-harddelete-dialog')
  // No verified backup yet: disabled, and it says why.
  await expect(dd.getByTestId('lc-blockers')).toContainText('no verified backup')
  await expect(dd.getByTestId('lc-confirm')).toBeDisabled()
  await dd.getByRole('button', { name: 'Keep tenant' }).click()

  await harness.sql(
    `INSERT INTO console.backup_catalog (tenant_id, tenant_slug, tenant_schema, file_path, file_name, status, finished_at, verified_at, verification)
     VALUES ($1, $2, $3, '/tmp/b.dump', $2 || '.dump', 'succeeded', now() - interval '1 hour', now() - interval '1 hour', 'quick')`,
    [t!.id, t!.slug, t!.schema_name]
  )
  await actions(page).getByRole('button', { name: 'Hard delete…' }).click()
  dd = page.getByTestId('lc-harddelete-dialog')
  const tables = await harness.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [t!.schema_name]
  )
  await expect(dd.getByTestId('lc-drop-tables').locator('tbody tr')).toHaveCount(tables[0]!.n)
  const users = await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${t!.schema_name}".nchat_users`)
  await expect(dd.getByTestId('lc-drop-tables').locator('tbody tr', { hasText: 'nchat_users' }).locator('td').nth(1)).toHaveText(users[0]!.n.toLocaleString('en-US'))
  await dd.getByTestId('lc-confirm-slug').fill(t!.slug.toUpperCase())
  await expect(dd.getByTestId('lc-confirm')).toBeDisabled()
  await dd.getByTestId('lc-confirm-slug').fill(t!.slug)
  await expect(dd.getByTestId('lc-confirm')).toBeEnabled()
  await shot(page, 'lifecycle', true)
  await dd.getByTestId('lc-confirm').click()
  await expect(page.getByTestId('lc-harddelete-dialog').getByTestId('lc-result')).toContainText(`Tenant ${t!.slug}`)
  expect(await harness.sql(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [t!.schema_name])).toEqual([])
  expect(await harness.sql(`SELECT 1 FROM public.tenants WHERE id = $1`, [t!.id])).toEqual([])
  const log = await harness.sql<{ outcome: string }>(`SELECT outcome FROM console.operator_log WHERE tenant_id = $1 AND action = 'tenant.hard_delete' ORDER BY id`, [t!.id])
  expect(log.map((l) => l.outcome)).toContain('ok')
  await page.getByTestId('lc-harddelete-dialog').getByRole('button', { name: 'Close' }).last().click()
  await expect(detail(page)).toHaveCount(0)
})

test('as the support role: admin actions, and backups without BYPASSRLS, are disabled with the reason; suspend works', async ({ page, harness }) => {
  const name = `e2e_support_${Math.random().toString(36).slice(2, 8)}`
  const password = `pw-${Math.random().toString(36).slice(2)}`
  await harness.sql(`CREATE ROLE ${name} LOGIN PASSWORD '${password}' IN ROLE nchat_console_support`)
  try {
    const u = new URL(harness.dbUrl)
    u.username = name
    u.password = password
    await harness.switchTarget(targetFromUrl(u.toString(), { operator: { name: 'Support Person', email: 'support@example.com' } }))
    await harness.open()
    const reason = /Needs the admin console role; the connected database role has the support role/
    await expect(page.getByTestId('lc-create')).toBeDisabled()
    await expect(page.getByTestId('lc-create')).toHaveAttribute('title', reason)

    const [t] = await harness.sql<{ slug: string }>(`SELECT slug FROM public.tenants WHERE status = 'active' ORDER BY slug LIMIT 1`)
    await openTenant(page, harness, t!.slug)
    for (const label of ['Edit', 'Cancel tenant']) {
      const b = actions(page).getByRole('button', { name: label, exact: true })
      await expect(b).toBeDisabled()
      await expect(b).toHaveAttribute('title', reason)
    }
    await expect(page.getByTestId('lc-denied')).toContainText('Needs the admin console role')
    // This login lacks BYPASSRLS and the app's tables use row-level security: no backup can be complete.
    await expect(detail(page).getByTestId('backup-tenant')).toBeDisabled()
    await expect(detail(page).getByTestId('backup-tenant')).toHaveAttribute('title', /BYPASSRLS/)
    await shot(page, 'lifecycle-support-role')
    // What support may do still works, and the database lets it (column grants on tenants).
    await actions(page).getByRole('button', { name: 'Suspend', exact: true }).click()
    const sd = page.getByTestId('lc-suspend-dialog')
    await sd.getByLabel('Payment failure').check()
    await sd.getByTestId('lc-confirm').click()
    await expect.poll(() => status(harness, t!.slug)).toBe('suspended')
  } finally {
    await harness.switchTarget(null).catch(() => {})
    await harness.sql(`DROP OWNED BY ${name}; DROP ROLE ${name}`).catch(() => {})
  }
})
