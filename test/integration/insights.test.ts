import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FleetOverview, RefreshProgress, RefreshSummary, TenantUsageHistory } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { InsightsService, monthRange } from '../../src-main/insights'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'

/**
 * Fleet overview, a tenant's usage and refresh usage through the real registry, on a
 * hand-made fleet whose answers are known: NULL counters, a month without rows, an
 * unlimited (-1) limit, check_tenant_limits' `exceeded: null`, a missing and an empty schema.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const meta = { senderUrl: 'file:///test/index.html' }
const GIB = 1024 ** 3
// The clock is real "now": check_tenant_limits reads the database's current month.
const NOW = new Date()
const [M5, M4, M3, M2, M1, M0] = monthRange(NOW, 6) as [string, string, string, string, string, string]
const at = (period: string, day = 10) => `${period}-${String(day).padStart(2, '0')}T12:00:00Z`
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000).toISOString()

const id = {
  a: '11111111-1111-4111-8111-111111111111',
  b: '22222222-2222-4222-8222-222222222222',
  c: '33333333-3333-4333-8333-333333333333',
  d: '44444444-4444-4444-8444-444444444444',
  e: '55555555-5555-4555-8555-555555555555',
  f: '66666666-6666-4666-8666-666666666666',
  g: '77777777-7777-4777-8777-777777777777'
}

async function seed(db: Db): Promise<void> {
  const t = async (tid: string, slug: string, status: string, plan: string, extra: Record<string, unknown>) => {
    const cols = ['id', 'name', 'slug', 'status', 'billing_plan', 'owner_email', 'owner_name', 'schema_name', ...Object.keys(extra)]
    const vals = [tid, `Tenant ${slug}`, slug, status, plan, `${slug}@example.com`, 'Owner', `tenant_${slug}`, ...Object.values(extra)]
    await db.client.query(`INSERT INTO public.tenants (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, vals)
  }
  const proLimits = JSON.stringify({ maxUsers: 100, maxChannels: 10, maxStorageGB: 100, maxApiCallsPerMonth: 50000 })
  await t(id.a, 'alpha', 'active', 'pro', { billing_interval: 'monthly', created_at: at(M5), limits: proLimits })
  await t(id.b, 'bravo', 'active', 'pro', { billing_interval: 'yearly', created_at: at(M3), limits: proLimits })
  await t(id.c, 'charlie', 'active', 'enterprise', { billing_interval: 'monthly', created_at: '2020-01-01T00:00:00Z', metadata: JSON.stringify({ monthlyPriceCents: '12345' }) })
  await t(id.d, 'delta', 'trial', 'free', { created_at: '2020-01-01T00:00:00Z', trial_ends_at: days(3) })
  await t(id.e, 'echo', 'cancelled', 'free', { created_at: at(M4), cancelled_at: at(M1, 20) })
  await t(id.f, 'foxtrot', 'suspended', 'custom', { created_at: at(M0, 1), limits: JSON.stringify({ maxUsers: -1, maxStorageGB: -1, maxApiCallsPerMonth: -1 }) })
  await t(id.g, 'golf', 'trial', 'free', { created_at: '2020-01-01T00:00:00Z', trial_ends_at: days(10) })
  const u = async (tid: string, period: string, v: Record<string, unknown>) => {
    const cols = ['tenant_id', 'period', ...Object.keys(v)]
    await db.client.query(`INSERT INTO public.tenant_usage (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, [tid, period, ...Object.values(v)])
  }
  await u(id.a, M2, { messages_sent: 100, storage_bytes: 1000, users_active: 7, api_calls_by_endpoint: JSON.stringify({ '/api/messages': 40, '/api/users': 10 }) })
  await u(id.b, M2, { messages_sent: null, storage_bytes: 500, users_active: null })
  // M1: no rows at all (a gap). M0: alpha near its user limit and over its API calls.
  await u(id.a, M0, { users_total: 95, api_calls_total: 60000, storage_bytes: null, messages_sent: 3, api_calls_by_endpoint: JSON.stringify({ '/api/messages': 5, junk: 'x' }) })
  await u(id.b, M0, { users_total: null, api_calls_total: 10 })
  await u(id.f, M0, { users_total: 1000, api_calls_total: 999999 })
}

describe('insights through the real registry', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  const events: RefreshProgress[] = []
  const { call, fail } = registryCalls(() => registry)

  beforeAll(async () => {
    db = await freshDatabase('insights')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    await seed(db)
    const platform = {
      emit: (event: string, p: unknown) => {
        if (event !== 'insights:progress') return
        events.push(p as RefreshProgress)
      }
    }
    ctx = createContext({ platform: platform as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    ctx.insights = new InsightsService(ctx.db, ctx.session, platform as never, { clock: () => NOW, concurrency: 1 })
    registry = createRegistry(ctx, handlers, () => true)
  })
  afterAll(async () => {
    await ctx?.db.close()
    await db?.close()
  })

  it('overview: counts, months with gaps, revenue estimate, trials and limits, with known answers', async () => {
    const o = await call<FleetOverview>('insights:overview', { months: 6 })
    expect(o.tenants).toBe(7)
    expect(o.period).toBe(M0)
    expect(o.byStatus).toEqual([
      { key: 'active', count: 3 },
      { key: 'trial', count: 2 },
      { key: 'cancelled', count: 1 },
      { key: 'suspended', count: 1 }
    ])
    expect(o.byPlan).toEqual([
      { key: 'free', count: 3 },
      { key: 'pro', count: 2 },
      { key: 'custom', count: 1 },
      { key: 'enterprise', count: 1 }
    ])
    expect(o.monthly.map((m) => m.month)).toEqual([M5, M4, M3, M2, M1, M0])
    expect(o.monthly.map((m) => [m.created, m.cancelled])).toEqual([[1, 0], [1, 0], [1, 0], [0, 0], [0, 1], [1, 0]])
    // NULL counters stay out of the sums; a month without rows is null, not zero.
    expect(o.monthly[3]).toMatchObject({ messagesSent: 100, storageBytes: 1500, usersActive: 7, tenantsReporting: 2 })
    expect(o.monthly[4]).toMatchObject({ messagesSent: null, storageBytes: null, usersActive: null, tenantsReporting: 0 })
    expect(o.monthly[5]).toMatchObject({ messagesSent: 3, tenantsReporting: 3 })
    // pro monthly 1500 + pro yearly 15000/12 + an override of 12345 on enterprise.
    expect(o.mrr.totalCents).toBe(1500 + 1250 + 12345)
    expect(o.mrr.byPlan).toEqual([
      { plan: 'enterprise', tenants: 1, cents: 12345 },
      { plan: 'pro', tenants: 2, cents: 2750 }
    ])
    expect(o.mrr.overrides).toBe(1)
    expect(o.mrr.basis).toMatch(/Active tenants only/)
    expect(o.trialsEnding.map((t) => t.slug)).toEqual(['delta'])
    // alpha: API calls over (60000/50000), users near (95/100); foxtrot is unlimited (-1).
    expect(o.limits.rows.map((r) => [r.slug, r.metric, r.over])).toEqual([
      ['alpha', 'apiCalls', true],
      ['alpha', 'users', false]
    ])
    expect(o.limits).toMatchObject({ over: 1, near: 1, truncated: false })
    expect(o.limits.rows[0]!.ratio).toBeCloseTo(1.2)
  })

  it("a month of the chart opens the directory filtered to the tenants created in it", async () => {
    const page = await call<{ rows: { slug: string }[]; total: number }>('tenants:list', { createdMonth: M5 })
    expect(page.rows.map((r) => r.slug)).toEqual(['alpha'])
    expect((await call<{ total: number }>('tenants:list', { createdMonth: M1 })).total).toBe(0)
    expect((await fail('tenants:list', { createdMonth: '2026-13' })).code).toBe('INVALID_INPUT')
  })

  it('a range of 3 months; bad ranges are refused', async () => {
    const o = await call<FleetOverview>('insights:overview', { months: 3 })
    expect(o.monthly.map((m) => m.month)).toEqual([M2, M1, M0])
    expect((await fail('insights:overview', { months: 5 })).code).toBe('INVALID_INPUT')
    expect((await fail('insights:overview', { months: 12, extra: 1 })).code).toBe('INVALID_INPUT')
  })

  it("a tenant's usage: gaps stay gaps, limits become lines (unlimited = none), endpoints summed, exceeded: null means false", async () => {
    const a = await call<TenantUsageHistory>('insights:usage', { id: id.a, months: 3 })
    expect(a.months.map((m) => [m.month, m.reported])).toEqual([[M2, true], [M1, false], [M0, true]])
    expect(a.months[1]).toMatchObject({ usersTotal: null, messagesSent: null, storageBytes: null, apiCalls: null })
    expect(a.months[2]).toMatchObject({ usersTotal: 95, apiCalls: 60000, storageBytes: null })
    expect(a.limits).toEqual({ maxUsers: 100, maxStorageBytes: 100 * GIB, maxApiCallsPerMonth: 50000 })
    expect(a.apiByEndpoint).toEqual([
      { endpoint: '/api/messages', calls: 45 },
      { endpoint: '/api/users', calls: 10 }
    ])
    expect(a.check).toEqual({
      exceeded: true,
      source: 'check_tenant_limits',
      items: [
        { metric: 'users', used: 95, limit: 100, over: false },
        { metric: 'apiCalls', used: 60000, limit: 50000, over: true }
      ]
    })
    // bravo: nothing over, so check_tenant_limits answers exceeded: null.
    const b = await call<TenantUsageHistory>('insights:usage', { id: id.b, months: 3 })
    expect(b.check).toMatchObject({ exceeded: false, source: 'check_tenant_limits' })
    const f = await call<TenantUsageHistory>('insights:usage', { id: id.f, months: 3 })
    expect(f.limits).toEqual({ maxUsers: null, maxStorageBytes: null, maxApiCallsPerMonth: null })
    expect(f.check.items).toEqual([])
    expect((await fail('insights:usage', { id: randomUUID(), months: 3 })).code).toBe('NOT_FOUND')
  })

  describe('refresh usage from the tenant schemas', () => {
    beforeAll(async () => {
      // The app's template (nchat_* names); alpha copied LIKE it, charlie empty, bravo missing.
      await db.client.query(`
        CREATE SCHEMA nchat;
        CREATE TABLE nchat.nchat_users (id serial PRIMARY KEY, email text NOT NULL, last_seen_at timestamptz);
        CREATE TABLE nchat.nchat_channels (id serial PRIMARY KEY, name text);
        CREATE TABLE nchat.nchat_messages (id serial PRIMARY KEY, body text, created_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE nchat.nchat_attachments (id serial PRIMARY KEY, size_bytes bigint);
        CREATE SCHEMA tenant_alpha;
        CREATE TABLE tenant_alpha.nchat_users (LIKE nchat.nchat_users INCLUDING ALL);
        CREATE TABLE tenant_alpha.nchat_messages (LIKE nchat.nchat_messages INCLUDING ALL);
        CREATE TABLE tenant_alpha.nchat_attachments (LIKE nchat.nchat_attachments INCLUDING ALL);
        INSERT INTO tenant_alpha.nchat_users (email, last_seen_at) VALUES ('a@x', now()), ('b@x', now() - interval '400 days'), ('c@x', NULL);
        INSERT INTO tenant_alpha.nchat_messages (body, created_at) VALUES ('1', now()), ('2', now()), ('old', now() - interval '400 days');
        INSERT INTO tenant_alpha.nchat_attachments (size_bytes) VALUES (1000), (2500), (NULL);
        CREATE TABLE tenant_alpha.nchat_channels (LIKE nchat.nchat_channels INCLUDING ALL);
        INSERT INTO tenant_alpha.nchat_channels (name) SELECT 'c' || g FROM generate_series(1, 9) g;
        CREATE SCHEMA tenant_charlie;
        CREATE SCHEMA tenant_delta;
        CREATE TABLE tenant_delta.nchat_users (LIKE nchat.nchat_users INCLUDING ALL);
        INSERT INTO tenant_delta.nchat_users (email) VALUES ('d@x');
      `)
    })

    it('computes this month per tenant, keeps the app counters, reports missing and empty schemas, logs the run', async () => {
      events.length = 0
      const jobId = randomUUID()
      const s = await call<RefreshSummary>('insights:refreshUsage', { jobId, tenantIds: [id.a, id.b, id.c, id.d] })
      expect(s).toMatchObject({ jobId, period: M0, total: 4, refreshed: 2, cancelled: false })
      expect(s.sources).toEqual({ users: 'nchat_users', messages: 'nchat_messages', files: 'nchat_attachments', channels: 'nchat_channels' })
      expect(s.skipped.map((x) => [x.slug, x.reason])).toEqual([
        ['bravo', 'schema-missing'],
        ['charlie', 'schema-empty']
      ])
      const rows = await db.client.query(
        `SELECT t.slug, u.users_total, u.users_active, u.messages_total, u.messages_sent, u.files_count, u.storage_bytes, u.api_calls_total
           FROM public.tenant_usage u JOIN public.tenants t ON t.id = u.tenant_id WHERE u.period = $1 AND t.slug IN ('alpha', 'delta') ORDER BY t.slug`,
        [M0]
      )
      expect(rows.rows).toEqual([
        // alpha's row existed: its API calls (written by nobody but the app) are kept.
        { slug: 'alpha', users_total: 3, users_active: 1, messages_total: 3, messages_sent: 2, files_count: 3, storage_bytes: 3500, api_calls_total: 60000 },
        // delta had no row: inserted, with only the users table its schema has (the rest unknown, not 0).
        { slug: 'delta', users_total: 1, users_active: 0, messages_total: null, messages_sent: null, files_count: null, storage_bytes: null, api_calls_total: 0 }
      ])
      expect(events.at(-1)).toMatchObject({ jobId, total: 4, done: 4, refreshed: 2, skipped: 2, state: 'done' })
      // Channels go to the console's own table (tenant_usage has no column), and the overview
      // compares them with maxChannels: alpha has 9 of 10.
      const channels = await db.client.query(`SELECT tenant_id, channels FROM console.tenant_channel_counts WHERE period = $1`, [M0])
      expect(channels.rows).toEqual([{ tenant_id: id.a, channels: 9 }])
      const o = await call<FleetOverview>('insights:overview', { months: 3 })
      expect(o.limits.rows.find((r) => r.slug === 'alpha' && r.metric === 'channels')).toMatchObject({ used: 9, limit: 10, over: false })
      const logged = await db.client.query(`SELECT action, params, outcome FROM console.operator_log WHERE action = 'usage.refresh'`)
      expect(logged.rows).toHaveLength(1)
      expect(logged.rows[0]).toMatchObject({ outcome: 'ok', params: { period: M0, total: 4, refreshed: 2, skipped: 2, cancelled: false } })
    })

    it('a cancelled refresh finishes the tenant in hand, stops before the next, and says so; no second refresh meanwhile', async () => {
      // Hold alpha's users table so the refresh (one tenant at a time here) waits on it.
      const locker = new pg.Client({ connectionString: db.url })
      await locker.connect()
      await locker.query(`BEGIN; LOCK TABLE tenant_alpha.nchat_users IN ACCESS EXCLUSIVE MODE`)
      const jobId = randomUUID()
      const running = registry.invoke('insights:refreshUsage', { jobId, all: true }, meta)
      try {
        await vi.waitFor(
          async () => {
            const w = await db.client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
            expect(w.rows[0].n).toBe(1)
          },
          { timeout: 20_000 }
        )
        expect(await fail('insights:refreshUsage', { jobId: randomUUID(), all: true })).toMatchObject({ code: 'CONFLICT' })
        expect(await call('insights:cancelRefresh', { jobId })).toEqual({ cancelled: true })
      } finally {
        await locker.query('COMMIT')
        await locker.end()
      }
      const r = await running
      expect(r.ok).toBe(true)
      const s = (r as { data: RefreshSummary }).data
      expect(s).toMatchObject({ total: 7, refreshed: 1, cancelled: true, skipped: [] })
      expect(events.at(-1)).toMatchObject({ jobId, done: 1, state: 'cancelled' })
      const logged = await db.client.query(`SELECT outcome FROM console.operator_log WHERE action = 'usage.refresh' ORDER BY id DESC LIMIT 1`)
      expect(logged.rows[0].outcome).toBe('cancelled')
      expect(await call('insights:cancelRefresh', { jobId })).toEqual({ cancelled: false })
    })

    it('a refresh belongs to its connection: switching mid-way stops it with CONFLICT before the next tenant', async () => {
      const locker = new pg.Client({ connectionString: db.url })
      await locker.connect()
      await locker.query(`BEGIN; LOCK TABLE tenant_alpha.nchat_users IN ACCESS EXCLUSIVE MODE`)
      const before = (await db.client.query(`SELECT count(*)::int AS n FROM console.operator_log WHERE action = 'usage.refresh'`)).rows[0].n
      const running = registry.invoke('insights:refreshUsage', { jobId: randomUUID(), all: true }, meta)
      const target = ctx.db.target!
      try {
        await vi.waitFor(
          async () => {
            const w = await db.client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
            expect(w.rows[0].n).toBe(1)
          },
          { timeout: 20_000 }
        )
        // The switch waits for the old pool's work in hand (alpha) to finish.
        const switching = ctx.db.setTarget({ ...target })
        await locker.query('COMMIT')
        await switching
      } finally {
        await locker.end()
      }
      const r = await running
      expect(r).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
      expect((r as { error: { message: string } }).error.message).toMatch(/connection changed/)
      const after = (await db.client.query(`SELECT count(*)::int AS n FROM console.operator_log WHERE action = 'usage.refresh'`)).rows[0].n
      expect(after).toBe(before)
    })

    it('finds the tables by what the template has: another naming works, an unknown one is refused in words', async () => {
      await db.client.query(`
        CREATE SCHEMA other_tpl;
        CREATE TABLE other_tpl.app_users (id serial PRIMARY KEY, email text);
        CREATE TABLE other_tpl.chat_messages (id serial PRIMARY KEY, created_at timestamptz);
        CREATE SCHEMA bare_tpl;
        CREATE TABLE bare_tpl.things (id int);
      `)
      const target = ctx.db.target!
      await ctx.db.setTarget({ ...target, templateSchema: 'other_tpl' })
      try {
        const s = await call<RefreshSummary>('insights:refreshUsage', { jobId: randomUUID(), tenantIds: [id.a] })
        expect(s.sources).toEqual({ users: 'app_users', messages: 'chat_messages', files: null, channels: null })
        // alpha's schema has nchat_* tables, none of the template's: reported, not failed.
        expect(s.skipped.map((x) => x.reason)).toEqual(['no-known-tables'])
        await ctx.db.setTarget({ ...target, templateSchema: 'bare_tpl' })
        const e = await fail('insights:refreshUsage', { jobId: randomUUID(), all: true })
        expect(e.code).toBe('UNSUPPORTED')
        expect(e.message).toMatch(/template schema "bare_tpl" has no users, messages or attachments table/)
      } finally {
        await ctx.db.setTarget(target)
      }
    })
  })
})
