import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { HEALTHY, makePki, startDnsServer, startHttpsServer, type DnsServer, type HttpsServer, type Pki } from '../support/reach-servers'
import { expect, test } from './harness'

/**
 * Reachability end to end, against a local DNS server and a local HTTPS server with a
 * test authority (nothing leaves the machine): the app's health endpoint on the health
 * screen, and "Check reachability" in the tenant detail.
 */
const SHOTS = resolve(__dirname, '../../test-results/screenshots')
const BASE = 'nchat.test'

let pki: Pki
let dns: DnsServer
let web: HttpsServer

test.beforeAll(async () => {
  pki = makePki()
  const wildcard = pki.leaf('wildcard', [BASE, `*.${BASE}`])
  web = await startHttpsServer({ certs: { [BASE]: wildcard, [`*.${BASE}`]: wildcard }, fallback: pki.leaf('other', ['unrelated.test']), replies: { [BASE]: HEALTHY } })
  // Every tenant subdomain is a CNAME to the base domain (the guide's wildcard); custom domains do not exist.
  dns = await startDnsServer({ [BASE]: { A: ['127.0.0.1'] }, [`*.${BASE}`]: { CNAME: BASE } })
})
test.afterAll(async () => {
  await web?.close()
  await dns?.close()
  pki?.remove()
})

test('the health endpoint line and a tenant’s reachability, step by step', async ({ page, harness }) => {
  mkdirSync(SHOTS, { recursive: true })
  const [t] = await harness.sql<{ id: string; slug: string; custom_domain: string }>(
    `SELECT id, slug, custom_domain FROM public.tenants WHERE status = 'active' AND custom_domain IS NOT NULL AND slug ~ '^[a-z0-9-]+$' ORDER BY slug LIMIT 1`
  )
  const sub = `${t!.slug}.${BASE}`
  web.replies[sub] = HEALTHY

  // Without a base domain: not configured.
  await harness.open('health')
  await expect(page.getByTestId('app-endpoint')).toContainText('not configured')

  await harness.switchTarget({ ...harness.ctx.db.target!, baseDomain: BASE, checks: { dnsServer: dns.address, caFile: pki.caFile, httpsPort: web.port } })
  await harness.open('health')
  const line = page.getByTestId('app-endpoint')
  await expect(line).toContainText(`https://${BASE}:${web.port}/api/health`)
  await expect(line).toContainText('up')
  await expect(line).toContainText('HTTP 200')
  await expect(line).toContainText('status “ok”')
  await page.mouse.move(0, 0)
  await page.screenshot({ path: join(SHOTS, 'reach-health.png') })

  await harness.open('tenants')
  await page.getByRole('searchbox', { name: 'Search tenants' }).fill(t!.slug)
  await page.getByTestId('tenant-table').locator(`[data-row-id="${t!.id}"] [data-col="name"]`).click()
  const section = page.getByTestId('tenant-detail').getByTestId('reachability')
  await section.getByRole('button', { name: 'Check reachability' }).click()
  const result = section.getByTestId('reach-result')
  await expect(result).toBeVisible({ timeout: 30_000 })
  // The subdomain passes every step; the custom domain does not exist in DNS.
  const subdomain = result.locator(`[data-host="${sub}"]`)
  await expect(subdomain).toHaveAttribute('data-status', 'pass')
  await expect(subdomain.locator('[data-kind="tls"]')).toContainText(`Valid for ${sub}, trusted`)
  await expect(subdomain.locator('[data-kind="health"]')).toContainText('HTTP 200')
  const custom = result.locator(`[data-host="${t!.custom_domain}"]`)
  await expect(custom).toHaveAttribute('data-status', 'fail')
  await expect(custom.locator('[data-kind="dns"]')).toContainText(`${t!.custom_domain} does not exist in DNS (NXDOMAIN`)
  await expect(custom.locator('[data-kind="dns"]')).toContainText(`Ask the tenant to add the record CNAME ${t!.custom_domain} → ${BASE}`)
  await expect(custom.locator('[data-kind="tls"]')).toHaveAttribute('data-status', 'skipped')
  await section.evaluate((el) => el.scrollIntoView({ block: 'start' }))
  await page.mouse.move(0, 0)
  await page.screenshot({ path: join(SHOTS, 'reach-detail.png') })
  expect(dns.queries).toContain(sub)
  expect(web.requests).toContain(sub)
})
