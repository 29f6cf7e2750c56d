import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pg from 'pg'
import type { Page } from '@playwright/test'
import { setLogSink } from '../../src-main/core/logger'
import type { Registry } from '../../src-main/ipc'
import { e2eEnv } from './env'
import { expect, test, type Harness } from './harness'

/**
 * Connection profiles end to end: first run, add a profile, test it, save, connect,
 * the environment colour framing the window, switching, and a canary secret that must
 * never come back from main: not in any IPC answer or event, the DOM, web storage or logs.
 * The keychain is the real Secret Service (the runner wraps tests in scripts/with-keyring.sh).
 */

const CANARY = `Canary-${Math.random().toString(36).slice(2, 10)}-pw`
const STRIPE_CANARY = `sk_test_canary${Math.random().toString(36).slice(2, 12)}`
const ROLE = `e2e_prof_${Math.random().toString(36).slice(2, 8)}`

interface IpcRecord {
  channel: string
  input: unknown
  result: unknown
}

/** Records every request and answer that crosses the (emulated) bridge. */
function recordIpc(registry: Registry): IpcRecord[] {
  const records: IpcRecord[] = []
  const invoke = registry.invoke.bind(registry)
  registry.invoke = async (channel, input, meta) => {
    const result = await invoke(channel, input, meta)
    records.push({ channel, input, result })
    return result
  }
  return records
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: e2eEnv('adminUrl') })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16)
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`
}

async function frameColor(page: Page): Promise<string> {
  return page.locator('.app').evaluate((el) => getComputedStyle(el).borderTopColor)
}

async function fillProfile(page: Page, h: Harness, p: { name: string; env: string; dbUrl: string; password?: string; stripe?: string }) {
  const u = new URL(p.dbUrl)
  await page.getByLabel('Name', { exact: true }).fill(p.name)
  await page.getByLabel('Environment', { exact: true }).selectOption(p.env)
  await page.getByLabel('Host').fill(u.hostname)
  await page.getByLabel('Port').fill(u.port)
  await page.getByLabel('Database', { exact: true }).fill(u.pathname.slice(1))
  await page.getByLabel('User', { exact: true }).fill(ROLE)
  if (p.password) await page.getByTestId('password-input').fill(p.password)
  await page.getByLabel('SSL mode').selectOption('disable')
  await page.getByLabel('Your name').fill('Grace Operator')
  await page.getByLabel('Your email').fill('grace@example.com')
  if (p.stripe) await page.getByTestId('stripeKey-input').fill(p.stripe)
  void h
}

test.describe('connection profiles', () => {
  test.use({ database: 'fresh' })

  test.beforeAll(async () => {
    await admin(async (c) => {
      await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${CANARY}' IN ROLE nchat_console_admin`)
    })
  })
  test.afterAll(async () => {
    await admin((c) => c.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => {}))
  })

  test('first run → add, test, save and connect a profile; switch; the canary never comes back', async ({ page, harness }) => {
    test.setTimeout(120_000)
    const logs: string[] = []
    setLogSink((l) => logs.push(l), 'debug')
    const ipc = recordIpc(harness.registry)
    const sharedUrl = e2eEnv('sharedUrl')
    // A tenant only database A has: it must never show under profile B.
    const [onlyA] = await harness.sql<{ id: string }>(`UPDATE public.tenants SET name = '0000 Only In Database A' WHERE id = (SELECT id FROM public.tenants ORDER BY slug LIMIT 1) RETURNING id`)
    expect(onlyA).toBeTruthy()

    // A new installation: nothing selected, no profile.
    await harness.ctx.db.setTarget(null)
    await page.goto(`${harness.origin}/index.html`)
    await expect(page.getByTestId('first-run')).toBeVisible()
    await expect(page.getByRole('button', { name: /Connect to a database/ })).toBeVisible()
    await expect(page.getByRole('button', { name: /Open the demo/ })).toBeVisible()
    mkdirSync('test-results/screenshots', { recursive: true })
    await page.screenshot({ path: 'test-results/screenshots/first-run.png' })

    // Add a production profile, test it before saving.
    await page.getByRole('button', { name: /Connect to a database/ }).click()
    await fillProfile(page, harness, { name: 'Production EU', env: 'production', dbUrl: harness.dbUrl, password: CANARY, stripe: STRIPE_CANARY })
    await page.getByRole('button', { name: 'Test connection' }).click()
    const report = page.getByTestId('test-report')
    await expect(report).toContainText('Connected to PostgreSQL')
    await expect(report).toContainText(ROLE)
    // A console admin (not the owner) may not read the migrations ledger: said so, no false alarm.
    await expect(page.getByTestId('report-migrations')).toContainText(/All applied|may not read the ledger/)
    await expect(page.getByTestId('report-role')).toContainText('console role: admin')
    await expect(report).toContainText('"nchat" exists')
    await expect(report).toContainText('pg_dump')
    await report.scrollIntoViewIfNeeded()
    await page.screenshot({ path: 'test-results/screenshots/profile-form.png' })

    // Save and connect: the console opens, framed in the production colour.
    await page.getByRole('button', { name: 'Save and connect' }).click()
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible({ timeout: 20_000 })
    await expect(page.locator('.app')).toHaveAttribute('data-environment', 'production')
    await expect(page.getByTestId('env-badge')).toHaveText(/production/i)
    await expect(page.getByTestId('session-title')).toHaveText('Production EU')
    expect(await frameColor(page)).toBe(rgb('#d93f3f'))
    // The home screen is the fleet overview; the directory is one click away.
    await expect(page.getByTestId('overview')).toBeVisible({ timeout: 20_000 })
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' }).click()
    await expect(page.getByTestId('pager-range')).toContainText('of', { timeout: 20_000 })
    await expect(page.getByText('0000 Only In Database A').first()).toBeVisible()

    // A second profile (staging, another database), saved without the demo of a password re-entry.
    await page.goto(`${harness.origin}/index.html#/connections`)
    await expect(page.getByRole('heading', { name: 'Connections' })).toBeVisible()
    await expect(page.getByTestId('profile-Production EU')).toContainText('password in keychain')
    await page.getByRole('button', { name: 'New profile' }).click()
    await fillProfile(page, harness, { name: 'Staging EU', env: 'staging', dbUrl: sharedUrl, password: CANARY })
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    const staging = page.getByTestId('profile-Staging EU')
    await expect(staging).toBeVisible()
    await page.screenshot({ path: 'resources/screenshots/profiles.png' })

    // Switch: the frame turns staging amber, and nothing of database A is shown.
    await staging.getByRole('button', { name: 'Connect' }).click()
    await expect(page.locator('.app')).toHaveAttribute('data-environment', 'staging')
    expect(await frameColor(page)).toBe(rgb('#e0a100'))
    await expect(page.getByTestId('session-title')).toHaveText('Staging EU')
    await page.goto(`${harness.origin}/index.html#/tenants`)
    await expect(page.getByTestId('pager-range')).toContainText('of', { timeout: 20_000 })
    await expect(page.getByText('0000 Only In Database A')).toHaveCount(0)

    // Editing shows only "stored" for each secret, never the value.
    await page.goto(`${harness.origin}/index.html#/connections`)
    await page.getByTestId('profile-Production EU').getByRole('button', { name: 'Edit' }).click()
    await expect(page.getByTestId('password-stored')).toContainText('Stored in the system keychain')
    await expect(page.getByTestId('stripeKey-stored')).toContainText('Stored in the system keychain')

    // The switch was recorded in the operator log of database A, with the operator.
    const rows = await harness.sql<{ action: string; operator_name: string; operator_email: string }>(
      `SELECT action, operator_name, operator_email FROM console.operator_log WHERE action LIKE 'session.%' ORDER BY id`
    )
    expect(rows.map((r) => r.action)).toEqual(['session.open', 'session.close'])
    expect(rows[0]).toMatchObject({ operator_name: 'Grace Operator', operator_email: 'grace@example.com' })

    // The canary: only ever in requests the person typed it into; never in an answer,
    // an event, the DOM, web storage or a log line.
    const secrets = [CANARY, STRIPE_CANARY]
    const carriers = new Set(['profiles:save', 'profiles:test', 'profiles:applyMigrations'])
    expect(ipc.length).toBeGreaterThan(10)
    for (const r of ipc) {
      for (const s of secrets) {
        expect(JSON.stringify(r.result), `answer of ${r.channel}`).not.toContain(s)
        if (!carriers.has(r.channel)) expect(JSON.stringify(r.input), `request ${r.channel}`).not.toContain(s)
      }
    }
    const events = JSON.stringify(harness.platform.emitted)
    const dom = await page.content()
    const inputs = await page.evaluate(() => Array.from(document.querySelectorAll('input')).map((i) => i.value).join('\n'))
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
    for (const s of secrets) {
      expect(events).not.toContain(s)
      expect(dom).not.toContain(s)
      expect(inputs).not.toContain(s)
      expect(storage).not.toContain(s)
      expect(logs.join('\n')).not.toContain(s)
    }

    // Clean up this test's keychain entries.
    const state = await harness.ctx.profiles.state()
    for (const p of state.profiles) await harness.ctx.profiles.remove(p.id)
    harness.ctx.secrets.dispose()
    rmSync(dirname(harness.ctx.profileStore.path), { recursive: true, force: true })
    setLogSink((l) => process.stderr.write(l + '\n'), 'info')
  })
})

test('first run → open the demo: the embedded database starts and the directory opens', async ({ page, harness }) => {
  test.setTimeout(240_000)
  process.env.NCHAT_DEMO_TENANTS = '30' // a small fleet: the app's default takes longer on a busy CI machine
  await harness.ctx.db.setTarget(null)
  await page.goto(`${harness.origin}/index.html`)
  await expect(page.getByTestId('first-run')).toBeVisible()
  await page.getByTestId('open-demo').click()
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible({ timeout: 200_000 })
  await expect(page.locator('.app')).toHaveAttribute('data-environment', 'demo')
  await expect(page.getByTestId('session-title')).toHaveText('Demo')
  await expect(page.getByTestId('overview')).toBeVisible({ timeout: 30_000 })
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' }).click()
  await expect(page.getByTestId('pager-range')).toContainText('of', { timeout: 30_000 })
  await page.screenshot({ path: 'test-results/screenshots/demo.png' })
  const dataDir = harness.ctx.demo!.status().dataDir
  await harness.ctx.profiles.shutdown()
  rmSync(join(dataDir, '..'), { recursive: true, force: true })
  rmSync(dirname(harness.ctx.profileStore.path), { recursive: true, force: true })
})
