import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test } from './harness'

const SHOTS = resolve(__dirname, '../../test-results/screenshots')
test.use({ database: 'fresh' })

test.describe('audit trail', () => {
  test("a tenant's history from its detail panel: the timeline, a row's JSON, CSV of the filter", async ({ page, harness }) => {
    mkdirSync(SHOTS, { recursive: true })
    // The tenant with the most app audit rows, plus an operator-log entry of our own.
    const [t] = await harness.sql<{ id: string; slug: string; n: number }>(
      `SELECT t.id::text, t.slug, count(a.*)::int AS n FROM public.tenants t JOIN public.tenant_audit_logs a ON a.tenant_id = t.id
        GROUP BY t.id, t.slug ORDER BY count(a.*) DESC, t.slug LIMIT 1`
    )
    expect(t).toBeTruthy()
    await harness.sql(
      `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, tenant_slug, params) VALUES ('Olivia Ops', 'olivia@ops.example', 'tenant.suspend', $1, $2, '{"reason": "payment_failed"}')`,
      [t!.id, t!.slug]
    )
    const [{ total }] = (await harness.sql<{ total: number }>(
      `SELECT (SELECT count(*) FROM public.tenant_audit_logs WHERE tenant_id = $1) + (SELECT count(*) FROM console.operator_log WHERE tenant_id = $1) AS total`,
      [t!.id]
    )) as [{ total: number }]

    await harness.open('tenants')
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill(t!.slug)
    await page.getByTestId('tenant-table').locator(`[data-row-id="${t!.id}"] [data-col="name"]`).click()
    await page.getByTestId('tenant-detail').getByTestId('tenant-history').click()
    await expect(page).toHaveURL(new RegExp(`#/audit\\?tenant=${t!.id}$`))
    const screen = page.getByTestId('audit')
    await expect(screen.getByLabel('Tenant id')).toHaveValue(t!.id)
    const rows = screen.getByTestId('audit-table').locator('tbody tr[data-row-key]')
    await expect(rows).toHaveCount(Math.min(Number(total), 50))
    // Newest first: our operator-log entry is the top row, marked as the console's.
    await expect(rows.first()).toContainText('Console')
    await expect(rows.first()).toContainText('tenant.suspend')
    await expect(rows.first()).toContainText('Olivia Ops')
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'audit.png') })

    // A row's detail: the whole row as JSON.
    const appRow = rows.filter({ hasText: 'App' }).first()
    await appRow.click()
    const detail = page.getByTestId('audit-detail')
    const key = (await appRow.getAttribute('data-row-key'))!.split(':')[1]!
    await expect(detail.getByTestId('audit-json')).toContainText(`"id": "${key}"`)
    await expect(detail.getByTestId('audit-json')).toContainText(`"tenant_id": "${t!.id}"`)
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'audit-detail.png') })

    // Text search narrows to the operator-log row.
    await screen.getByLabel('Search details').fill('payment_failed')
    await expect(rows).toHaveCount(1)

    // CSV of the current filter through the save dialog.
    const file = join(tmpdir(), `nchat-audit-${process.pid}.csv`)
    rmSync(file, { force: true })
    harness.platform.answer('saveDialog', file, null)
    await screen.getByRole('button', { name: 'Export CSV' }).click()
    await expect(screen.getByTestId('export-result')).toHaveText('Saved 1 rows')
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain('tenant.suspend')
    expect(lines[1]).toContain('payment_failed')
    rmSync(file)
  })

  test('maintenance: a dry run with a sample, then the run changes exactly that many', async ({ page, harness }) => {
    await harness.sql(
      `INSERT INTO public.tenant_invitations (tenant_id, email, token, expires_at) SELECT id, 'late' || g || '@x.example', 'tok-e2e-' || g, now() - interval '1 day'
         FROM (SELECT id FROM public.tenants ORDER BY slug LIMIT 1) t, generate_series(1, 3) g`
    )
    const [{ n }] = (await harness.sql<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenant_invitations WHERE expires_at < now() AND accepted_at IS NULL`)) as [{ n: number }]
    await harness.open('audit')
    await page.getByRole('tab', { name: 'Maintenance' }).click()
    const card = page.getByTestId('job-expired-invitations')
    await card.getByRole('button', { name: 'Dry run' }).click()
    await expect(card.getByTestId('job-count')).toContainText(`${n} `)
    const retire = page.getByTestId('job-retire-cancelled')
    await retire.getByRole('button', { name: 'Dry run' }).click()
    await expect(retire).toContainText("CHECK")
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(SHOTS, 'audit-maintenance.png') })
    await card.getByRole('button', { name: /^Run on/ }).click()
    await card.getByRole('button', { name: /^Confirm/ }).click()
    await expect(card.getByTestId('job-result')).toContainText(`Done: ${n} changed`)
    const [{ left }] = (await harness.sql<{ left: number }>(`SELECT count(*)::int AS left FROM public.tenant_invitations WHERE expires_at < now() AND accepted_at IS NULL`)) as [{ left: number }]
    expect(left).toBe(0)
  })
})
