/**
 * Backup benchmark (issue 4). On the generated fleets (bench/backup-fleet.ts) of 1,000
 * and 10,000 tenant schemas it measures:
 *
 *   A. one tenant through the console (snapshot, pg_dump, container, fsync, rename,
 *      quick verification, catalog) vs the raw `pg_dump -Fc -n <schema> -f file`;
 *   B. 100 tenants through the console (batch: one pg_dump per chunk, split, 100 files,
 *      100 verifications) vs (a) a sequential loop of raw per-tenant pg_dump calls and
 *      (b) one raw pg_dump run over the same 100 schemas.
 *
 *   npm run bench:backup            # both fleets
 *   npx tsx bench/backup.ts 1000    # one fleet
 * Env: BENCH_REPEAT (default 5) runs per single-tenant measurement (median kept);
 *      BENCH_LOOP (default 100) tenants in the raw per-tenant loop (scaled to 100 if fewer).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { BackupService } from '../src-main/backup/service'
import type { Platform } from '../src-main/context'
import { ConnectionManager, targetFromUrl } from '../src-main/db/connection'
import { loadMigrations, runMigrations } from '../src-main/db/migrate'
import { SessionService } from '../src-main/session'
import { PG_PASSWORD } from '../test/support/pg-server'
import { benchServer } from './backup-fleet'
import { median } from './stats'

const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
const LOOP = Number(process.env.BENCH_LOOP ?? 100)
const BATCH = 100

const secs = (ms: number) => (ms / 1000).toFixed(2)

interface FleetResult {
  schemas: number
  singleConsole: number[]
  singleRaw: number[]
  batchConsole: number
  batchRawOneRun: number
  loopRaw: number
  loopMeasured: number
  batchFiles: number
  /** One raw run without the console's planner setting (what an operator types by hand). */
  singleRawPlain: number | null
}

/** The console gives pg_dump this session setting (src-main/backup/export.ts); raw runs get it too, so they are the same command. */
const SESSION_OPTIONS = '-c enable_mergejoin=off'

function rawDump(binDir: string, port: string, db: string, schemas: string[], file: string, plain = false): number {
  const t0 = performance.now()
  const r = spawnSync(
    join(binDir, 'pg_dump'),
    ['-h', '127.0.0.1', '-p', port, '-U', 'postgres', '-d', db, '-Fc', ...schemas.flatMap((s) => ['-n', s]), '-f', file],
    { env: { ...process.env, PGPASSWORD: PG_PASSWORD, PGOPTIONS: plain ? '' : SESSION_OPTIONS } }
  )
  if (r.status !== 0) throw new Error(`raw pg_dump failed: ${r.stderr}`)
  return performance.now() - t0
}

async function benchFleet(n: number, urlFor: (db: string) => string, binDir: string): Promise<FleetResult> {
  const dbName = `fleet_${n}`
  const url = urlFor(dbName)
  const port = new URL(url).port
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  // Only what backups need (the bench runs as a superuser): 0004's per-schema grants loop
  // takes a very long time on thousands of schemas, and measures nothing here.
  const wanted = /^000[12358]_/
  try {
    await runMigrations(admin, (await loadMigrations(resolve(__dirname, '../migrations'))).filter((f) => wanted.test(f.name)))
  } catch (e) {
    // A bench database migrated by an older checkout: fine as long as the backup tables are there.
    const ok = (await admin.query(`SELECT to_regclass('console.backup_batches') IS NOT NULL AS ok`)).rows[0].ok as boolean
    if (!ok) throw e
    console.warn(`  (migrations not re-run: ${(e as Error).message})`)
  }
  const tenants = (await admin.query<{ id: string; schema_name: string }>(`SELECT id::text, schema_name FROM public.tenants ORDER BY slug`)).rows
  await admin.end()
  if (tenants.length < 200) throw new Error(`${dbName} has ${tenants.length} tenants; run bench/backup-fleet.ts first`)
  // A fleet still being generated is measured at the size it has, and reported as such.
  const actual = tenants.length

  const platform: Platform = { emit: () => {} }
  const out = mkdtempSync(join(tmpdir(), `nchat-bench-${n}-`))
  const db = new ConnectionManager()
  await db.setTarget(targetFromUrl(url, { pgBinDir: binDir }))
  const svc = new BackupService(db, new SessionService(db), platform, { consoleVersion: 'bench', backupsDir: out, notifyAfterMs: 1e12 })
  await svc.toolStatus() // warm: tool discovery, session facts

  // A. one tenant (a different tenant each run, same for both sides), alternating sides.
  const singleConsole: number[] = []
  const singleRaw: number[] = []
  rawDump(binDir, port, dbName, [tenants[0]!.schema_name], join(out, 'warm.dump'))
  for (let i = 0; i < REPEAT; i++) {
    const t = tenants[1 + i]!
    singleRaw.push(rawDump(binDir, port, dbName, [t.schema_name], join(out, `raw-${i}.dump`)))
    const t0 = performance.now()
    const rec = await svc.backupTenantNow(t.id, { dir: out })
    singleConsole.push(performance.now() - t0)
    if (!rec.verifiedAt) throw new Error('single backup not verified')
    console.log(`  ${dbName} single #${i + 1}: console ${secs(singleConsole.at(-1)!)} s, raw ${secs(singleRaw.at(-1)!)} s`)
  }

  // For reference: the plain command, without the planner setting (once; very slow at 10,000).
  const singleRawPlain = process.env.BENCH_PLAIN === '0' ? null : rawDump(binDir, port, dbName, [tenants[1]!.schema_name], join(out, 'plain.dump'), true)
  if (singleRawPlain !== null) console.log(`  ${dbName} plain raw pg_dump (no planner setting): ${secs(singleRawPlain)} s`)

  // B. 100 tenants.
  const batch = tenants.slice(100, 100 + BATCH)
  const batchRawOneRun = rawDump(binDir, port, dbName, batch.map((t) => t.schema_name), join(out, 'raw-batch.dump'))
  console.log(`  ${dbName} raw one run over ${BATCH} schemas: ${secs(batchRawOneRun)} s`)
  const batchDir = join(out, 'batch')
  mkdirSync(batchDir)
  const t2 = performance.now()
  const { jobId } = await svc.startBatchInto(
    batch.map((t) => t.id),
    batchDir
  )
  const end = await svc.waitFor(jobId)
  const batchConsole = performance.now() - t2
  if (end?.status !== 'succeeded') throw new Error(`batch ${end?.status}: ${end?.message}`)
  console.log(`  ${dbName} console batch of ${BATCH}: ${secs(batchConsole)} s (${end.tenantsDone} verified files)`)

  const loopSet = batch.slice(0, Math.min(LOOP, BATCH))
  const t3 = performance.now()
  for (const [i, t] of loopSet.entries()) rawDump(binDir, port, dbName, [t.schema_name], join(out, `loop-${i}.dump`))
  const loopMeasured = performance.now() - t3
  const loopRaw = (loopMeasured * BATCH) / loopSet.length
  console.log(`  ${dbName} raw loop: ${loopSet.length} calls in ${secs(loopMeasured)} s${loopSet.length < BATCH ? ` (→ ${secs(loopRaw)} s for ${BATCH})` : ''}`)

  await db.close()
  rmSync(out, { recursive: true, force: true })
  return { schemas: actual, singleConsole, singleRaw, batchConsole, batchRawOneRun, loopRaw, loopMeasured: loopSet.length, batchFiles: end.tenantsDone, singleRawPlain }
}

function report(results: FleetResult[]): string {
  const pgv = spawnSync(join(process.env.NCHAT_PG_BIN ?? '/usr/lib/postgresql/15/bin', 'pg_dump'), ['--version']).stdout?.toString().trim()
  const lines = [
    '# Backup benchmark',
    '',
    `Run: ${new Date().toISOString()} · ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work · ${pgv} against a local PostgreSQL 15 server (bench/.data/pg) · script: \`npm run bench:backup\` (bench/backup.ts; fleets from bench/backup-fleet.ts: the demo template, 10 tables with keys, indexes, a trigger and a policy, ~225 rows per tenant).`,
    '',
    'Console = the whole console path: exported snapshot, pg_dump, public rows and row counts in the same snapshot, container file written beside the destination, fsynced, renamed, re-read and checksummed, `pg_restore --list` check, catalog rows. Raw = the same `pg_dump -Fc` to a file, nothing else, with the same session setting the console gives pg_dump (`PGOPTIONS=' + "'" + SESSION_OPTIONS + "'" + '`, see the notes); the last column is the plain command without it.',
    '',
    '| schemas | one tenant: console (median) | one tenant: raw `pg_dump -Fc -n` (median) | ratio (target ≤ 1.10) | 100 tenants: console batch | (a) raw loop of 100 pg_dump calls | speed-up vs (a) (target ≥ 30×) | (b) one raw pg_dump over the 100 schemas | ratio vs (b) (target ≤ 1.5) | one tenant: plain raw `pg_dump`, no setting (1 run) |',
    '|---|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of results) {
    const sc = median(r.singleConsole)
    const sr = median(r.singleRaw)
    lines.push(
      `| ${r.schemas.toLocaleString('en')} | ${secs(sc)} s | ${secs(sr)} s | ${(sc / sr).toFixed(2)} | ${secs(r.batchConsole)} s | ${secs(r.loopRaw)} s${r.loopMeasured < 100 ? ` (${r.loopMeasured} measured, scaled)` : ''} | ${(r.loopRaw / r.batchConsole).toFixed(1)}× | ${secs(r.batchRawOneRun)} s | ${(r.batchConsole / r.batchRawOneRun).toFixed(2)} | ${r.singleRawPlain != null ? `${secs(r.singleRawPlain)} s` : 'not measured'} |`
    )
  }
  lines.push('', 'Single-tenant runs (s), console / raw:', '')
  for (const r of results) {
    lines.push(`- ${r.schemas.toLocaleString('en')}: ${r.singleConsole.map((x, i) => `${secs(x)}/${secs(r.singleRaw[i]!)}`).join(', ')}`)
  }
  // Hand-written notes on the conditions of the runs, kept across regenerations.
  const notes = resolve(__dirname, 'results/backup-notes.md')
  if (existsSync(notes)) lines.push('', readFileSync(notes, 'utf8').trimEnd())
  return lines.join('\n') + '\n'
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0)
  const { urlFor, binDir } = await benchServer()
  const dir = resolve(__dirname, 'results')
  mkdirSync(dir, { recursive: true })
  for (const n of sizes.length ? sizes : [1000, 10000]) {
    console.log(`fleet of ${n} schemas`)
    const r = await benchFleet(n, urlFor, binDir)
    // One JSON per fleet, so fleets can be measured in separate runs; the table shows all.
    writeFileSync(join(dir, `backup-${n}.json`), JSON.stringify({ ...r, at: new Date().toISOString() }, null, 1))
  }
  const results = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^backup-\d+\.json$/.test(f))
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as FleetResult)
        .sort((a, b) => a.schemas - b.schemas)
    : []
  const md = report(results)
  writeFileSync(join(dir, 'backup.md'), md)
  console.log(md)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
