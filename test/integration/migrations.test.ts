import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readLayout } from '../../src-main/db/layout'
import { loadMigrations, runMigrations, type MigrationFile } from '../../src-main/db/migrate'
import { freshDatabase } from '../support/db'
import { ROOT, runCli } from '../support/cli'
import { freePort } from '../support/pg-server'

const MIGRATIONS = join(ROOT, 'migrations')
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures', name), 'utf8')

type Db = Awaited<ReturnType<typeof freshDatabase>>

/**
 * What the app would notice if the console changed it: every column (type, default,
 * nullability), constraint, index and trigger of the app's public tables, and the
 * app's own policies. Grants and the console's own policies are not part of it.
 */
async function appCatalog(c: pg.Client) {
  const cols = await c.query(
    `SELECT cl.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
            pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity, a.attgenerated
       FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND cl.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, 2`
  )
  const cons = await c.query(
    `SELECT cl.relname, co.conname, pg_get_constraintdef(co.oid) AS def
       FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' ORDER BY 1, 2`
  )
  const idx = await c.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`)
  const trg = await c.query(
    `SELECT cl.relname, t.tgname, pg_get_triggerdef(t.oid) AS def
       FROM pg_trigger t JOIN pg_class cl ON cl.oid = t.tgrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY 1, 2`
  )
  const pol = await c.query(
    `SELECT tablename, policyname, cmd, roles::text, qual, with_check FROM pg_policies
      WHERE schemaname = 'public' AND policyname NOT LIKE 'nchat_console%' ORDER BY 1, 2`
  )
  const rls = await c.query(
    `SELECT cl.relname, cl.relrowsecurity, cl.relforcerowsecurity, cl.relowner::regrole::text AS owner
       FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' AND cl.relkind IN ('r', 'p') ORDER BY 1`
  )
  const data = await c.query(`SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) AS h, count(*)::int AS n FROM public.tenants t`)
  return { cols: cols.rows, cons: cons.rows, idx: idx.rows, trg: trg.rows, pol: pol.rows, rls: rls.rows, data: data.rows }
}

async function ledger(c: pg.Client) {
  const r = await c.query<{ name: string; outcome: string }>('SELECT name, outcome FROM console.schema_migrations ORDER BY name')
  return Object.fromEntries(r.rows.map((x) => [x.name, x.outcome]))
}

let files: MigrationFile[]
beforeAll(async () => {
  files = await loadMigrations(MIGRATIONS)
})

describe('console migrations on an empty database', () => {
  let db: Db
  beforeAll(async () => {
    db = await freshDatabase('mig_empty')
  })
  afterAll(() => db?.close())

  it('creates the app tables and the console schema, and a second run is a no-op', async () => {
    const first = await runMigrations(db.client, files)
    expect(first.map((o) => o.outcome)).toEqual(files.map(() => 'applied'))
    const rel = await db.client.query<{ name: string; present: boolean }>(
      `SELECT x AS name, to_regclass(x) IS NOT NULL AS present
         FROM unnest($1::text[]) AS x`,
      [
        [
          'public.tenants',
          'public.tenant_usage',
          'public.tenant_settings',
          'public.tenant_invitations',
          'public.tenant_audit_logs',
          'public.stripe_webhooks',
          'console.schema_migrations',
          'console.operator_log',
          'console.backup_catalog',
          'console.webhook_replays'
        ]
      ]
    )
    for (const r of rel.rows) expect(r.present, r.name).toBe(true)
    expect((await ledger(db.client))['0001_app_multitenant_030.sql']).toBe('applied')
    const layout = await readLayout(db.client)
    expect(layout.kind).toBe('030')
    expect(layout.statuses.sort()).toEqual(['active', 'cancelled', 'pending', 'suspended', 'trial'])
    expect(layout.plans.sort()).toEqual(['custom', 'enterprise', 'free', 'pro'])

    const before = await appCatalog(db.client)
    const second = await runMigrations(db.client, files)
    expect(second.map((o) => o.outcome)).toEqual(files.map(() => 'already-applied'))
    expect(await appCatalog(db.client)).toEqual(before)
  })

  it('refuses a migration whose file changed after it was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nchat-mig-'))
    try {
      cpSync(MIGRATIONS, dir, { recursive: true })
      const target = join(dir, '0002_console_schema.sql')
      writeFileSync(target, readFileSync(target, 'utf8') + '\n-- edited after release\n')
      const changed = await loadMigrations(dir)
      await expect(runMigrations(db.client, changed)).rejects.toThrow(
        /0002_console_schema\.sql was changed after it was applied.*add a new one/
      )
      // Nothing was recorded for the edited file.
      const r = await db.client.query(`SELECT checksum FROM console.schema_migrations WHERE name = '0002_console_schema.sql'`)
      expect(r.rows[0].checksum).toBe(files.find((f) => f.name === '0002_console_schema.sql')!.checksum)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.each([
  ['app-030.sql', '030', ['active', 'cancelled', 'pending', 'suspended', 'trial'], ['custom', 'enterprise', 'free', 'pro']],
  ['app-newer.sql', 'newer', ['active', 'cancelled', 'suspended', 'trial'], ['business', 'enterprise', 'free', 'pro', 'starter']]
] as const)('adopting an existing app database (%s)', (file, kind, statuses, plans) => {
  let db: Db
  beforeAll(async () => {
    db = await freshDatabase('mig_adopt')
    await db.client.query(fixture(file))
  })
  afterAll(() => db?.close())

  it('records 0001 as adopted and leaves the app tables exactly as they were', async () => {
    const before = await appCatalog(db.client)
    expect(before.cols.length).toBeGreaterThan(20)
    const out = await runMigrations(db.client, files)
    expect(out.find((o) => o.name === '0001_app_multitenant_030.sql')?.outcome).toBe('adopted')
    expect(out.filter((o) => o.name !== '0001_app_multitenant_030.sql').every((o) => o.outcome === 'applied')).toBe(true)
    expect(await ledger(db.client)).toMatchObject({ '0001_app_multitenant_030.sql': 'adopted', '0002_console_schema.sql': 'applied' })
    const after = await appCatalog(db.client)
    expect(after).toEqual(before)

    // Run again: nothing to do, still nothing changed.
    const again = await runMigrations(db.client, files)
    expect(again.every((o) => o.outcome === 'already-applied')).toBe(true)
    expect(await appCatalog(db.client)).toEqual(before)
  })

  it('reads the layout from the catalog', async () => {
    const layout = await readLayout(db.client)
    expect(layout.kind).toBe(kind)
    expect([...layout.statuses].sort()).toEqual(statuses)
    expect([...layout.plans].sort()).toEqual(plans)
    expect(layout.migrationsApplied).toBe(true)
    if (kind === 'newer') {
      expect(layout.hasStripeWebhooks).toBe(false)
      expect(layout.hasInvitations).toBe(false)
      expect(layout.auditTable).toBe('tenant_audit_log')
      expect(layout.unsupported.join(' ')).toMatch(/newer tenancy layout/)
    } else {
      expect(layout.auditTable).toBe('tenant_audit_logs')
      expect(layout.unsupported).toEqual([])
    }
  })
})

describe('db:migrate CLI', () => {
  it('exits non-zero with a clear message for an unreachable database, without printing the password', async () => {
    const port = await freePort()
    const r = await runCli('migrate.ts', ['--database-url', `postgresql://console:Sup3rSecretPw@127.0.0.1:${port}/nchat`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/Cannot connect to postgresql:\/\/console:\*\*\*@127\.0\.0\.1:\d+\/nchat/)
    expect(r.stderr + r.stdout).not.toContain('Sup3rSecretPw')
  })

  it('applies migrations to an empty database and reports "up to date" the second time', async () => {
    const db = await freshDatabase('mig_cli')
    try {
      const first = await runCli('migrate.ts', ['--database-url', db.url])
      expect(first.code, first.stderr).toBe(0)
      expect(first.stdout).toMatch(/applied\s+0001_app_multitenant_030\.sql/)
      const second = await runCli('migrate.ts', ['--database-url', db.url])
      expect(second.code).toBe(0)
      expect(second.stdout).toMatch(/Up to date/)
    } finally {
      await db.close()
    }
  })
})
