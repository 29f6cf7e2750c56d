/**
 * Tenant creation benchmark: creates tenants through the real handler registry
 * (validation, role check, clone from the 10-table demo template, parity check, rows,
 * audit and operator log, one transaction each) on a database that already holds
 * 10,000 tenant schemas.
 *
 *   npx tsx bench/lifecycle.ts                       # own PostgreSQL, migrate, seed 10,000, measure
 *   npx tsx bench/lifecycle.ts --database-url URL    # measure an already seeded database
 *   options: --tenants 10000 --runs 60 --seed 7 --out bench/results/lifecycle.md
 *
 * Writes bench/results/lifecycle.md. Exits 1 when the median misses the 150 ms target.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import type { AppContext } from '../src-main/context'
import type { CreateOutcome } from '../src-preload/contract'
import { ConnectionManager, targetFromUrl } from '../src-main/db/connection'
import { loadMigrations, runMigrations } from '../src-main/db/migrate'
import { createRegistry, handlers } from '../src-main/ipc'
import { ClonePlanCache, executePlan } from '../src-main/lifecycle/cloner'
import { LifecycleService } from '../src-main/lifecycle/service'
import { PLANS } from '../src-main/domain/plans'
import { seedFleet } from '../src-main/seed/generator'
import { templateDdl } from '../src-main/seed/template'
import { SessionService } from '../src-main/session'
import { ROOT, benchDatabase, benchOptions } from './common'
import { pct } from './stats'


const NOTES = `
## Findings so far (kept by hand; the numbers above are regenerated)

- The first 10,000-schema run (2026-11-29) measured a 1,286 ms median: \`GRANT ... ON ALL TABLES IN SCHEMA\` (and
  SEQUENCES) scans all of \`pg_class\` (~580,000 rows), about 0.9 s per creation. Grants now name each object of the
  cached shape; the clash check reads \`tenants\` once; the DDL and its settings go in one round trip.
- The second run (same day) measured a 246 ms median with 128 ms of CPU per creation, on the same 2 cores shared with
  five other engineers' 10,000-schema builds (load average 5 to 11): most of the wall-clock time was waiting for a CPU.
  Measured again on a quieter machine (load average ~1.4, above), the median is ~104 ms with ~106 ms of CPU: the
  target holds once a core is free. No spare-schema pool was needed.
- What creation costs is PostgreSQL creating ~55 relations per tenant (10 heaps, their TOAST tables and indexes,
  primary key and unique indexes, 9 identity sequences) plus 12 foreign keys (48 triggers), and the parity check
  (~25 ms: the new schema's shape read back through pg_get_*def and compared). The catalog size matters little
  because every lookup goes through indexed catalogs (pg_depend by namespace), never a pg_class scan.
- The 10,000-schema database here is a copy of the backup benchmark's fleet (\`CREATE DATABASE ... TEMPLATE
  fleet_10000\`: the same demo template's tables, keys, triggers and policy in every schema, plus tenant rows), with the
  template schema and the console's migrations added by this script.
`
const TARGET_MS = 150


/** CPU ticks (user + system) of the given processes, from /proc (the server must be local). */
function cpuTicks(pids: number[]): number {
  let t = 0
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
      t += Number(rest[11]) + Number(rest[12])
    } catch {
      /* not local or gone */
    }
  }
  return t
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b)
  return { median: pct(s, 50), p95: pct(s, 95), min: s[0]!, max: s[s.length - 1]! }
}

/**
 * Adds `count` tenants quickly: one tenants row each and a full clone of the template
 * (the console's own cloner, cached DDL), 20 per transaction on two connections.
 */
async function fastFleet(url: string, count: number): Promise<void> {
  const plans = new ClonePlanCache()
  const stamp = Date.now().toString(36)
  let next = 0
  let done = 0
  const t0 = performance.now()
  let last = 0
  const worker = async () => {
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      for (;;) {
        const start = next
        if (start >= count) return
        const end = Math.min(count, start + 20)
        next = end
        await c.query('BEGIN')
        const { plan } = await plans.plan(c, 'nchat')
        for (let i = start; i < end; i++) {
          const slug = `fleet-${stamp}-${i}`
          const schema = `tenant_fleet_${stamp}_${i}`
          await executePlan(c, plan, schema)
          await c.query(
            `INSERT INTO public.tenants (name, slug, status, owner_email, owner_name, schema_name, billing_plan, limits, features)
             VALUES ($1, $2, 'active', $3, 'Fleet Owner', $4, 'free', $5::jsonb, $6::jsonb)`,
            [`Fleet ${i}`, slug, `owner${i}@fleet.example`, schema, JSON.stringify(PLANS.free.limits), JSON.stringify(PLANS.free.features)]
          )
        }
        await c.query('COMMIT')
        done += end - start
        if (done === count || performance.now() - last > 15_000) {
          last = performance.now()
          console.log(`  clones ${done}/${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
        }
      }
    } finally {
      await c.end()
    }
  }
  await Promise.all([worker(), worker()])
}

async function main(): Promise<number> {
  const opts = benchOptions({ runs: 60, seed: 7, out: 'bench/results/lifecycle.md' })
  const { tenants, runs } = opts
  let seedNote = ''
  const loadBefore = os.loadavg()
  const { url, server } = await benchDatabase(opts, 'bench_lc')
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    // A fleet built elsewhere (bench/backup-fleet.ts: tenant schemas from the same demo
    // template, no template schema of its own) gets the template before the migrations,
    // which grant the console roles USAGE on it.
    const bare = (
      await admin.query<{ bare: boolean }>(`SELECT to_regclass('public.tenants') IS NOT NULL AND to_regnamespace('nchat') IS NULL AS bare`)
    ).rows[0]!.bare
    if (bare) {
      await admin.query(templateDdl('nchat'))
      seedNote = 'template `nchat` added to a fleet built by bench/backup-fleet.ts; '
    }
    await runMigrations(admin, await loadMigrations(join(ROOT, 'migrations')))
    const have = (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM public.tenants')).rows[0]!.n
    if (have < tenants) {
      // A small realistic fleet (rows, quirks) from the seed generator, then full template
      // clones without chat rows up to the target: the catalog is what creation pays for.
      const t0 = performance.now()
      let realistic = 0
      if (have < 200) {
        console.log(`Seeding ${200 - have} realistic tenants with seedFleet...`)
        const pool = new pg.Pool({ connectionString: url, max: 1, maxUses: 20 })
        const summary = await seedFleet(pool, { tenants: 200 - have, seed: opts.seed }).finally(() => pool.end())
        realistic = summary.tenants
      }
      const bulk = tenants - Math.max(have, 200)
      if (bulk > 0) await fastFleet(url, bulk)
      const ms = performance.now() - t0
      seedNote += `seeded in this run: ${realistic} tenants with \`seedFleet\` (chat rows, quirks) and ${Math.max(0, bulk)} more as full clones of the template without chat rows (same catalog footprint), ${(ms / 1000).toFixed(0)} s`
    } else {
      seedNote += `reused an already seeded database (${have} tenants)`
    }
    // Fresh statistics where creation looks: the catalogs and the tenancy tables
    // (a database-wide VACUUM would visit every one of the ~100,000 tenant tables).
    await admin.query(
      'VACUUM ANALYZE pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_depend, pg_catalog.pg_namespace, pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_trigger, pg_catalog.pg_description, pg_catalog.pg_type, pg_catalog.pg_proc, pg_catalog.pg_attrdef, pg_catalog.pg_policy, pg_catalog.pg_sequence, public.tenants, public.tenant_settings, public.tenant_audit_logs, console.operator_log'
    )
  } finally {
    await admin.end()
  }

  const facts = await (async () => {
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      const r = await c.query(
        `SELECT version() AS version,
                (SELECT count(*) FROM public.tenants)::int AS tenants,
                (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%')::int AS schemas,
                (SELECT count(*) FROM pg_class)::int AS pg_class_rows,
                (SELECT count(*) FROM pg_attribute)::int AS pg_attribute_rows,
                (SELECT count(*) FROM pg_depend)::int AS pg_depend_rows,
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'nchat' AND c.relkind = 'r')::int AS template_tables,
                pg_size_pretty(pg_database_size(current_database())) AS size,
                current_setting('shared_buffers') AS shared_buffers`
      )
      return r.rows[0]
    } finally {
      await c.end()
    }
  })()
  console.log(`${facts.tenants} tenants, ${facts.schemas} tenant schemas, ${facts.pg_class_rows} pg_class rows, template with ${facts.template_tables} tables`)

  const db = new ConnectionManager()
  await db.setTarget(targetFromUrl(url, { operator: { name: 'Bench', email: 'bench@example.com' } }))
  const session = new SessionService(db)
  const lifecycle = new LifecycleService(db, session)
  const ctx = { db, session, lifecycle } as unknown as AppContext
  const registry = createRegistry(ctx, handlers, () => true)
  const meta = { senderUrl: 'file:///bench/index.html' }
  const totals: number[] = []
  const clone: number[] = []
  const parity: number[] = []
  let cold: CreateOutcome | null = null
  let coldMs = 0
  // CPU actually spent (console backends + this process), to tell work from waiting on a shared machine.
  const probe = new pg.Client({ connectionString: url })
  await probe.connect()
  const backendPids = async () =>
    (await probe.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'nchat-console'`)).rows.map((r) => r.pid)
  const hz = 100
  const cpu: number[] = []
  const stamp = Date.now().toString(36)
  try {
    for (let i = 0; i < runs + 3; i++) {
      const slug = `bench-${stamp}-${i}`
      const pidsBefore = await backendPids()
      const ticks0 = cpuTicks(pidsBefore)
      const node0 = process.cpuUsage()
      const t0 = performance.now()
      const res = await registry.invoke(
        'lifecycle:create',
        { name: `Bench ${i}`, slug, ownerEmail: `owner${i}@bench.example`, ownerName: 'Bench Owner', plan: 'pro', billingInterval: 'monthly', trial: false },
        meta
      )
      const ms = performance.now() - t0
      const nodeCpu = process.cpuUsage(node0)
      const pidsAfter = await backendPids()
      const newPids = pidsAfter.filter((p) => !pidsBefore.includes(p))
      const pgCpuMs = ((cpuTicks(pidsBefore) + cpuTicks(newPids) - ticks0) * 1000) / hz
      if (!res.ok) throw new Error(`create ${slug}: ${res.error.code} ${res.error.message}`)
      const out = res.data as CreateOutcome
      if (i === 0) {
        cold = out
        coldMs = ms
      }
      if (i >= 3) {
        // 3 warm-up runs: the first generates and caches the template's DDL.
        totals.push(ms)
        clone.push(out.timings.cloneMs)
        parity.push(out.timings.parityMs)
        cpu.push(pgCpuMs + (nodeCpu.user + nodeCpu.system) / 1000)
        if (!out.timings.ddlCached) throw new Error('the DDL cache missed after warm-up')
      }
      if ((i + 1) % 10 === 0) console.log(`  ${i + 1}/${runs + 3}: last ${ms.toFixed(1)} ms`)
    }
  } finally {
    await probe.end()
    await db.close()
    server?.stop()
  }

  const t = stats(totals)
  const c = stats(clone)
  const p = stats(parity)
  const cpuMean = cpu.reduce((a, b) => a + b, 0) / Math.max(1, cpu.length)
  const loadAfter = os.loadavg()
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim()
  const met = t.median < TARGET_MS
  console.log(`create: median ${t.median.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms (${met ? 'target met' : 'TARGET MISSED'}); CPU ${cpuMean.toFixed(0)} ms per creation`)
  const md = `# Tenant creation benchmark

Generated by \`npm run bench:lifecycle\` (\`npx tsx bench/lifecycle.ts\`) on ${new Date().toISOString()}.

## Machine

- nproc: ${nproc} (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}
- load average at start / end: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${loadAfter.map((x) => x.toFixed(2)).join(' ')} (the machine is shared with other work)
- ${facts.version}; shared_buffers=${facts.shared_buffers}; fsync off (throwaway test cluster, as the test suite runs it)
- Node ${process.version}

## Data

- ${facts.tenants} tenants before the run, ${facts.schemas} tenant schemas, ${facts.size}
- catalog size: ${facts.pg_class_rows} pg_class rows, ${facts.pg_attribute_rows} pg_attribute rows, ${facts.pg_depend_rows} pg_depend rows
- template \`nchat\`: the ${facts.template_tables}-table demo template (src-main/seed/template.ts: identity keys, foreign keys, indexes, 2 triggers, an RLS policy, a comment)
- ${seedNote}

## Results

${runs} timed creations after 3 warm-up runs, each through \`createRegistry(...).invoke('lifecycle:create', ...)\` in this
process, as a superuser login: input validation, role check, one transaction with the catalog fingerprint of the
template, the clone (one round trip of cached DDL), grants, the owner row, the parity check (the new schema's shape read
back from the catalog and compared with the template's), the tenants and tenant_settings rows, the audit row and the
operator-log row, then COMMIT. Target: median < ${TARGET_MS} ms including the parity check.

| measure | median ms | p95 ms | min ms | max ms |
|---|---:|---:|---:|---:|
| **create (end to end)** | **${t.median.toFixed(1)}** | **${t.p95.toFixed(1)}** | ${t.min.toFixed(1)} | ${t.max.toFixed(1)} |
| of which clone (fingerprint + DDL + grants + owner) | ${c.median.toFixed(0)} | ${c.p95.toFixed(0)} | ${c.min.toFixed(0)} | ${c.max.toFixed(0)} |
| of which parity check | ${p.median.toFixed(0)} | ${p.p95.toFixed(0)} | ${p.min.toFixed(0)} | ${p.max.toFixed(0)} |

CPU time actually spent per creation (PostgreSQL backend + the console process, from /proc, 10 ms ticks averaged
over the ${cpu.length} runs): **${cpuMean.toFixed(0)} ms**. Wall-clock time above that is time spent waiting for a CPU on
this shared machine (see the load average).

First creation of the run (cold: DDL generated from the catalog and cached): ${coldMs.toFixed(0)} ms
(clone ${cold?.timings.cloneMs ?? '?'} ms, parity ${cold?.timings.parityMs ?? '?'} ms).

Target (median < ${TARGET_MS} ms): **${met ? 'met' : 'MISSED'}**.

## How it stays fast at 10,000 schemas

- Objects of a schema are found through \`pg_depend\` (indexed on the referenced namespace), never by scanning
  \`pg_class\` by \`relnamespace\` (no index; ${facts.pg_class_rows} rows here).
- The template's DDL is generated once and cached, keyed by a fingerprint of the template's catalog rows (oids and
  xmin of its relations, columns, defaults, constraints, indexes, triggers, policies, sequences, functions, types,
  comments); any ALTER, COMMENT or GRANT on the template changes the fingerprint and regenerates it.
- The whole DDL runs in one round trip; the parity check is one catalog query for the new schema (the template's shape
  is cached with its DDL).
`
  mkdirSync(dirname(opts.out!), { recursive: true })
  writeFileSync(opts.out!, md + NOTES)
  console.log(`wrote ${opts.out}`)
  return met ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
