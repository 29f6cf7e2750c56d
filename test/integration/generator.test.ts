import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { PLAN_IDS, PLANS } from '../../src-main/domain/plans'
import { Rng, seedFleet, type SeedSummary } from '../../src-main/seed/generator'
import { freshDatabase } from '../support/db'
import { ROOT, runCli } from '../support/cli'

type Db = Awaited<ReturnType<typeof freshDatabase>>
const NOW = new Date('2026-11-15T12:00:00Z')
const N = 40
const PUBLIC_TABLES = ['tenants', 'tenant_usage', 'tenant_settings', 'tenant_invitations', 'tenant_audit_logs', 'stripe_webhooks']

async function migrated(prefix: string): Promise<Db> {
  const db = await freshDatabase(prefix)
  await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
  return db
}

/** One fingerprint per app table: every row's text, in id order. */
async function fingerprint(c: pg.Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const t of PUBLIC_TABLES) {
    const r = await c.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) AS h FROM public.${t} x`)
    out[t] = `${r.rows[0].n}:${r.rows[0].h}`
  }
  return out
}

async function tablesOf(c: pg.Client, schema: string): Promise<string[]> {
  const r = await c.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
    [schema]
  )
  return r.rows.map((x) => x.relname)
}

describe('Rng', () => {
  it('is deterministic and makes RFC 4122 v4 uuids', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const xs = Array.from({ length: 50 }, () => a.uuid())
    expect(Array.from({ length: 50 }, () => b.uuid())).toEqual(xs)
    for (const u of xs) expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Rng(43).uuid()).not.toBe(xs[0])
  })

  it('gives 10,000 tenant streams that never repeat a uuid (a 32-bit generator did)', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      const r = new Rng(1, 0x7e4a47, 0, i)
      for (let k = 0; k < 12; k++) seen.add(r.uuid())
    }
    expect(seen.size).toBe(120_000)
  })
})

describe('seedFleet', () => {
  let a: Db
  let b: Db
  let sa: SeedSummary
  let progress: [number, number][] = []
  beforeAll(async () => {
    a = await migrated('gen_a')
    b = await migrated('gen_b')
    progress = []
    sa = await seedFleet(a.client, { tenants: N, seed: 7, now: NOW, onProgress: (d, t) => progress.push([d, t]) })
    await seedFleet(b.client, { tenants: N, seed: 7, now: NOW })
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
  })

  it('gives identical rows (ids included) for the same seed, and reports progress', async () => {
    expect(await fingerprint(a.client)).toEqual(await fingerprint(b.client))
    const ta = await a.client.query('SELECT * FROM public.tenants ORDER BY id')
    const tb = await b.client.query('SELECT * FROM public.tenants ORDER BY id')
    expect(ta.rows).toEqual(tb.rows)
    expect(ta.rows).toHaveLength(N)
    // Chat data inside a tenant schema too.
    const s = ta.rows.find((r) => r.slug === 'underscore-labs')!.schema_name
    const q = `SELECT md5(string_agg(m::text, '|' ORDER BY m.id)) AS h FROM ${s}.nchat_messages m`
    expect((await a.client.query(q)).rows).toEqual((await b.client.query(q)).rows)
    expect(progress[0]).toEqual([0, N])
    expect(progress[progress.length - 1]).toEqual([N, N])
    expect(sa.tenants).toBe(N)
    expect(sa.rows.tenants).toBe(N)
  })

  it('gives a different fleet for another seed', async () => {
    const c = await migrated('gen_c')
    try {
      await seedFleet(c.client, { tenants: 12, seed: 8, now: NOW })
      const ids = (await c.client.query('SELECT id FROM public.tenants')).rows.map((r) => r.id)
      const other = new Set((await a.client.query('SELECT id FROM public.tenants')).rows.map((r) => r.id))
      expect(ids.some((id) => other.has(id))).toBe(false)
    } finally {
      await c.close()
    }
  })

  it('covers every status and plan, with the plan table limits and features', async () => {
    const r = await a.client.query(`SELECT status, billing_plan, limits, features, metadata FROM public.tenants`)
    expect(new Set(r.rows.map((x) => x.status))).toEqual(new Set(['active', 'trial', 'suspended', 'cancelled', 'pending']))
    expect(new Set(r.rows.map((x) => x.billing_plan))).toEqual(new Set(PLAN_IDS))
    for (const x of r.rows) {
      if (x.metadata?.billingPlan) continue // stale typed columns, on purpose
      if (x.billing_plan !== 'custom') expect(x.limits).toEqual(PLANS[x.billing_plan as 'free'].limits)
      expect(x.features).toEqual(PLANS[x.billing_plan as 'free'].features)
      expect(Object.keys(x.features)).toHaveLength(21)
    }
  })

  it('has trials ending soon, custom domains, usage history, invitations, audit rows, webhooks and settings', async () => {
    const c = a.client
    const soon = await c.query(
      `SELECT count(*)::int AS n FROM public.tenants WHERE status = 'trial' AND trial_ends_at BETWEEN $1::timestamptz AND $1::timestamptz + interval '7 days'`,
      [NOW]
    )
    expect(soon.rows[0].n).toBeGreaterThan(0)
    const domains = await c.query(`SELECT count(*)::int AS n FROM public.tenants WHERE custom_domain IS NOT NULL`)
    expect(domains.rows[0].n).toBeGreaterThan(0)
    const months = await c.query<{ n: number; cur: boolean }>(
      `SELECT count(*)::int AS n, bool_or(period = '2026-11') AS cur FROM public.tenant_usage GROUP BY tenant_id`
    )
    for (const m of months.rows) {
      expect(m.n).toBeGreaterThanOrEqual(12)
      expect(m.n).toBeLessThanOrEqual(24)
      expect(m.cur).toBe(true)
    }
    const inv = await c.query(`SELECT count(*) FILTER (WHERE expires_at < $1)::int AS expired, count(*)::int AS n FROM public.tenant_invitations`, [NOW])
    expect(inv.rows[0].expired).toBeGreaterThan(0)
    expect(inv.rows[0].n).toBeGreaterThan(inv.rows[0].expired)
    const audit = await c.query(`SELECT count(DISTINCT tenant_id)::int AS n FROM public.tenant_audit_logs`)
    expect(audit.rows[0].n).toBe(N)
    const hooks = await c.query(
      `SELECT count(*) FILTER (WHERE NOT processed AND error IS NOT NULL)::int AS failed, count(*) FILTER (WHERE processed)::int AS ok FROM public.stripe_webhooks`
    )
    expect(hooks.rows[0].failed).toBeGreaterThan(0)
    expect(hooks.rows[0].ok).toBeGreaterThan(0)
    const settings = await c.query(`SELECT count(*)::int AS n FROM public.tenant_settings`)
    expect(settings.rows[0].n).toBe(N - sa.quirks.noSettingsTenantIds.length)
  })

  it('clones real tenant schemas from the template, with chat data', async () => {
    const c = a.client
    const template = await tablesOf(c, 'nchat')
    expect(template).toEqual(
      // The app's own names (data-model.md section 6), as a real deployment's template has them.
      ['nchat_attachments', 'nchat_audit_logs', 'nchat_channel_members', 'nchat_channels', 'nchat_invites', 'nchat_messages', 'nchat_notifications', 'nchat_reactions', 'nchat_threads', 'nchat_users']
    )
    const rows = await c.query<{ id: string; schema_name: string }>('SELECT id, schema_name FROM public.tenants')
    let checked = 0
    for (const t of rows.rows) {
      if (t.id === sa.quirks.demoTenantId || t.id === sa.quirks.missingSchemaTenantId) continue
      expect(await tablesOf(c, t.schema_name.toLowerCase()), t.schema_name).toEqual(template)
      checked++
    }
    expect(checked).toBe(N - 2)
    // Same structure as the template: foreign keys, triggers and the RLS policy came along.
    const s = rows.rows.find((t) => t.id !== sa.quirks.demoTenantId && t.id !== sa.quirks.missingSchemaTenantId)!.schema_name.toLowerCase()
    const shape = async (schema: string) =>
      (
        await c.query(
          `SELECT (SELECT count(*) FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1 AND co.contype = 'f')::int AS fks,
                  (SELECT count(*) FROM pg_trigger t JOIN pg_class cl ON cl.oid = t.tgrelid JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal)::int AS triggers,
                  (SELECT count(*) FROM pg_policies WHERE schemaname = $1)::int AS policies,
                  (SELECT count(*) FROM pg_indexes WHERE schemaname = $1)::int AS indexes`,
          [schema]
        )
      ).rows[0]
    const tplShape = await shape('nchat')
    expect(tplShape.fks).toBeGreaterThan(5)
    expect(await shape(s)).toEqual(tplShape)
    const data = await c.query(`SELECT (SELECT count(*) FROM ${s}.nchat_messages)::int AS m, (SELECT sum(size_bytes) FROM ${s}.nchat_attachments)::bigint AS bytes`)
    expect(data.rows[0].m).toBeGreaterThan(0)
    expect(Number(data.rows[0].bytes)).toBeGreaterThan(0)
  })

  it('reproduces the quirks of real deployments', async () => {
    const c = a.client
    const q = sa.quirks
    const one = async (id: string | null) => (await c.query('SELECT * FROM public.tenants WHERE id = $1', [id])).rows[0]
    const nsp = async (name: string) => (await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount === 1

    const demo = await one(q.demoTenantId)
    expect(demo.slug).toBe('demo')
    expect(demo.schema_name).toBe('tenant_demo')
    expect(await nsp('tenant_demo')).toBe(true)
    expect(await tablesOf(c, 'tenant_demo')).toEqual([])

    const missing = await one(q.missingSchemaTenantId)
    expect(await nsp(missing.schema_name)).toBe(false)
    expect(await nsp(missing.schema_name.toLowerCase())).toBe(false)

    const upper = await one(q.upperCaseTenantId)
    expect(upper.schema_name).not.toBe(upper.schema_name.toLowerCase())
    expect(upper.slug).toMatch(/[A-Z]/)
    expect(await nsp(upper.schema_name)).toBe(false)
    expect(await nsp(upper.schema_name.toLowerCase())).toBe(true)

    expect(q.orphanSchema).toMatch(/^tenant_orphan_/)
    expect(await nsp(q.orphanSchema!)).toBe(true)
    expect((await c.query('SELECT 1 FROM public.tenants WHERE lower(schema_name) = $1', [q.orphanSchema])).rowCount).toBe(0)

    expect(q.stripeMetadataOnlyTenantIds.length).toBeGreaterThan(0)
    for (const id of q.stripeMetadataOnlyTenantIds) {
      const t = await one(id)
      expect(t.stripe_customer_id).toBeNull()
      expect(t.metadata.stripeCustomerId).toMatch(/^cus_/)
      expect(t.metadata.billingPlan).not.toBe(t.billing_plan)
      expect(t.metadata.lastPaymentStatus).not.toBe(t.last_payment_status)
    }

    for (const id of q.nullUsageTenantIds) {
      const r = await c.query(`SELECT users_total, storage_bytes FROM public.tenant_usage WHERE tenant_id = $1 AND period = '2026-11'`, [id])
      expect(r.rows[0]).toEqual({ users_total: null, storage_bytes: null })
    }
    expect(q.noUsageTenantIds.length).toBeGreaterThanOrEqual(2)
    for (const id of q.noUsageTenantIds) {
      expect((await c.query('SELECT 1 FROM public.tenant_usage WHERE tenant_id = $1', [id])).rowCount).toBe(0)
    }
    expect(q.noSettingsTenantIds.length).toBeGreaterThan(0)
    for (const id of q.noSettingsTenantIds) {
      expect((await c.query('SELECT 1 FROM public.tenant_settings WHERE tenant_id = $1', [id])).rowCount).toBe(0)
    }
    const names = await c.query('SELECT name FROM public.tenants WHERE id = ANY($1) ORDER BY name', [q.wildcardNameTenantIds])
    expect(names.rows.map((r) => r.name)).toEqual(['100% Uptime Co', 'Under_score Labs'])
  })
})

describe('db:seed CLI', () => {
  let db: Db
  beforeAll(async () => {
    db = await freshDatabase('gen_cli')
  })
  afterAll(() => db?.close())

  it('migrates and seeds an empty database, refuses a non-empty one, and appends with --append', async () => {
    const first = await runCli('seed.ts', ['--database-url', db.url, '--tenants', '12', '--seed', '3'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/Migrations: 0001_app_multitenant_030\.sql applied/)
    expect(first.stdout).toMatch(/12\/12 tenants/)
    expect(first.stdout).toMatch(/Done in \d+\.\d s/)
    expect(first.stdout + first.stderr).not.toContain('nchat-test-pw')

    const before = (await db.client.query('SELECT count(*)::int AS n FROM public.tenants')).rows[0].n
    expect(before).toBe(12)
    const refused = await runCli('seed.ts', ['--database-url', db.url, '--tenants', '5'])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/already has 12 tenant\(s\).*Nothing was changed.*--append/)
    expect((await db.client.query('SELECT count(*)::int AS n FROM public.tenants')).rows[0].n).toBe(12)

    // Same seed again: the generator steers around existing slugs, schemas and domains.
    const appended = await runCli('seed.ts', ['--database-url', db.url, '--tenants', '12', '--seed', '3', '--append'])
    expect(appended.code, appended.stderr).toBe(0)
    const after = await db.client.query('SELECT count(*)::int AS n, count(DISTINCT lower(schema_name))::int AS s FROM public.tenants')
    expect(after.rows[0]).toEqual({ n: 24, s: 24 })
  })

  it('exits non-zero with a clear message for an unreachable database, without the password', async () => {
    const r = await runCli('seed.ts', ['--database-url', 'postgresql://seed:TopSecret99@127.0.0.1:1/none', '--tenants', '3'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/Cannot connect to postgresql:\/\/seed:\*\*\*@127\.0\.0\.1:1\/none/)
    expect(r.stderr + r.stdout).not.toContain('TopSecret99')
  })
})
