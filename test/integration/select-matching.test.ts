import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BulkOutcome, TenantMatching, TenantPage } from '../../src-preload/contract'
import { MAX_MATCHING } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { buildFleet } from '../../bench/fleet'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'

/**
 * "Select all matching" in the directory: the renderer sends the filter and the count the
 * operator confirmed, never the ids; main resolves the ids in chunks, refuses when the
 * count changed or exceeds the action's bound, and acts on exactly the matching tenants.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>

describe('select all matching (030 layout, 12,000 tenants)', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  const folders: (string | null)[] = []
  const { call, fail } = registryCalls(() => registry)

  beforeAll(async () => {
    db = await freshDatabase('selall')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    await buildFleet(db.client, { tenants: 12_000, seed: 5, months: 1 })
    const platform = { emit: () => {}, openFolderDialog: async () => folders.shift() ?? null, chooseFolder: async () => folders.shift() ?? null }
    ctx = createContext({ platform: platform as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    registry = createRegistry(ctx, handlers, () => true)
  }, 120_000)

  afterAll(async () => {
    await ctx?.db.close()
    await db?.close()
  })

  const ids = async (where: string, params: unknown[] = []) =>
    (await db.client.query<{ id: string }>(`SELECT id::text AS id FROM public.tenants t WHERE ${where} ORDER BY id`, params)).rows.map((r) => r.id)

  it('tenants:matching counts exactly (by status) and samples by name, for any size', async () => {
    const all = await call<TenantMatching>('tenants:matching', {})
    expect(all.total).toBe(12_000)
    expect(all.byStatus.reduce((s, x) => s + x.count, 0)).toBe(12_000)
    const byStatus = await db.client.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM public.tenants GROUP BY 1`)
    for (const r of byStatus.rows) expect(all.byStatus.find((x) => x.status === r.status)?.count).toBe(r.n)
    const page = await call<TenantPage>('tenants:list', { limit: 20 })
    expect(all.sample.map((s) => s.id)).toEqual(page.rows.map((r) => r.id))
  })

  it('suspends exactly the matching tenants from a filter; the request carries no ids', async () => {
    const filter = { search: 'harbor', statuses: ['active'], plans: ['enterprise'] }
    const want = await ids(`(lower(name) LIKE '%harbor%' OR slug LIKE '%harbor%' OR lower(owner_email) LIKE '%harbor%' OR lower(custom_domain) LIKE '%harbor%') AND status = 'active' AND billing_plan = 'enterprise'`)
    expect(want.length).toBeGreaterThan(10)
    const m = await call<TenantMatching>('tenants:matching', filter)
    expect(m.total).toBe(want.length)
    const input = { matching: filter, expected: m.total, action: 'suspend', reason: 'security_incident' }
    expect(JSON.stringify(input).length).toBeLessThan(300)
    const r = await call<BulkOutcome>('lifecycle:bulk', input)
    expect(r).toMatchObject({ changed: want.length, unchanged: 0, failed: 0 })
    expect(r.results.map((x) => x.id).sort()).toEqual(want)
    expect(await ids(`status = 'suspended' AND id = ANY($1::uuid[])`, [want])).toEqual(want)
  })

  it('refuses when the fleet changed since the confirmation, and changes nothing', async () => {
    const filter = { search: 'canyon', statuses: ['trial'] }
    const m = await call<TenantMatching>('tenants:matching', filter)
    const before = await ids(`status = 'suspended'`)
    const err = await fail('lifecycle:bulk', { matching: filter, expected: m.total + 1, action: 'suspend', reason: 'security_incident' })
    expect(err.code).toBe('CONFLICT')
    expect(err.message).toMatch(new RegExp(`${m.total} tenants match now`))
    expect(await ids(`status = 'suspended'`)).toEqual(before)
  })

  it('refuses a selection above the action bound before touching anything (lifecycle: 5,000)', async () => {
    const before = await ids(`status = 'suspended'`)
    const err = await fail('lifecycle:bulk', { matching: {}, expected: MAX_MATCHING.lifecycle, action: 'suspend', reason: 'security_incident' })
    expect(err.code).toBe('INVALID_INPUT')
    expect(err.message).toMatch(/More than 5,000 tenants match/)
    expect(await ids(`status = 'suspended'`)).toEqual(before)
    // The schema itself caps `expected`.
    expect((await fail('lifecycle:bulk', { matching: {}, expected: 12_000, action: 'suspend', reason: 'security_incident' })).code).toBe('INVALID_INPUT')
  })

  it('backs up all matching (12,000) by filter: resolved in main past the 5,000-id request cap', async () => {
    const m = await call<TenantMatching>('tenants:matching', {})
    // Count changed: refused before the folder dialog.
    expect((await fail('backups:exportMany', { matching: {}, expected: m.total - 1 })).code).toBe('CONFLICT')
    // Right count, folder dialog cancelled: nothing started.
    folders.push(null)
    expect(await call('backups:exportMany', { matching: {}, expected: m.total })).toBeNull()
    const resolved = await ctx.tenants.resolveConfirmed({}, m.total, MAX_MATCHING.backup)
    expect(resolved.length).toBe(12_000)
    expect(new Set(resolved).size).toBe(12_000)
  })
})
