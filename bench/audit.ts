/**
 * Audit benchmark, through the real handler registry in this process, on 1,000,000 app
 * audit rows (tenant_audit_logs, 030 layout, over 1,000 tenants and two years) plus
 * 200,000 operator-log rows:
 *   - audit pages (first, deep, filtered by tenant, by action and date, text search),
 *     median / p95 over --runs (target: every median under 20 ms);
 *   - a full CSV export of the 1,000,000 app rows, with the process's peak RSS.
 * Measured twice: with the app's own indexes only, then after the console's index admin
 * action (audit:createIndex, CREATE INDEX CONCURRENTLY).
 *
 *   npx tsx bench/audit.ts [--database-url URL] [--rows 1000000] [--oplog 200000] [--runs 40] [--out bench/results/audit.md]
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import type { AuditExportResult, AuditIndexInfo, AuditPage } from '../src-preload/contract'
import { createContext } from '../src-main/context'
import { targetFromUrl } from '../src-main/db/connection'
import { loadMigrations, runMigrations } from '../src-main/db/migrate'
import { createRegistry, handlers } from '../src-main/ipc'
import { ROOT, benchDatabase } from './common'
import { pct } from './stats'

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    oplog: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '40' },
    out: { type: 'string', default: join(ROOT, 'bench/results/audit.md') }
  }
})
const ROWS = Number(values.rows)
const OPLOG = Number(values.oplog)
const RUNS = Math.max(30, Number(values.runs))
const meta = { senderUrl: 'file:///bench/index.html' }
const ACTIONS = ['user.login', 'user.logout', 'message.delete', 'channel.create', 'channel.archive', 'member.invite', 'member.remove', 'settings.update', 'role.change', 'file.upload', 'tenant.suspend', 'export.request']

async function seed(c: pg.Client): Promise<void> {
  await c.query(
    `INSERT INTO public.tenants (id, name, slug, status, owner_email, owner_name, schema_name, created_at)
     SELECT gen_random_uuid(), 'Bench ' || i, 'bench-' || i, 'active', 'o' || i || '@example.com', 'Owner', 'tenant_bench_' || i, now() - interval '3 years'
       FROM generate_series(1, 1000) i`
  )
  // Two years of app audit rows, newest now; details with words for the text search.
  await c.query(
    `INSERT INTO public.tenant_audit_logs (id, tenant_id, user_id, action, resource, resource_id, details, ip_address, user_agent, created_at)
     SELECT gen_random_uuid(), t.ids[1 + ((g::bigint * 7919) % 1000)::int], md5('u' || (g % 50000))::uuid, ($2::text[])[1 + g % 12],
            split_part(($2::text[])[1 + g % 12], '.', 1), md5('r' || g)::uuid,
            jsonb_build_object('ip', '10.0.' || (g % 250) || '.1', 'note', CASE WHEN g % 50 = 0 THEN 'password reset requested' ELSE 'routine' END, 'n', g),
            '10.0.0.1', 'bench', now() - make_interval(secs => g * 63.0)
       FROM generate_series(1, $1) g, (SELECT array_agg(id) AS ids FROM public.tenants) t`,
    [ROWS, ACTIONS]
  )
  await c.query(
    `INSERT INTO console.operator_log (at, operator_name, operator_email, action, tenant_id, tenant_slug, params)
     SELECT now() - make_interval(secs => g * 315.0), 'Op ' || (g % 20), 'op' || (g % 20) || '@ops.example',
            (ARRAY['tenant.suspend', 'tenant.reactivate', 'backup.export', 'usage.refresh'])[1 + g % 4], t.id, t.slug, jsonb_build_object('reason', 'bench ' || g)
       FROM generate_series(1, $1) g JOIN (SELECT id, slug, row_number() OVER () AS rn FROM public.tenants) t ON t.rn = 1 + g % 1000`,
    [OPLOG]
  )
  await c.query('ANALYZE')
}

interface Line {
  name: string
  median: number
  p95: number
  rows: number
}

async function main(): Promise<void> {
  const { url, server } = await benchDatabase({ databaseUrl: values['database-url'] } as never, 'bench_audit')
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  const ctx = createContext({ platform: { emit: () => {}, saveDialog: async () => csvPath } as never, migrationsDir: join(ROOT, 'migrations') })
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-audit-'))
  const csvPath = join(dir, 'audit.csv')
  try {
    await runMigrations(c, await loadMigrations(join(ROOT, 'migrations')))
    const t0 = Date.now()
    const have = Number((await c.query(`SELECT count(*) AS n FROM public.tenant_audit_logs`)).rows[0].n)
    if (have >= ROWS) console.log(`Reusing the ${have} app audit rows already there.`)
    else {
      console.log(`Seeding ${ROWS} app audit rows and ${OPLOG} operator-log rows...`)
      await seed(c)
      console.log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    }
    // A rerun on the same database measures "before" without the console's indexes again.
    const old = await c.query<{ name: string }>(`SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'public.tenant_audit_logs'::regclass AND indexrelid::regclass::text LIKE 'nchat_console_%'`)
    for (const o of old.rows) await c.query(`DROP INDEX ${o.name}`)
    await ctx.db.setTarget(targetFromUrl(url))
    const registry = createRegistry(ctx, handlers, () => true)
    const call = async <T>(channel: string, input: unknown): Promise<T> => {
      const r = await registry.invoke(channel, input, meta)
      if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`)
      return r.data as T
    }
    const tenant = (await c.query<{ id: string }>(`SELECT tenant_id::text AS id FROM public.tenant_audit_logs ORDER BY created_at DESC LIMIT 1`)).rows[0]!.id
    // A cursor 500,000 rows down: follow pages of 200 once, keep the cursor.
    let deep: string | undefined
    {
      let cursor: string | undefined
      for (let i = 0; i < 500; i++) cursor = (await call<AuditPage>('audit:list', { cursor, limit: 1000 })).nextCursor ?? undefined
      deep = cursor
    }
    const from = new Date(Date.now() - 90 * 86_400_000).toISOString()
    const to = new Date(Date.now() - 30 * 86_400_000).toISOString()
    const cases: [string, unknown][] = [
      ['first page (merged timeline)', { limit: 50 }],
      ['deep page (500,000 rows down)', { limit: 50, cursor: deep }],
      ['filtered by tenant', { limit: 50, filter: { tenantId: tenant } }],
      ['filtered by action and date range', { limit: 50, filter: { action: 'member.invite', from, to } }],
      ['text search in details', { limit: 50, filter: { text: 'password reset' } }]
    ]
    const measure = async (label: string): Promise<Line[]> => {
      const out: Line[] = []
      for (const [name, input] of cases) {
        const times: number[] = []
        let rows = 0
        for (let i = 0; i < RUNS + 3; i++) {
          const s = performance.now()
          const p = await call<AuditPage>('audit:list', input)
          const ms = performance.now() - s
          rows = p.rows.length
          if (i >= 3) times.push(ms)
        }
        times.sort((a, b) => a - b)
        out.push({ name, median: pct(times, 50), p95: pct(times, 95), rows })
        console.log(`${label} | ${name}: median ${pct(times, 50).toFixed(2)} ms, p95 ${pct(times, 95).toFixed(2)} ms (${rows} rows)`)
      }
      return out
    }
    const before = await measure('app indexes only')
    // The explicit admin action: the console's indexes on the app table.
    const idx = await call<AuditIndexInfo[]>('audit:indexes', {})
    for (const i of idx) {
      const s = Date.now()
      await call('audit:createIndex', { name: i.name })
      console.log(`created ${i.name} in ${((Date.now() - s) / 1000).toFixed(1)} s`)
    }
    const after = await measure('with the console indexes')
    // Full CSV export of the app rows (one source), peak RSS sampled every 50 ms.
    global.gc?.()
    const rssStart = process.memoryUsage().rss
    let peak = rssStart
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
    const s = Date.now()
    const res = await call<AuditExportResult>('audit:exportCsv', { jobId: randomUUID(), filter: { sources: ['app'] } })
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage().rss)
    const exportMs = Date.now() - s
    const size = statSync(csvPath).size
    console.log(`export: ${res.rows} rows, ${(size / 1e6).toFixed(0)} MB in ${(exportMs / 1000).toFixed(1)} s, peak RSS ${(peak / 1e6).toFixed(0)} MB (start ${(rssStart / 1e6).toFixed(0)} MB)`)
    const table = (lines: Line[]) => ['| page | median (ms) | p95 (ms) | rows |', '| --- | ---: | ---: | ---: |', ...lines.map((l) => `| ${l.name} | ${l.median.toFixed(2)} | ${l.p95.toFixed(2)} | ${l.rows} |`)].join('\n')
    const md = `# Audit benchmark

${ROWS.toLocaleString('en-US')} app audit rows (public.tenant_audit_logs, 030 layout, 1,000 tenants) and ${OPLOG.toLocaleString('en-US')} operator-log rows,
through the real IPC registry (zod, role check, handler, service, PostgreSQL), ${RUNS} runs after 3 warm-ups, pages of 50.
Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} (load average during the run ${os.loadavg()[0]!.toFixed(1)}), PostgreSQL ${(await c.query('SHOW server_version')).rows[0].server_version}, Node ${process.version}.
Run: \`npm run bench:audit\` (${new Date().toISOString().slice(0, 10)}).

## With the app's own indexes only

${table(before)}

## After the console's index action (audit:createIndex, CREATE INDEX CONCURRENTLY)

${idx.map((i) => `- \`${i.definition}\``).join('\n')}

${table(after)}

## CSV export

Full export of the ${res.rows.toLocaleString('en-US')} app rows: ${(size / 1e6).toFixed(0)} MB in ${(exportMs / 1000).toFixed(1)} s;
peak RSS of the console process ${(peak / 1e6).toFixed(0)} MB (${(rssStart / 1e6).toFixed(0)} MB before the export): rows are written in keyset chunks of 5,000, never held.
`
    mkdirSync(dirname(values.out!), { recursive: true })
    writeFileSync(values.out!, md)
    console.log(`wrote ${values.out}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await ctx.db.close()
    await c.end()
    await server?.stop()
  }
}

void main().catch((e) => {
  console.error(e)
  process.exit(1)
})
