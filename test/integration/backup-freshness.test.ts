import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TenantDetail, TenantPage } from '../../src-preload/contract'
import { createContext } from '../../src-main/context'
import { ConnectionManager, targetFromUrl } from '../../src-main/db/connection'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import type { freshDatabase } from '../support/db'
import { makeTenant, migratedDatabase } from './backup-support'
import { fakeVerifiedBackup } from './lifecycle-support'

/**
 * Backup freshness in the directory: the newest verified backup per tenant (column and
 * sort), the filter "no verified backup in the last N hours", and the detail's newest
 * verified backup. Unverified and failed backups, and files deleted by retention (which
 * lose verified_at), do not count.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
let dbm: ConnectionManager
let registry: Registry
const ids: Record<string, string> = {}

beforeAll(async () => {
  db = await migratedDatabase('fresh')
  c = db.client
  for (const slug of ['fresh', 'stale', 'never', 'unverified']) ids[slug] = await makeTenant(c, slug)
  await fakeVerifiedBackup(c, ids.fresh!, 2)
  await fakeVerifiedBackup(c, ids.fresh!, 30)
  await fakeVerifiedBackup(c, ids.stale!, 50)
  await c.query(
    `INSERT INTO console.backup_catalog (tenant_id, tenant_slug, tenant_schema, file_path, file_name, status, started_at, finished_at)
     VALUES ($1, 'unverified', 'tenant_unverified', '/tmp/u.dump', 'u.dump', 'succeeded', now(), now()),
            ($1, 'unverified', 'tenant_unverified', '/tmp/f.dump', 'f.dump', 'failed', now(), now())`,
    [ids.unverified]
  )
  dbm = new ConnectionManager()
  await dbm.setTarget(targetFromUrl(db.url))
  registry = createRegistry(createContext({ platform: { emit: () => {} }, migrationsDir: '/nonexistent', db: dbm, demo: null }), handlers, () => true)
})

afterAll(async () => {
  await dbm?.close()
  await db?.close()
})

async function list(input: Record<string, unknown>): Promise<TenantPage> {
  const r = await registry.invoke('tenants:list', input, { senderUrl: 'test://' })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.data as TenantPage
}

it('lists the newest verified backup of each tenant and sorts on it', async () => {
  const page = await list({ sort: 'lastVerifiedBackupAt', direction: 'desc' })
  // Newest first; tenants without one last (NULLS LAST).
  expect(page.rows.slice(0, 2).map((r) => r.slug)).toEqual(['fresh', 'stale'])
  const at = Object.fromEntries(page.rows.map((r) => [r.slug, r.lastVerifiedBackupAt]))
  const hoursAgo = (iso: string | null | undefined) => (Date.now() - Date.parse(iso!)) / 3_600_000
  expect(hoursAgo(at.fresh)).toBeGreaterThan(1.9)
  expect(hoursAgo(at.fresh)).toBeLessThan(2.5)
  expect(hoursAgo(at.stale)).toBeGreaterThan(49.9)
  expect(at.never).toBeNull()
  expect(at.unverified).toBeNull()
  expect(new Set(page.rows.slice(2).map((r) => r.slug))).toEqual(new Set(['never', 'unverified']))
})

it('filters tenants with no verified backup in the last N hours', async () => {
  const slugs = async (h: number) => (await list({ noVerifiedBackupWithinHours: h })).rows.map((r) => r.slug).sort()
  expect(await slugs(24)).toEqual(['never', 'stale', 'unverified'])
  expect(await slugs(72)).toEqual(['never', 'unverified'])
  expect(await slugs(1)).toEqual(['fresh', 'never', 'stale', 'unverified'])
  const combined = await list({ noVerifiedBackupWithinHours: 24, search: 'sta' })
  expect(combined.rows.map((r) => r.slug)).toEqual(['stale'])
  expect(combined.total).toBe(1)
  const bad = await registry.invoke('tenants:list', { noVerifiedBackupWithinHours: 0 }, { senderUrl: 'test://' })
  expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
})

it('a backup deleted by retention stops counting', async () => {
  await c.query(`UPDATE console.backup_catalog SET verified_at = NULL, verify_error = 'Deleted by the retention policy' WHERE tenant_id = $1 AND started_at > now() - interval '3 hours'`, [ids.fresh])
  const r = await list({ noVerifiedBackupWithinHours: 24 })
  expect(r.rows.map((x) => x.slug)).toContain('fresh')
})

it('the detail shows the newest verified backup', async () => {
  const r = await registry.invoke('tenants:get', { id: ids.stale }, { senderUrl: 'test://' })
  const d = (r as { data: TenantDetail }).data
  expect(d.newestVerifiedBackup).toMatchObject({ fileName: 'x.dump', verification: 'quick' })
  expect((Date.now() - Date.parse(d.newestVerifiedBackup!.takenAt)) / 3_600_000).toBeGreaterThan(49.9)
  const n = await registry.invoke('tenants:get', { id: ids.never }, { senderUrl: 'test://' })
  expect((n as { data: TenantDetail }).data.newestVerifiedBackup).toBeNull()
})
