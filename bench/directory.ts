/**
 * Tenant directory benchmark at two fleet sizes in one run (default 10,000 and 100,000
 * tenants): every directory case through the real handler registry in this process
 * (validation, role check, service, SQL), in fast mode (the console's directory indexes,
 * created through the indexes facility as an admin would) and, for reference, in slow
 * mode (no console indexes: today's full scan). Prints medians and the growth ratio
 * between the sizes per case.
 *
 *   npx tsx bench/directory.ts                              # own PostgreSQL, both sizes
 *   options: --sizes 10000,100000 --runs 40 --slow-runs 8 --seed 1
 *            --admin-url URL (a server to create the databases on)  --out bench/results/directory.md
 *
 * The fleets are written by bench/fleet.ts (tenant rows, settings, six months of usage:
 * INSERT ... SELECT generate_series, seconds), not by the full-schema demo seed.
 * Exits 1 when a fast-mode median at the largest size misses 50 ms (cases marked as
 * targets), or a response holds more rows than its limit.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import type { IndexInfo, TenantCursor, TenantListInput, TenantPage } from '../src-preload/contract'
import { createContext } from '../src-main/context'
import { redact } from '../src-main/core/logger'
import { targetFromUrl } from '../src-main/db/connection'
import { loadMigrations, runMigrations } from '../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../src-main/ipc'
import { createDatabase, startTestPostgres, type PgServer } from '../test/support/pg-server'
import { ROOT } from './common'
import { buildFleet } from './fleet'
import { pct } from './stats'

const TARGET_MS = 50
const meta = { senderUrl: 'file:///bench/index.html' }

interface Case {
  name: string
  /** The input, given the fleet size and a cursor found before timing (deep keyset page). */
  input: (n: number, deep: TenantCursor | null) => TenantListInput
  /** Counted against the 50 ms target (a jump deep into the list by offset is not). */
  target: boolean
  detail?: boolean
}

/** Where the deep keyset page starts: 90 % down the list sorted by custom domain. */
const deepOffset = (n: number) => Math.floor((n * 0.9) / 50) * 50

const CASES: Case[] = [
  { name: 'first page, default sort (name asc)', input: () => ({}), target: true },
  { name: 'search "harbor" (name, slug)', input: () => ({ search: 'harbor' }), target: true },
  { name: 'search "kowalski" (owner email)', input: () => ({ search: 'kowalski' }), target: true },
  { name: 'search "team.example.net" (custom domain)', input: () => ({ search: 'team.example.net' }), target: true },
  { name: 'search "@" (every owner email)', input: () => ({ search: '@' }), target: true },
  {
    name: 'filter active+trial, pro+enterprise, sort users desc',
    input: () => ({ statuses: ['active', 'trial'], plans: ['pro', 'enterprise'], sort: 'usersTotal', direction: 'desc' }),
    target: true
  },
  { name: 'filter suspended, sort created desc', input: () => ({ statuses: ['suspended'], sort: 'createdAt', direction: 'desc' }), target: true },
  { name: 'filter plan custom, sort owner email asc', input: () => ({ plans: ['custom'], sort: 'ownerEmail' }), target: true },
  { name: 'filter trial+pending, sort trial end desc', input: () => ({ statuses: ['trial', 'pending'], sort: 'trialEndsAt', direction: 'desc' }), target: true },
  { name: 'sort storage desc (no filter)', input: () => ({ sort: 'storageBytes', direction: 'desc' }), target: true },
  { name: 'sort storage asc, filter free', input: () => ({ plans: ['free'], sort: 'storageBytes' }), target: true },
  {
    name: 'deep page: keyset 90 % down, sort custom domain',
    input: (n, deep) => ({ sort: 'customDomain', offset: deepOffset(n), ...(deep ? { after: deep } : {}) }),
    target: true
  },
  { name: 'jump to page: offset 9,000, sort custom domain', input: () => ({ sort: 'customDomain', offset: 9_000 }), target: true },
  { name: 'jump to page: offset 90 % down, sort custom domain', input: (n) => ({ sort: 'customDomain', offset: deepOffset(n) }), target: false },
  { name: 'detail (tenants:get)', input: () => ({ search: 'harbor' }), target: true, detail: true }
]

interface Timing {
  median: number
  p95: number
  min: number
  total: number
  exact: boolean
  mode: string
}

async function time(registry: Registry, c: Case, n: number, deep: TenantCursor | null, runs: number, onOver: () => void): Promise<Timing> {
  const input = c.input(n, deep)
  let detailId: string | null = null
  if (c.detail) {
    const res = await registry.invoke('tenants:list', input, meta)
    if (!res.ok || !(res.data as TenantPage).rows[0]) throw new Error(`${c.name}: no tenant to open`)
    detailId = (res.data as TenantPage).rows[0]!.id
  }
  const times: number[] = []
  let last: TenantPage | null = null
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now()
    const res = detailId ? await registry.invoke('tenants:get', { id: detailId }, meta) : await registry.invoke('tenants:list', input, meta)
    const ms = performance.now() - t0
    if (!res.ok) throw new Error(`${c.name}: ${res.error.code} ${res.error.message}`)
    if (!detailId) {
      last = res.data as TenantPage
      if (last.rows.length > last.limit) onOver()
    }
    if (i >= 3) times.push(ms)
  }
  times.sort((a, b) => a - b)
  return {
    median: pct(times, 50),
    p95: pct(times, 95),
    min: times[0]!,
    total: last?.total ?? 1,
    exact: last?.totalExact ?? true,
    mode: last?.mode ?? '-'
  }
}

interface SizeResult {
  n: number
  buildMs: number
  usageRows: number
  indexMs: number
  indexes: { name: string; ms: number; size: number | null }[]
  fast: Timing[]
  slow: Timing[] | null
}

async function measureSize(adminUrl: string, n: number, opts: { runs: number; slowRuns: number; seed: number }): Promise<SizeResult> {
  const { url, drop } = await createDatabase(adminUrl, `bench_dir_${n}`)
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  let built: Awaited<ReturnType<typeof buildFleet>>
  try {
    await runMigrations(c, await loadMigrations(join(ROOT, 'migrations')))
    console.log(`[${n}] building the fleet...`)
    built = await buildFleet(c, { tenants: n, seed: opts.seed })
    console.log(`[${n}] ${built.tenants} tenants, ${built.usageRows} usage rows in ${(built.ms / 1000).toFixed(1)} s`)
  } finally {
    await c.end()
  }
  const ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
  await ctx.db.setTarget(targetFromUrl(url))
  const registry = createRegistry(ctx, handlers, () => true)
  const call = async <T>(ch: string, input: unknown): Promise<T> => {
    const r = await registry.invoke(ch, input, meta)
    if (!r.ok) throw new Error(`${ch}: ${r.error.code} ${r.error.message}`)
    return r.data as T
  }
  let over = false
  try {
    let slow: Timing[] | null = null
    if (opts.slowRuns > 0) {
      slow = []
      for (const cs of CASES) {
        // No console index yet: a deep page has no cursor (slow mode pages by offset).
        const t = await time(registry, cs, n, null, opts.slowRuns, () => (over = true))
        slow.push(t)
        console.log(`[${n}] slow  ${cs.name.padEnd(56)} median ${t.median.toFixed(1)} ms (${t.mode})`)
      }
    }
    const indexes: SizeResult['indexes'] = []
    const t0 = performance.now()
    for (const i of await call<IndexInfo[]>('indexes:list', { area: 'directory' })) {
      const s = performance.now()
      await call('indexes:create', { name: i.name })
      indexes.push({ name: i.name, ms: performance.now() - s, size: null })
    }
    const indexMs = performance.now() - t0
    for (const i of await call<IndexInfo[]>('indexes:list', { area: 'directory' })) {
      const x = indexes.find((y) => y.name === i.name)
      if (x) x.size = i.sizeBytes
    }
    console.log(`[${n}] ${indexes.length} directory indexes created in ${(indexMs / 1000).toFixed(1)} s`)
    // The deep page's cursor: the row just before 90 % down (found once, by offset).
    const before = await call<TenantPage>('tenants:list', { sort: 'customDomain', offset: deepOffset(n) - 50 })
    const deep = before.next
    if (!deep) throw new Error('no cursor for the deep page')
    const fast: Timing[] = []
    for (const cs of CASES) {
      const t = await time(registry, cs, n, deep, opts.runs, () => (over = true))
      fast.push(t)
      console.log(`[${n}] fast  ${cs.name.padEnd(56)} median ${t.median.toFixed(1)} ms  p95 ${t.p95.toFixed(1)}  (total ${t.exact ? '' : '~'}${t.total}, ${t.mode})`)
    }
    if (over) throw new Error('a response held more rows than its limit')
    return { n, buildMs: built.ms, usageRows: built.usageRows, indexMs, indexes, fast, slow }
  } finally {
    await ctx.db.close()
    await drop().catch(() => {})
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000' },
      runs: { type: 'string', default: '40' },
      'slow-runs': { type: 'string', default: '8' },
      seed: { type: 'string', default: '1' },
      'admin-url': { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'bench/results/directory.md') }
    }
  })
  const sizes = values.sizes!.split(',').map(Number)
  const runs = Math.max(30, Number(values.runs))
  const slowRuns = Number(values['slow-runs'])
  const loadBefore = os.loadavg()
  let server: PgServer | null = null
  let adminUrl = values['admin-url']
  if (!adminUrl) {
    console.log('Starting a throwaway PostgreSQL...')
    server = await startTestPostgres()
    adminUrl = server.adminUrl
  }
  const version = await (async () => {
    const c = new pg.Client({ connectionString: adminUrl })
    await c.connect()
    try {
      return (await c.query<{ v: string; sb: string }>(`SELECT version() AS v, current_setting('shared_buffers') AS sb`)).rows[0]!
    } finally {
      await c.end()
    }
  })()
  const results: SizeResult[] = []
  try {
    for (const n of sizes) results.push(await measureSize(adminUrl, n, { runs, slowRuns, seed: Number(values.seed) }))
  } finally {
    server?.stop()
  }
  const loadAfter = os.loadavg()
  const small = results[0]!
  const big = results[results.length - 1]!
  let failed = false
  const rows = CASES.map((c, i) => {
    const a = small.fast[i]!
    const b = big.fast[i]!
    const met = b.median < TARGET_MS
    if (c.target && !met) failed = true
    const tot = (t: Timing) => `${t.exact ? '' : 'about '}${t.total.toLocaleString('en-US')}`
    const slowCols = small.slow && big.slow ? ` ${small.slow[i]!.median.toFixed(1)} | ${big.slow[i]!.median.toFixed(1)} |` : ' – | – |'
    return `| ${c.name} | ${a.median.toFixed(1)} | ${b.median.toFixed(1)} | ${b.p95.toFixed(1)} | ${b.min.toFixed(1)} | ${(b.median / a.median).toFixed(2)} |${slowCols} ${tot(b)} | ${c.target ? (met ? 'met' : 'MISSED') : `not a target (${met ? 'under' : 'over'} 50 ms)`} |`
  })
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim()
  const fmt = (n: number) => n.toLocaleString('en-US')
  const md = `# Tenant directory benchmark: ${sizes.map(fmt).join(' and ')} tenants

Generated by \`npx tsx bench/directory.ts\` on ${new Date().toISOString()}.

## Machine

- nproc: ${nproc} (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}
- load average at start / end: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${loadAfter.map((x) => x.toFixed(2)).join(' ')} (the machine is shared: medians include waiting for a CPU; min is the idle cost)
- ${version.v}; shared_buffers=${version.sb}
- Node ${process.version}

## Data

${results.map((r) => `- ${fmt(r.n)} tenants, ${fmt(r.usageRows)} tenant_usage rows (six months), one tenant_settings row each: built by bench/fleet.ts in ${(r.buildMs / 1000).toFixed(1)} s`).join('\n')}

## Indexes present in fast mode

Created by this run through \`indexes:create\` (the admin action: CREATE INDEX CONCURRENTLY, operator log), on top of the app's own indexes:

| index | ${results.map((r) => `build ms at ${fmt(r.n)}`).join(' | ')} | size at ${fmt(big.n)} |
|---|${results.map(() => '---:').join('|')}|---:|
${big.indexes.map((x) => `| ${x.name} | ${results.map((r) => (r.indexes.find((y) => y.name === x.name)?.ms ?? 0).toFixed(0)).join(' | ')} | ${x.size === null ? '–' : `${(x.size / 1024 / 1024).toFixed(1)} MB`} |`).join('\n')}
| all | ${results.map((r) => r.indexMs.toFixed(0)).join(' | ')} | ${(big.indexes.reduce((s, x) => s + (x.size ?? 0), 0) / 1024 / 1024).toFixed(1)} MB |

Slow mode = the same database before those indexes were created (the app's own indexes only).

## Results (ms, ${runs} timed runs after 3 warm-up runs per case in fast mode, ${slowRuns} in slow mode)

| case | fast median ${fmt(small.n)} | fast median ${fmt(big.n)} | p95 ${fmt(big.n)} | min ${fmt(big.n)} | growth ×${(big.n / small.n).toFixed(0)} fleet | slow median ${fmt(small.n)} | slow median ${fmt(big.n)} | total at ${fmt(big.n)} | target < ${TARGET_MS} ms at ${fmt(big.n)} |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join('\n')}

Growth = fast median at ${fmt(big.n)} / fast median at ${fmt(small.n)} (1.00 = independent of the fleet's size).
"about" totals are estimates (more than 1,000 matches: the planner's row estimate, or a page sample for a search); the exact figure is one \`tenants:count\` away.
`
  const out = values.out!
  mkdirSync(dirname(out), { recursive: true })
  let notes = NOTES
  if (existsSync(out)) {
    const old = readFileSync(out, 'utf8')
    const at = old.indexOf(MARKER)
    if (at >= 0) notes = '\n' + old.slice(at)
  }
  writeFileSync(out, md + notes)
  console.log(md)
  console.log(`Wrote ${out}`)
  return failed ? 1 : 0
}

const MARKER = '<!-- analysis: hand-written, kept by bench/directory.ts across runs -->'
const NOTES = `
${MARKER}
## Analysis

(none yet)
`

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(redact(String((e as Error)?.stack ?? e)))
    process.exit(1)
  }
)
