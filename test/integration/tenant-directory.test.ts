import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TenantDetail, TenantPage, TenantRow, TenantSortKey } from '../../src-preload/contract'
import { TENANT_SORT_KEYS } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { seedFleet, type SeedSummary } from '../../src-main/seed/generator'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { freePort } from '../support/pg-server'

type Db = Awaited<ReturnType<typeof freshDatabase>>
const N = 60
const meta = { senderUrl: 'file:///test/index.html' }
const GIB = 1024 ** 3

interface Console {
  ctx: AppContext
  registry: Registry
  call<T>(channel: string, input: unknown): Promise<T>
  fail(channel: string, input: unknown): Promise<{ code: string; message: string }>
}

async function consoleFor(url: string): Promise<Console> {
  const ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
  await ctx.db.setTarget(targetFromUrl(url))
  const registry = createRegistry(ctx, handlers, () => true)
  return {
    ctx,
    registry,
    async call<T>(channel: string, input: unknown): Promise<T> {
      const r = await registry.invoke(channel, input, meta)
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.code} ${r.error.message}`)
      return r.data as T
    },
    async fail(channel: string, input: unknown) {
      const r = await registry.invoke(channel, input, meta)
      if (r.ok) throw new Error(`${channel} unexpectedly succeeded`)
      return r.error
    }
  }
}

/** The directory's order, in JS: key, NULLS LAST in both directions, then id in the same direction. */
function expectedOrder(rows: TenantRow[], sort: TenantSortKey, dir: 'asc' | 'desc'): string[] {
  const key = (r: TenantRow): string | number | null => {
    switch (sort) {
      case 'name':
        return r.name.toLowerCase()
      case 'ownerEmail':
        return r.ownerEmail === null ? null : r.ownerEmail.toLowerCase()
      default:
        return r[sort] as string | number | null
    }
  }
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0)
  const sign = dir === 'asc' ? 1 : -1
  return [...rows]
    .sort((x, y) => {
      const a = key(x)
      const b = key(y)
      if (a === null && b === null) return sign * cmp(x.id, y.id)
      if (a === null) return 1
      if (b === null) return -1
      return sign * cmp(a, b) || sign * cmp(x.id, y.id)
    })
    .map((r) => r.id)
}

describe('tenant directory through the real registry (030 layout, seeded fleet)', () => {
  let db: Db
  let c: Console
  let seed: SeedSummary
  let all: TenantRow[]

  beforeAll(async () => {
    db = await freshDatabase('dir')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    seed = await seedFleet(db.client, { tenants: N, seed: 21 })
    c = await consoleFor(db.url)
    const page = await c.call<TenantPage>('tenants:list', { limit: 200 })
    all = page.rows
  })
  afterAll(async () => {
    await c?.ctx.db.close()
    await db?.close()
  })

  it('lists the whole fleet with the default sort and a total', async () => {
    const page = await c.call<TenantPage>('tenants:list', {})
    expect(page.total).toBe(N)
    expect(page.limit).toBe(50)
    expect(page.rows).toHaveLength(50)
    expect(all).toHaveLength(N)
    expect(page.rows.map((r) => r.id)).toEqual(expectedOrder(all, 'name', 'asc').slice(0, 50))
    // No console indexes here, but a fleet this small reads in milliseconds: slow mode without a hint.
    expect(page).toMatchObject({ mode: 'slow', slowHint: null, totalExact: true })
  })

  const hits = (term: string) =>
    all
      .filter((r) => [r.name, r.slug, r.ownerEmail, r.customDomain].some((v) => v !== null && v.toLowerCase().includes(term.toLowerCase())))
      .map((r) => r.id)
      .sort()

  it.each([
    ['name, mixed case', () => all.find((r) => r.name.includes(' '))!.name.split(' ')[1]!.toUpperCase()],
    ['slug fragment', () => all.find((r) => r.slug.length > 8)!.slug.slice(2, 7)],
    ['owner email, case-insensitive', () => 'OPS.TEAM@northwind'],
    ['custom domain', () => all.find((r) => r.customDomain && !r.customDomain.includes('northwind'))!.customDomain!.slice(5)],
    ['a literal %', () => '%'],
    ['a literal _', () => '_'],
    ['a backslash', () => '\\'],
    ['nothing matches', () => 'zz-no-such-tenant-zz']
  ])('searches by %s', async (_what, termOf) => {
    const term = termOf()
    const page = await c.call<TenantPage>('tenants:list', { search: term, limit: 200 })
    expect(page.rows.map((r) => r.id).sort()).toEqual(hits(term))
    expect(page.total).toBe(hits(term).length)
  })

  it('matches % and _ literally, not as wildcards', async () => {
    const pct = await c.call<TenantPage>('tenants:list', { search: '100%' })
    expect(pct.rows.map((r) => r.name)).toEqual(['100% Uptime Co'])
    const und = await c.call<TenantPage>('tenants:list', { search: 'r_s' })
    expect(und.rows.map((r) => r.name)).toEqual(['Under_score Labs'])
    const both = await c.call<TenantPage>('tenants:list', { search: 'Under%Labs' })
    expect(both.total).toBe(0)
    // No match may span two fields (name + slug here), control characters or not.
    expect((await c.call<TenantPage>('tenants:list', { search: 'Labs\u0001underscore' })).total).toBe(0)
    expect((await c.call<TenantPage>('tenants:list', { search: 'labs underscore' })).total).toBe(0)
    const trimmed = await c.call<TenantPage>('tenants:list', { search: '   ' })
    expect(trimmed.total).toBe(N)
  })

  it('filters by status and plan, alone and together with a search', async () => {
    for (const statuses of [['trial'], ['suspended', 'cancelled'], ['pending']]) {
      const page = await c.call<TenantPage>('tenants:list', { statuses, limit: 200 })
      expect(page.total).toBe(all.filter((r) => statuses.includes(r.status)).length)
      expect(page.total).toBeGreaterThan(0)
      expect(page.rows.every((r) => statuses.includes(r.status))).toBe(true)
    }
    for (const plans of [['free'], ['enterprise', 'custom']]) {
      const page = await c.call<TenantPage>('tenants:list', { plans, limit: 200 })
      expect(page.total).toBe(all.filter((r) => plans.includes(r.plan!)).length)
      expect(page.rows.every((r) => plans.includes(r.plan!))).toBe(true)
    }
    const combo = await c.call<TenantPage>('tenants:list', { statuses: ['active'], plans: ['pro'], search: 'e', limit: 200 })
    const want = all.filter((r) => r.status === 'active' && r.plan === 'pro' && hits('e').includes(r.id))
    expect(combo.rows.map((r) => r.id).sort()).toEqual(want.map((r) => r.id).sort())
  })

  it('rejects filter values the database does not know', async () => {
    expect((await c.fail('tenants:list', { statuses: ['archived'] })).code).toBe('INVALID_INPUT')
    expect((await c.fail('tenants:list', { plans: ['starter'] })).code).toBe('INVALID_INPUT')
  })

  it.each(TENANT_SORT_KEYS.flatMap((k) => [[k, 'asc'] as const, [k, 'desc'] as const]))('sorts by %s %s', async (sort, direction) => {
    const page = await c.call<TenantPage>('tenants:list', { sort, direction, limit: 200 })
    expect(page.rows.map((r) => r.id)).toEqual(expectedOrder(all, sort, direction))
  })

  it('pages through the fleet without gaps or repeats, with a stable total', async () => {
    const seen: string[] = []
    for (let offset = 0; offset < N + 7; offset += 7) {
      const page = await c.call<TenantPage>('tenants:list', { sort: 'createdAt', direction: 'desc', offset, limit: 7 })
      expect(page.total).toBe(N)
      expect(page.offset).toBe(offset)
      expect(page.rows.length).toBeLessThanOrEqual(7)
      seen.push(...page.rows.map((r) => r.id))
    }
    expect(seen).toEqual(expectedOrder(all, 'createdAt', 'desc'))
    const past = await c.call<TenantPage>('tenants:list', { offset: 5_000, statuses: ['trial'] })
    expect(past.rows).toEqual([])
    expect(past.total).toBe(all.filter((r) => r.status === 'trial').length)
  })

  it('shows a normal tenant with its schema, usage against limits and settings', async () => {
    const row = all.find((r) => r.plan === 'free' && r.usersTotal !== null && !seed.quirks.noSettingsTenantIds.includes(r.id) && r.id !== seed.quirks.demoTenantId)!
    const d = await c.call<TenantDetail>('tenants:get', { id: row.id })
    expect(d.id).toBe(row.id)
    expect(d.schemaExists).toBe(true)
    expect(d.resolvedSchemaName).toBe(row.schemaName)
    expect(d.schemaTableCount).toBe(10)
    expect(d.schemaSizeBytes).toBeGreaterThan(0)
    const users = d.usage.find((u) => u.key === 'users')!
    expect(users).toMatchObject({ used: row.usersTotal, limit: 10 })
    expect(d.usage.find((u) => u.key === 'storage')).toMatchObject({ used: row.storageBytes, limit: GIB, unit: 'bytes' })
    expect(d.usage.find((u) => u.key === 'apiCalls')!.limit).toBe(1_000)
    expect(d.settings).not.toBeNull()
    expect(d.features && Object.keys(d.features)).toHaveLength(21)
    expect(d.usagePeriod).toMatch(/^\d{4}-\d{2}$/)
  })

  it('resolves an upper-case schema name, reports a missing schema and an empty one', async () => {
    const upper = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.upperCaseTenantId })
    expect(upper.schemaName).toMatch(/[A-Z]/)
    expect(upper.resolvedSchemaName).toBe(upper.schemaName.toLowerCase())
    expect(upper.schemaExists).toBe(true)
    expect(upper.schemaTableCount).toBe(10)

    const missing = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.missingSchemaTenantId })
    expect(missing.schemaExists).toBe(false)
    expect(missing.resolvedSchemaName).toBeNull()
    expect(missing.schemaTableCount).toBeNull()

    const demo = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.demoTenantId })
    expect(demo.schemaExists).toBe(true)
    expect(demo.schemaTableCount).toBe(0)
  })

  it('copes with no usage rows, NULL counters, no settings row and Stripe ids only in metadata', async () => {
    const noUsage = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.noUsageTenantIds[0] })
    expect(noUsage.usage.every((u) => u.used === null)).toBe(true)
    expect(noUsage.usage.find((u) => u.key === 'users')!.limit).not.toBeNull()

    const nulls = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.nullUsageTenantIds[0] })
    expect(nulls.usage.find((u) => u.key === 'users')!.used).toBeNull()

    const noSettings = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.noSettingsTenantIds[0] })
    expect(noSettings.settings).toBeNull()

    const meta = await c.call<TenantDetail>('tenants:get', { id: seed.quirks.stripeMetadataOnlyTenantIds[0] })
    expect(meta.billing.stripeCustomerId).toMatch(/^cus_/)
    expect(meta.billing.stripeSubscriptionId).toMatch(/^sub_/)
    expect(meta.billing.subscriptionStatus).toBe('active')
  })

  it('answers NOT_FOUND for an unknown id', async () => {
    const e = await c.fail('tenants:get', { id: '00000000-0000-4000-8000-000000000000' })
    expect(e.code).toBe('NOT_FOUND')
    expect(e.message).toMatch(/no longer exists/)
  })

  it.each([
    ['a wrong type', 'tenants:list', { limit: 'ten' }],
    ['an unknown key', 'tenants:list', { search: 'a', drop: true }],
    ['a 1 MB string', 'tenants:list', { search: 'x'.repeat(1024 * 1024) }],
    ['a too-long search', 'tenants:list', { search: 'x'.repeat(201) }],
    ['a limit above the cap', 'tenants:list', { limit: 5_000 }],
    ['an unknown sort key', 'tenants:list', { sort: 'password' }],
    ['a bad status value', 'tenants:list', { statuses: ["active'; DROP TABLE x; --"] }],
    ['a non-uuid id', 'tenants:get', { id: 'not-a-uuid' }],
    ['an unknown channel', 'tenants:drop', {}],
    ['a non-object input', 'tenants:list', 'hello']
  ])('answers INVALID_INPUT for %s', async (_what, channel, input) => {
    const e = await c.fail(channel, input)
    expect(e.code).toBe('INVALID_INPUT')
    expect(e.message).not.toMatch(/SELECT|FROM|nchat-test-pw/)
  })

  it('answers DB_UNAVAILABLE when the target points at a closed port', async () => {
    const port = await freePort()
    const down = await consoleFor(`postgresql://postgres:nchat-test-pw@127.0.0.1:${port}/nowhere`)
    try {
      for (const [ch, input] of [
        ['tenants:list', {}],
        ['tenants:get', { id: '00000000-0000-4000-8000-000000000000' }],
        ['tenants:facets', {}]
      ] as const) {
        const e = await down.fail(ch, input)
        expect(e.code).toBe('DB_UNAVAILABLE')
        expect(e.message).not.toContain('nchat-test-pw')
      }
    } finally {
      await down.ctx.db.close()
    }
  })

  it('reports the statuses and plans from the CHECK constraints', async () => {
    const f = await c.call<{ statuses: string[]; plans: string[] }>('tenants:facets', {})
    expect([...f.statuses].sort()).toEqual(['active', 'cancelled', 'pending', 'suspended', 'trial'])
    expect([...f.plans].sort()).toEqual(['custom', 'enterprise', 'free', 'pro'])
  })
})

describe('tenant directory on the newer app layout', () => {
  let db: Db
  let c: Console
  beforeAll(async () => {
    db = await freshDatabase('dir_newer')
    await db.client.query(readFileSync(join(ROOT, 'test/fixtures/app-newer.sql'), 'utf8'))
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    c = await consoleFor(db.url)
  })
  afterAll(async () => {
    await c?.ctx.db.close()
    await db?.close()
  })

  it('takes statuses and plans from the CHECK constraints', async () => {
    const f = await c.call<{ statuses: string[]; plans: string[] }>('tenants:facets', {})
    expect([...f.statuses].sort()).toEqual(['active', 'cancelled', 'suspended', 'trial'])
    expect([...f.plans].sort()).toEqual(['business', 'enterprise', 'free', 'pro', 'starter'])
    expect((await c.fail('tenants:list', { statuses: ['pending'] })).code).toBe('INVALID_INPUT')
  })

  it('lists, filters, sorts and searches (custom domains come from tenant_domains)', async () => {
    const page = await c.call<TenantPage>('tenants:list', {})
    expect(page.total).toBe(5)
    // The migration's own default tenant is listed; 'Pied_Piper' keeps its case (its schema is lower case).
    expect(page.rows.map((r) => r.slug)).toEqual(['default', 'hooli', 'Pied_Piper', 'umbrella', 'vandelay'])
    const umbrella = page.rows.find((r) => r.slug === 'umbrella')!
    expect(umbrella).toMatchObject({ plan: 'business', customDomain: 'chat.umbrella.example', usersTotal: 120, storageBytes: GIB })
    const business = await c.call<TenantPage>('tenants:list', { plans: ['business', 'starter'], sort: 'plan', direction: 'desc' })
    expect(business.rows.map((r) => r.plan)).toEqual(['starter', 'business'])
    const byDomain = await c.call<TenantPage>('tenants:list', { search: 'CHAT.UMBRELLA' })
    expect(byDomain.rows.map((r) => r.slug)).toEqual(['umbrella'])
    for (const sort of TENANT_SORT_KEYS) {
      const r = await c.call<TenantPage>('tenants:list', { sort, direction: 'desc' })
      expect(r.total).toBe(5)
    }
  })

  it('shows a tenant detail, including one whose schema is missing', async () => {
    const d = await c.call<TenantDetail>('tenants:get', { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' })
    expect(d).toMatchObject({ plan: 'business', schemaExists: true, schemaTableCount: 6, customDomain: 'chat.umbrella.example', templateTenant: null })
    expect(d.billing).toMatchObject({ stripeCustomerId: 'cus_Umbrella1', stripeSubscriptionId: 'sub_Umbrella1', lastPaymentStatus: 'succeeded' })
    const piper = await c.call<TenantDetail>('tenants:get', { id: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd' })
    expect(piper).toMatchObject({ schemaName: 'tenant_Pied_Piper', resolvedSchemaName: 'tenant_pied_piper', schemaExists: true })
    expect(d.usage.find((u) => u.key === 'users')).toMatchObject({ used: 120, limit: 500 })
    const gone = await c.call<TenantDetail>('tenants:get', { id: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' })
    expect(gone.schemaExists).toBe(false)
    expect(gone.billing.stripeCustomerId).toBeNull()
  })
})
