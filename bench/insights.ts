/**
 * Insights benchmark, through the real handler registry in this process:
 *   - the fleet overview and a tenant's usage tab on 10,000 tenants with 24 months of usage
 *     (targets: overview median < 200 ms, usage tab median < 50 ms);
 *   - refresh usage over 250, 500 and 1,000 tenant schemas (wall time and how it scales).
 *
 *   npx tsx bench/insights.ts [--tenants 10000] [--runs 40] [--schemas 1000] [--out bench/results/insights.md]
 *
 * Tenant rows and usage are written with set-based SQL (no schemas: the overview and the
 * usage tab read only public tables); the refresh part creates schemas with the app's
 * nchat_* tables and a few rows each.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import type { FleetOverview, RefreshSummary, TenantUsageHistory } from '../src-preload/contract'
import { createContext } from '../src-main/context'
import { targetFromUrl } from '../src-main/db/connection'
import { loadMigrations, runMigrations } from '../src-main/db/migrate'
import { createRegistry, handlers } from '../src-main/ipc'
import { ROOT, benchDatabase } from './common'
import { pct } from './stats'

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    tenants: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '40' },
    schemas: { type: 'string', default: '1000' },
    out: { type: 'string', default: join(ROOT, 'bench/results/insights.md') }
  }
})
const TENANTS = Number(values.tenants)
const RUNS = Math.max(30, Number(values.runs))
const SCHEMAS = Number(values.schemas)
const meta = { senderUrl: 'file:///bench/index.html' }

async function fleet(c: pg.Client): Promise<void> {
  // Tenants: statuses and plans in realistic shares, created over three years, limits per plan.
  await c.query(
    `INSERT INTO public.tenants (id, name, slug, status, billing_plan, billing_interval, owner_email, owner_name, schema_name,
                                 limits, metadata, created_at, trial_ends_at, cancelled_at)
     SELECT gen_random_uuid(), 'Bench Tenant ' || i, 'bench-' || i,
            (ARRAY['active','active','active','active','active','trial','trial','suspended','cancelled','pending'])[1 + i % 10],
            (ARRAY['free','free','free','pro','pro','enterprise','custom'])[1 + (i / 10) % 7],
            CASE WHEN i % 4 = 0 THEN 'yearly' ELSE 'monthly' END,
            'owner' || i || '@example.com', 'Owner ' || i, 'tenant_bench_' || i,
            jsonb_build_object('maxUsers', (ARRAY[10,10,10,100,100,-1,-1])[1 + (i / 10) % 7],
                               'maxStorageGB', (ARRAY[1,1,1,100,100,-1,-1])[1 + (i / 10) % 7],
                               'maxApiCallsPerMonth', (ARRAY[1000,1000,1000,50000,50000,-1,-1])[1 + (i / 10) % 7]),
            CASE WHEN i % 97 = 0 THEN jsonb_build_object('monthlyPriceCents', (5000 + i % 1000)::text) ELSE '{}'::jsonb END,
            now() - make_interval(days => (i * 37) % 1100),
            CASE WHEN i % 10 IN (5, 6) THEN now() + make_interval(hours => (i * 13) % 500) END,
            CASE WHEN i % 10 = 8 THEN now() - make_interval(days => (i * 11) % 700) END
       FROM generate_series(1, $1) AS i`,
    [TENANTS]
  )
  // 24 months of usage; about one month in eight missing, some NULL counters.
  await c.query(
    `INSERT INTO public.tenant_usage (tenant_id, period, users_active, users_total, messages_sent, messages_total, files_count,
                                      storage_bytes, api_calls_total, calls_total_minutes, api_calls_by_endpoint)
     SELECT t.id, to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => k), 'YYYY-MM'),
            CASE WHEN h % 11 = 0 THEN NULL ELSE h % 90 END, h % 120, h % 20000, h % 500000, h % 3000,
            (h % 5000)::bigint * 1048576, h % 60000, h % 900,
            jsonb_build_object('/api/messages', h % 4000, '/api/channels', h % 700, '/api/users', h % 300)
       FROM public.tenants t
       CROSS JOIN generate_series(0, 23) AS k
       CROSS JOIN LATERAL (SELECT abs(hashtext(t.id::text || k::text)) AS h) x
      WHERE abs(hashtext(t.id::text || 'gap' || k::text)) % 8 <> 0`
  )
  await c.query('ANALYZE public.tenants; ANALYZE public.tenant_usage')
}

async function schemas(c: pg.Client, n: number): Promise<void> {
  await c.query(`
    CREATE SCHEMA IF NOT EXISTS nchat;
    CREATE TABLE IF NOT EXISTS nchat.nchat_users (id serial PRIMARY KEY, email text NOT NULL, last_seen_at timestamptz);
    CREATE TABLE IF NOT EXISTS nchat.nchat_channels (id serial PRIMARY KEY, name text);
    CREATE TABLE IF NOT EXISTS nchat.nchat_messages (id bigserial PRIMARY KEY, body text, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE IF NOT EXISTS nchat.nchat_attachments (id serial PRIMARY KEY, size_bytes bigint)`)
  const existing = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'tenant_bench_%'`)).rows[0]!.n
  for (let i = existing + 1; i <= n; i++) {
    const s = `tenant_bench_${i}`
    await c.query(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.nchat_users (LIKE nchat.nchat_users INCLUDING ALL);
      CREATE TABLE ${s}.nchat_channels (LIKE nchat.nchat_channels INCLUDING ALL);
      CREATE TABLE ${s}.nchat_messages (LIKE nchat.nchat_messages INCLUDING ALL);
      CREATE TABLE ${s}.nchat_attachments (LIKE nchat.nchat_attachments INCLUDING ALL);
      INSERT INTO ${s}.nchat_users (email, last_seen_at) SELECT 'u' || g || '@x', now() - make_interval(days => g) FROM generate_series(1, ${5 + (i % 40)}) g;
      INSERT INTO ${s}.nchat_messages (body, created_at) SELECT 'm', now() - make_interval(hours => g) FROM generate_series(1, ${50 + (i % 400)}) g;
      INSERT INTO ${s}.nchat_attachments (size_bytes) SELECT g * 1000 FROM generate_series(1, ${i % 30}) g;`)
  }
}

async function main(): Promise<number> {
  const loadBefore = os.loadavg()
  const { url, server } = await benchDatabase({ databaseUrl: values['database-url'], tenants: TENANTS, runs: RUNS, seed: 1, out: values.out! }, 'bench_insights')
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const lines: string[] = []
  let ok = true
  try {
    await runMigrations(admin, await loadMigrations(join(ROOT, 'migrations')))
    const have = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants`)).rows[0]!.n
    let t0 = Date.now()
    if (have === 0) await fleet(admin)
    const buildMs = Date.now() - t0
    const usageRows = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenant_usage`)).rows[0]!.n

    const ctx = createContext({ platform: { emit: () => {}, saveDialog: async () => null }, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(url))
    const registry = createRegistry(ctx, handlers, () => true)
    const call = async <T>(channel: string, input: unknown): Promise<T> => {
      const r = await registry.invoke(channel, input, meta)
      if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`)
      return r.data as T
    }
    const measure = async (fn: () => Promise<unknown>): Promise<number[]> => {
      for (let i = 0; i < 3; i++) await fn()
      const ms: number[] = []
      for (let i = 0; i < RUNS; i++) {
        const s = process.hrtime.bigint()
        await fn()
        ms.push(Number(process.hrtime.bigint() - s) / 1e6)
      }
      return ms.sort((a, b) => a - b)
    }
    const ids = (await admin.query<{ id: string }>(`SELECT id FROM public.tenants ORDER BY md5(id::text) LIMIT 50`)).rows.map((r) => r.id)
    let k = 0
    const cases: { name: string; target: number; ms: number[] }[] = [
      { name: 'overview, 12 months', target: 200, ms: await measure(() => call<FleetOverview>('insights:overview', { months: 12 })) },
      { name: 'overview, 24 months', target: 200, ms: await measure(() => call<FleetOverview>('insights:overview', { months: 24 })) },
      { name: 'usage tab, 12 months (a different tenant each run)', target: 50, ms: await measure(() => call<TenantUsageHistory>('insights:usage', { id: ids[k++ % ids.length], months: 12 })) },
      { name: 'usage tab, 24 months', target: 50, ms: await measure(() => call<TenantUsageHistory>('insights:usage', { id: ids[k++ % ids.length], months: 24 })) }
    ]
    lines.push(`# Insights benchmark`, '', `Run ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), load before ${loadBefore.map((l) => l.toFixed(1)).join('/')}.`)
    lines.push('', `## Overview and usage tab (${TENANTS.toLocaleString('en-US')} tenants, ${usageRows.toLocaleString('en-US')} usage rows over 24 months; fleet written in ${(buildMs / 1000).toFixed(1)} s)`, '')
    lines.push('| case | median ms | p95 ms | max ms | target | met |', '|---|---:|---:|---:|---:|---|')
    for (const c of cases) {
      const med = pct(c.ms, 50)
      const met = med < c.target
      ok &&= met
      lines.push(`| ${c.name} | ${med.toFixed(1)} | ${pct(c.ms, 95).toFixed(1)} | ${c.ms[c.ms.length - 1]!.toFixed(1)} | < ${c.target} | ${met ? 'yes' : 'NO'} |`)
    }

    lines.push('', `## Refresh usage (all tenants; those without a schema are reported as missing)`, '')
    lines.push('| tenant schemas | tenants | refreshed | wall s | ms per schema |', '|---:|---:|---:|---:|---:|')
    for (const n of [250, 500, SCHEMAS].filter((x, i, a) => x <= SCHEMAS && a.indexOf(x) === i)) {
      t0 = Date.now()
      await schemas(admin, n)
      console.log(`${n} schemas ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      // Only the tenants that have schemas: the rest would only be reported missing.
      const withSchema = (await admin.query<{ id: string }>(`SELECT id FROM public.tenants WHERE schema_name IN (SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_bench_%')`)).rows.map((r) => r.id)
      const s = process.hrtime.bigint()
      const r = await call<RefreshSummary>('insights:refreshUsage', { jobId: randomUUID(), tenantIds: withSchema })
      const wall = Number(process.hrtime.bigint() - s) / 1e6
      lines.push(`| ${n} | ${r.total} | ${r.refreshed} | ${(wall / 1000).toFixed(2)} | ${(wall / n).toFixed(1)} |`)
      console.log(lines[lines.length - 1])
    }
    lines.push('', `Load after: ${os.loadavg().map((l) => l.toFixed(1)).join('/')}.`, '')
    await ctx.db.close()
  } finally {
    await admin.end()
    await server?.stop()
  }
  mkdirSync(dirname(values.out!), { recursive: true })
  writeFileSync(values.out!, lines.join('\n'))
  console.log(lines.join('\n'))
  return ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(2)
  }
)
