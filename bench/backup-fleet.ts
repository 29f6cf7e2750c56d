/**
 * Lean fleet generator for the backup benchmark (kept out of the test suite).
 *
 * Starts (or reuses) a PostgreSQL 15 cluster under bench/.data/pg and builds the
 * databases `fleet_1000` and `fleet_10000`: the app's public tables (migration 0001),
 * the console schema (0002), and N tenant schemas made from the realistic template
 * (10 tables with keys, indexes, a trigger and an RLS policy) with a few rows each,
 * plus a matching public.tenants row per tenant.
 *
 *   npx tsx bench/backup-fleet.ts [1000] [10000]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { templateDdl } from '../src-main/seed/template'
import { PG_PASSWORD, freePort, pgBinDir, runPgTool as run } from '../test/support/pg-server'

const ROOT = resolve(__dirname, '.data')
const BASE = join(ROOT, 'pg')
const DATA = join(BASE, 'data')
const PORT_FILE = join(BASE, 'port')
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0


/** Starts the bench cluster when it is not running; returns the superuser URL of `postgres`. */
export async function benchServer(): Promise<{ adminUrl: string; binDir: string; urlFor(db: string): string }> {
  const binDir = pgBinDir()
  if (!existsSync(DATA)) {
    mkdirSync(BASE, { recursive: true })
    chmodSync(ROOT, 0o755)
    chmodSync(BASE, 0o755)
    const pw = join(BASE, 'pw')
    writeFileSync(pw, PG_PASSWORD + '\n')
    if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', BASE])
    run(join(binDir, 'initdb'), ['-D', DATA, '-U', 'postgres', '--pwfile', pw, '-A', 'scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  }
  const port = existsSync(PORT_FILE) ? Number(readFileSync(PORT_FILE, 'utf8')) : await freePort()
  const status = spawnSync(isRoot ? 'runuser' : join(binDir, 'pg_ctl'), isRoot ? ['-u', 'postgres', '--', join(binDir, 'pg_ctl'), '-D', DATA, 'status'] : ['-D', DATA, 'status'])
  if (status.status !== 0) {
    const opts = [
      `-p ${port}`,
      `-k ${BASE}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
      '-c max_locks_per_transaction=1024',
      '-c shared_buffers=512MB'
    ].join(' ')
    run(join(binDir, 'pg_ctl'), ['-D', DATA, '-o', opts, '-l', join(BASE, 'server.log'), '-w', '-t', '120', 'start'])
    writeFileSync(PORT_FILE, String(port))
  }
  const urlFor = (db: string) => `postgresql://postgres:${PG_PASSWORD}@127.0.0.1:${port}/${db}`
  return { adminUrl: urlFor('postgres'), binDir, urlFor }
}

function tenantSql(i: number): string {
  const slug = `t${String(i).padStart(5, '0')}`
  const schema = `tenant_${slug}`
  const s = `"${schema}"`
  return `BEGIN;
       ${templateDdl(schema)}
       INSERT INTO ${s}.nchat_users (email, display_name) SELECT 'u' || g || '@${slug}.test', 'User ' || g FROM generate_series(1, 20) g;
       INSERT INTO ${s}.nchat_channels (name, created_by) SELECT 'channel-' || g, 1 FROM generate_series(1, 5) g;
       INSERT INTO ${s}.nchat_messages (channel_id, user_id, body) SELECT 1 + g % 5, 1 + g % 20, 'message ' || g FROM generate_series(1, 200) g;
       INSERT INTO public.tenants (name, slug, owner_email, owner_name, schema_name)
         VALUES ('Tenant ${slug}', '${slug}', 'owner@${slug}.test', 'Owner', '${schema}');
       INSERT INTO public.tenant_settings (tenant_id) SELECT id FROM public.tenants WHERE slug = '${slug}';
       INSERT INTO public.tenant_usage (tenant_id, period, users_total) SELECT id, '2026-11', 20 FROM public.tenants WHERE slug = '${slug}';
       COMMIT;`
}

async function buildFleet(adminUrl: string, urlFor: (db: string) => string, n: number): Promise<void> {
  const name = `fleet_${n}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
  if (!exists.rowCount) await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`)
  await admin.end()
  const c = new pg.Client({ connectionString: urlFor(name) })
  await c.connect()
  const hasTenants = (await c.query(`SELECT to_regclass('public.tenants') IS NOT NULL AS ok`)).rows[0].ok as boolean
  if (!hasTenants) {
    const mig = resolve(__dirname, '../migrations')
    await c.query(readFileSync(join(mig, '0001_app_multitenant_030.sql'), 'utf8'))
    await c.query('CREATE SCHEMA IF NOT EXISTS console')
    await c.query(readFileSync(join(mig, '0002_console_schema.sql'), 'utf8'))
  }
  const existing = new Set(
    (await c.query<{ slug: string }>(`SELECT slug FROM public.tenants`)).rows.map((r) => r.slug)
  )
  const todo: number[] = []
  for (let i = 0; i < n; i++) if (!existing.has(`t${String(i).padStart(5, '0')}`)) todo.push(i)
  const t0 = Date.now()
  let done = n - todo.length
  // Two connections: catalog inserts are server-bound, so a second backend roughly halves the wait.
  const worker = async () => {
    const w = new pg.Client({ connectionString: urlFor(name) })
    await w.connect()
    for (;;) {
      const i = todo.shift()
      if (i === undefined) break
      await w.query(tenantSql(i))
      if (++done % 500 === 0) console.log(`${name}: ${done}/${n} schemas (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
    }
    await w.end()
  }
  await Promise.all([worker(), worker()])
  await c.query('ANALYZE')
  await c.end()
  console.log(`${name}: ready with ${n} tenant schemas`)
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0)
  const { adminUrl, urlFor } = await benchServer()
  for (const n of sizes.length ? sizes : [1000, 10000]) await buildFleet(adminUrl, urlFor, n)
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
