import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IndexInfo, TenantCount, TenantListInput, TenantPage, TenantRow, TenantSortKey } from '../../src-preload/contract'
import { TENANT_SORT_KEYS } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, type Registry, handlers } from '../../src-main/ipc'
import { currentPeriod } from '../../src-main/tenants'
import { COUNT_CAP } from '../../src-main/tenants/fast'
import { listTenants } from '../../src-main/tenants/repository'
import { buildFleet } from '../../bench/fleet'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'
import { lifecycleDatabase } from './lifecycle-support'

const NEWER = readFileSync(join(__dirname, '..', 'fixtures/app-newer.sql'), 'utf8')

/**
 * The directory's fast mode (console indexes present) against today's full scan on the
 * same database: the same rows in the same order for every sort, direction, filter and
 * offset; keyset pages that walk the whole result with nothing skipped or repeated; a
 * jump to page N followed by "next"; totals exact below the cap and an "about" estimate
 * above it, with the exact count on request.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const FLEET = 6000

describe('directory fast mode = full scan (030 layout, 6,000+ tenants)', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  const { call } = registryCalls(() => registry)

  beforeAll(async () => {
    db = await freshDatabase('dirfast')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    await buildFleet(db.client, { tenants: FLEET, seed: 7, months: 3 })
    // Edge cases: LIKE wildcards and a backslash in names, names equal but for case (ties
    // broken by id), a usage row with NULL counters, a tenant with neither domain nor trial.
    await db.client.query(`
      INSERT INTO public.tenants (id, name, slug, status, owner_email, owner_name, schema_name, billing_plan, custom_domain, trial_ends_at)
      VALUES ('00000000-0000-4000-8000-00000000000a', '50%_off Harbor', 'fifty-off', 'active', 'X@Harbor.example', 'X', 'tenant_fifty', 'pro', 'off.example', NULL),
             ('00000000-0000-4000-8000-00000000000b', 'back\\slash', 'back-slash', 'trial', 'b@ex.example', 'B', 'tenant_bs', 'free', NULL, now() + interval '3 days'),
             ('00000000-0000-4000-8000-00000000000c', 'Same Name', 'same-1', 'active', 'same1@ex.example', 'S', 'tenant_s1', 'pro', NULL, NULL),
             ('00000000-0000-4000-8000-00000000000d', 'same name', 'same-2', 'active', 'same2@ex.example', 'S', 'tenant_s2', 'pro', NULL, NULL)`)
    await db.client.query(
      `INSERT INTO public.tenant_usage (tenant_id, period, users_total, storage_bytes) VALUES ('00000000-0000-4000-8000-00000000000c', $1, NULL, NULL)
         ON CONFLICT (tenant_id, period) DO UPDATE SET users_total = NULL, storage_bytes = NULL`,
      [currentPeriod()]
    )
    await db.client.query('ANALYZE public.tenants; ANALYZE public.tenant_usage')
    ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    registry = createRegistry(ctx, handlers, () => true)
    for (const i of await call<IndexInfo[]>('indexes:list', { area: 'directory' })) await call('indexes:create', { name: i.name })
  }, 240_000)

  afterAll(async () => {
    await ctx?.db.close()
    await db?.close()
  })

  /** Today's query, straight from the repository: the reference. */
  async function reference(input: TenantListInput & { offset?: number; limit?: number }): Promise<{ rows: TenantRow[]; total: number }> {
    const layout = await ctx.session.layout()
    return listTenants(ctx.db, layout, {
      search: input.search?.trim() || null,
      statuses: input.statuses?.length ? input.statuses : null,
      plans: input.plans?.length ? input.plans : null,
      sort: input.sort ?? 'name',
      direction: input.direction ?? 'asc',
      offset: input.offset ?? 0,
      limit: input.limit ?? 50,
      period: currentPeriod(),
      noVerifiedBackupWithinHours: input.noVerifiedBackupWithinHours ?? null,
      createdMonth: input.createdMonth ?? null
    })
  }

  const FILTERS: TenantListInput[] = [
    {},
    { search: 'harbor' },
    { search: '50%_' },
    { search: 'back\\s' },
    { search: 'SAME NAME' },
    { statuses: ['suspended'], plans: ['pro', 'custom'] },
    { statuses: ['trial'] },
    { createdMonth: new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 7) },
    { search: 'river', statuses: ['active'] }
  ]

  it('every sort, both directions, each filter: the same rows, order and (exact) totals at offsets 0, 50 and near the end', async () => {
    let compared = 0
    for (const sort of TENANT_SORT_KEYS) {
      for (const direction of ['asc', 'desc'] as const) {
        for (const f of FILTERS) {
          const first = await reference({ ...f, sort, direction })
          for (const offset of [0, 50, Math.max(0, first.total - 30)]) {
            const input = { ...f, sort, direction, offset }
            const want = await reference(input)
            const got = await call<TenantPage>('tenants:list', input)
            if (sort !== 'lastVerifiedBackupAt') expect(got.mode, `${sort}`).toBe('fast')
            expect(got.rows, `${JSON.stringify(input)}`).toEqual(want.rows)
            if (got.totalExact) expect(got.total).toBe(want.total)
            else expect(want.total).toBeGreaterThanOrEqual(COUNT_CAP)
            compared++
          }
        }
      }
    }
    expect(compared).toBe(TENANT_SORT_KEYS.length * 2 * FILTERS.length * 3)
  }, 240_000)

  async function walk(input: TenantListInput, limit: number): Promise<TenantRow[]> {
    const out: TenantRow[] = []
    let page = await call<TenantPage>('tenants:list', { ...input, limit })
    out.push(...page.rows)
    while (page.next) {
      page = await call<TenantPage>('tenants:list', { ...input, limit, offset: out.length, after: page.next })
      out.push(...page.rows)
    }
    return out
  }

  const KEYSET: [TenantSortKey, 'asc' | 'desc', TenantListInput][] = [
    ['name', 'asc', {}],
    ['customDomain', 'asc', {}],
    ['customDomain', 'desc', { statuses: ['active', 'trial'] }],
    ['trialEndsAt', 'desc', {}],
    ['usersTotal', 'desc', { plans: ['pro', 'enterprise'] }],
    ['storageBytes', 'asc', {}],
    ['createdAt', 'desc', { search: 'harbor' }]
  ]

  it('keyset pages walk the whole result: nothing skipped, nothing repeated, the full scan order', async () => {
    for (const [sort, direction, f] of KEYSET) {
      const all = await reference({ ...f, sort, direction, limit: 100_000 })
      const walked = await walk({ ...f, sort, direction }, 200)
      expect(walked.length, `${sort} ${direction}`).toBe(all.rows.length)
      expect(new Set(walked.map((r) => r.id)).size).toBe(walked.length)
      expect(walked.map((r) => r.id)).toEqual(all.rows.map((r) => r.id))
    }
  }, 240_000)

  it('jump to page N (offset), then next (keyset): the full scan pages N and N+1', async () => {
    for (const [sort, direction, f] of KEYSET) {
      for (const pageNo of [0, 7, 29]) {
        const offset = pageNo * 50
        const jumped = await call<TenantPage>('tenants:list', { ...f, sort, direction, offset })
        expect(jumped.rows).toEqual((await reference({ ...f, sort, direction, offset })).rows)
        if (!jumped.next) continue
        const next = await call<TenantPage>('tenants:list', { ...f, sort, direction, offset: offset + 50, after: jumped.next })
        expect(next.rows, `${sort} ${direction} page ${pageNo + 1}`).toEqual((await reference({ ...f, sort, direction, offset: offset + 50 })).rows)
      }
    }
  }, 240_000)

  it('totals: exact below the cap; above it an estimate marked not exact, and the exact count on request', async () => {
    const all = await call<TenantPage>('tenants:list', {})
    const exact = (await reference({})).total
    expect(exact).toBe(FLEET + 4)
    expect(all.totalExact).toBe(false)
    expect(Math.abs(all.total - exact) / exact).toBeLessThan(0.1)
    expect(await call<TenantCount>('tenants:count', {})).toEqual({ total: exact })
    const narrow = await call<TenantPage>('tenants:list', { search: 'harbor' })
    expect(narrow.totalExact).toBe(true)
    expect(narrow.total).toBe((await reference({ search: 'harbor' })).total)
    expect(await call<TenantCount>('tenants:count', { search: 'harbor' })).toEqual({ total: narrow.total })
    // Past the end: no rows, the exact total.
    const past = await call<TenantPage>('tenants:list', { search: 'harbor', offset: 100_000 })
    expect(past.rows).toEqual([])
    expect(past.total).toBe(narrow.total)
  })

  it('without its indexes the directory is in slow mode, says how to leave it, and answers the same', async () => {
    await call('indexes:drop', { name: 'nchat_console_tenants_name_id' })
    try {
      const slow = await call<TenantPage>('tenants:list', { search: 'harbor' })
      expect(slow.mode).toBe('slow')
      expect(slow.slowHint).toMatch(/Slow mode: 1 of the directory's indexes is missing.*Console indexes/)
      expect(slow.totalExact).toBe(true)
      expect(slow.rows).toEqual((await reference({ search: 'harbor' })).rows)
    } finally {
      await call('indexes:create', { name: 'nchat_console_tenants_name_id' })
    }
    expect((await call<TenantPage>('tenants:list', {})).mode).toBe('fast')
  })
})

describe('directory fast mode = full scan (newer layout: domains also in tenant_domains)', () => {
  let db: Awaited<ReturnType<typeof lifecycleDatabase>>
  let ctx: AppContext
  let registry: Registry
  const { call } = registryCalls(() => registry)

  beforeAll(async () => {
    db = await lifecycleDatabase('dirfastn', { template: () => NEWER })
    // 1,500 tenants; every 7th has a domain only in tenant_domains, every 5th the column.
    await db.client.query(`
      INSERT INTO public.tenants (id, name, slug, status, owner_email, owner_name, schema_name, billing_plan, custom_domain, trial_ends_at, created_at)
      SELECT md5('n' || g)::uuid, (ARRAY['Blue','Iron','Quiet'])[1 + g % 3] || ' Harbor ' || g, 'nt-' || g,
             (ARRAY['trial','active','suspended','cancelled'])[1 + g % 4], 'owner' || g || '@n.example', 'O', 'tenant_nt_' || g,
             (ARRAY['free','starter','pro','business','enterprise'])[1 + g % 5],
             CASE WHEN g % 5 = 0 THEN 'col' || g || '.example' END,
             CASE WHEN g % 4 = 0 THEN now() + make_interval(days => g % 30) END, now() - make_interval(days => g)
        FROM generate_series(1, 1500) g`)
    await db.client.query(`
      INSERT INTO public.tenant_domains (tenant_id, domain, verification_token, is_primary)
      SELECT md5('n' || g)::uuid, 'only' || g || '.domains.example', 't' || g, g % 2 = 0 FROM generate_series(7, 1500, 7) g`)
    await db.client.query(`
      INSERT INTO public.tenant_usage (tenant_id, period, users_total, storage_bytes)
      SELECT md5('n' || g)::uuid, $1, g % 97, (g % 13) * 1000 FROM generate_series(1, 1500) g WHERE g % 9 <> 0`,
      [currentPeriod()]
    )
    await db.client.query('ANALYZE')
    ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    registry = createRegistry(ctx, handlers, () => true)
    // Without pg_trgm the search index is offered with the reason, and not asked for.
    const noTrgm = (await call<IndexInfo[]>('indexes:list', { area: 'directory' })).find((s) => s.name === 'nchat_console_tenants_search')!
    expect(noTrgm).toMatchObject({ canCreate: false, reason: expect.stringMatching(/pg_trgm/) })
    expect((await call<{ missing: string[] }>('indexes:status', { area: 'directory' })).missing).not.toContain('nchat_console_tenants_search')
    await db.client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    const specs = await call<IndexInfo[]>('indexes:list', { area: 'directory' })
    expect(specs.some((s) => s.name === 'nchat_console_tenants_custom_domain_id')).toBe(false)
    for (const i of specs) await call('indexes:create', { name: i.name })
  }, 120_000)

  afterAll(async () => {
    await ctx?.db.close()
    await db?.close()
  })

  it('every sort and direction with searches that hit tenant_domains: the same rows; keyset walks equal', async () => {
    const layout = await ctx.session.layout()
    const ref = (input: TenantListInput & { offset?: number; limit?: number }) =>
      listTenants(ctx.db, layout, {
        search: input.search ?? null,
        statuses: input.statuses ?? null,
        plans: input.plans ?? null,
        sort: input.sort ?? 'name',
        direction: input.direction ?? 'asc',
        offset: input.offset ?? 0,
        limit: input.limit ?? 50,
        period: currentPeriod(),
        noVerifiedBackupWithinHours: null,
        createdMonth: null
      })
    for (const sort of TENANT_SORT_KEYS) {
      for (const direction of ['asc', 'desc'] as const) {
        for (const f of [{}, { search: 'domains.example' }, { search: 'only70.' }, { search: 'harbor 1', statuses: ['trial'] }, { plans: ['business'] }] as TenantListInput[]) {
          for (const offset of [0, 100]) {
            const got = await call<TenantPage>('tenants:list', { ...f, sort, direction, offset })
            expect(got.rows, `${sort} ${direction} ${JSON.stringify(f)} ${offset}`).toEqual((await ref({ ...f, sort, direction, offset })).rows)
            expect(got.mode).toBe(sort === 'customDomain' || sort === 'lastVerifiedBackupAt' ? 'slow' : 'fast')
          }
        }
      }
    }
    const onlyDomains = await call<TenantPage>('tenants:list', { search: 'only70.' })
    expect(onlyDomains.rows.map((r) => r.slug)).toEqual(['nt-70'])
    for (const [sort, direction] of [['usersTotal', 'desc'], ['trialEndsAt', 'asc'], ['plan', 'desc']] as const) {
      const all = await ref({ sort, direction, limit: 100_000 })
      const out: TenantRow[] = []
      let page = await call<TenantPage>('tenants:list', { sort, direction, limit: 200 })
      out.push(...page.rows)
      while (page.next) {
        page = await call<TenantPage>('tenants:list', { sort, direction, limit: 200, offset: out.length, after: page.next })
        out.push(...page.rows)
      }
      expect(out.map((r) => r.id)).toEqual(all.rows.map((r) => r.id))
    }
  }, 240_000)
})
