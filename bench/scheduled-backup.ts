/**
 * Scheduled backup benchmark (issue 11): `nchat-console backups run --all` over a fleet of
 * 1,000 tenant schemas, the whole command as cron would run it (a child process: start-up,
 * connection, batch export with one pg_dump per chunk, split into one verified file per
 * tenant, catalog, retention deleting the previous run's 1,000 files, summary), against
 * one raw multi-schema `pg_dump -Fc` of the same schemas to one file.
 *
 *   npx tsx bench/backup-fleet.ts 1000     # the fleet (bench/.data/pg), once
 *   npm run bench:scheduled-backup         # or: npx tsx bench/scheduled-backup.ts [tenants]
 * Env: BENCH_REPEAT (default 3) measured runs per side, alternating; one warm-up run each.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import type { ScheduledRunSummary } from '../src-main/cli/schedule'
import { loadMigrations, runMigrations } from '../src-main/db/migrate'
import { PG_PASSWORD } from '../test/support/pg-server'
import { benchServer } from './backup-fleet'
import { median } from './stats'

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3)
/** The console gives pg_dump this session setting (src-main/backup/service.ts); the raw run gets it too. */
const SESSION_OPTIONS = '-c enable_mergejoin=off'
const ROOT = resolve(__dirname, '..')
const secs = (ms: number) => (ms / 1000).toFixed(2)

function rawDump(binDir: string, url: string, schemas: string[], file: string): number {
  const u = new URL(url)
  const t0 = performance.now()
  const r = spawnSync(
    join(binDir, 'pg_dump'),
    ['-h', u.hostname, '-p', u.port, '-U', 'postgres', '-d', u.pathname.slice(1), '-Fc', ...schemas.flatMap((s) => ['-n', s]), '-f', file],
    { env: { ...process.env, PGPASSWORD: PG_PASSWORD, PGOPTIONS: SESSION_OPTIONS }, maxBuffer: 64 * 1024 * 1024 }
  )
  if (r.status !== 0) throw new Error(`raw pg_dump failed: ${r.stderr}`)
  return performance.now() - t0
}

function consoleRun(url: string, binDir: string, dir: string): { ms: number; summary: ScheduledRunSummary } {
  const t0 = performance.now()
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/nchat-console.cjs'), 'backups', 'run', '--all', '--dir', dir, '--keep-daily', '1', '--json', '--database-url', url, '--pg-bin-dir', binDir, '--operator-name', 'bench'],
    { env: { ...process.env, NCHAT_DATABASE_URL: '' }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }
  )
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`nchat-console backups run exited ${r.status}: ${r.stderr.slice(-2000)}`)
  return { ms, summary: JSON.parse(r.stdout) as ScheduledRunSummary }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000)
  const { urlFor, binDir } = await benchServer()
  const url = urlFor(`fleet_${n}`)
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  // What backups need (the bench runs as a superuser), as bench/backup.ts does.
  const wanted = /^000[12358]_/
  try {
    await runMigrations(admin, (await loadMigrations(resolve(__dirname, '../migrations'))).filter((f) => wanted.test(f.name)))
  } catch (e) {
    const ok = (await admin.query(`SELECT to_regclass('console.backup_batches') IS NOT NULL AS ok`)).rows[0].ok as boolean
    if (!ok) throw e
  }
  const schemas = (await admin.query<{ schema_name: string }>(`SELECT schema_name FROM public.tenants ORDER BY slug`)).rows.map((r) => r.schema_name)
  await admin.end()
  if (schemas.length < n) throw new Error(`fleet_${n} has ${schemas.length} tenants; run npx tsx bench/backup-fleet.ts ${n} first`)

  const work = mkdtempSync(join(tmpdir(), `nchat-bench-sched-${n}-`))
  const dir = join(work, 'nightly')
  mkdirSync(dir)
  const raw: number[] = []
  const cons: number[] = []
  const runs: { ms: number; succeeded: number; deleted: number; kept: number; files: number }[] = []
  // Warm-up: one of each (the first console run also fills the folder retention then prunes).
  rawDump(binDir, url, schemas, join(work, 'raw-warm.dump'))
  const warm = consoleRun(url, binDir, dir)
  console.log(`warm-up: console ${secs(warm.ms)} s, ${warm.summary.succeeded}/${warm.summary.total} tenants`)
  for (let i = 0; i < REPEAT; i++) {
    raw.push(rawDump(binDir, url, schemas, join(work, `raw-${i}.dump`)))
    rmSync(join(work, `raw-${i}.dump`), { force: true })
    await new Promise((r) => setTimeout(r, 1100)) // new file names (they carry the second)
    const c = consoleRun(url, binDir, dir)
    cons.push(c.ms)
    const s = c.summary
    if (s.failed) throw new Error(`${s.failed} tenants failed: ${JSON.stringify(s.failures.slice(0, 3))}`)
    const files = readdirSync(dir).filter((f) => f.endsWith('.nchatbak')).length
    runs.push({ ms: c.ms, succeeded: s.succeeded, deleted: s.retention.deleted.length, kept: s.retention.kept, files })
    console.log(`run ${i + 1}: raw ${secs(raw.at(-1)!)} s, console ${secs(c.ms)} s (${s.succeeded} verified, retention deleted ${s.retention.deleted.length}, ${files} files in the folder)`)
  }
  rmSync(work, { recursive: true, force: true })

  const pgv = spawnSync(join(binDir, 'pg_dump'), ['--version']).stdout?.toString().trim()
  const r = median(cons) / median(raw)
  const out = resolve(__dirname, 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, `scheduled-backup-${n}.json`), JSON.stringify({ schemas: n, raw, console: cons, runs, at: new Date().toISOString() }, null, 1))
  const lines = [
    '# Scheduled backup benchmark',
    '',
    `Run: ${new Date().toISOString()} · ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work · ${pgv} against a local PostgreSQL 15 server (bench/.data/pg) · script: \`npm run bench:scheduled-backup\` (bench/scheduled-backup.ts; fleet from bench/backup-fleet.ts).`,
    '',
    'Console = `nchat-console backups run --all --dir DIR --keep-daily 1 --json` as a child process, the whole command: start-up, connection, one batch (a snapshot, one pg_dump per chunk of up to 100 schemas, split into one file per tenant, each fsynced, renamed and verified), catalog rows, retention (each run deletes the previous run\'s file of every tenant, logs each deletion and updates the catalog), the JSON summary. Raw = one `pg_dump -Fc` with a `-n` per schema, to one file, with the same session setting (`PGOPTIONS=\'' + SESSION_OPTIONS + '\'`).',
    '',
    '| schemas | console `backups run` (median) | raw multi-schema `pg_dump -Fc` (median) | ratio (target ≤ 1.5) |',
    '|---|---|---|---|',
    `| ${n.toLocaleString('en')} | ${secs(median(cons))} s | ${secs(median(raw))} s | ${r.toFixed(2)} |`,
    '',
    'Runs (s), console / raw, and what retention did:',
    '',
    ...runs.map((x, i) => `- ${secs(x.ms)} / ${secs(raw[i]!)}: ${x.succeeded} verified files written, ${x.deleted} deleted by retention, ${x.kept} kept, ${x.files} files in the folder after the run`)
  ]
  const notes = resolve(__dirname, 'results/scheduled-backup-notes.md')
  if (existsSync(notes)) lines.push('', readFileSync(notes, 'utf8').trimEnd())
  const md = lines.join('\n') + '\n'
  writeFileSync(join(out, 'scheduled-backup.md'), md)
  console.log(md)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
