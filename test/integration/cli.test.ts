import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { createContext } from '../../src-main/context'
import { ConnectionManager, targetFromUrl } from '../../src-main/db/connection'
import { createRegistry, handlers } from '../../src-main/ipc'
import { EXIT_CODES } from '../../src-main/cli/exit-codes'
import type { freshDatabase } from '../support/db'
import { nchatConsole } from '../support/console-cli'
import { makeTenant, migratedDatabase } from './backup-support'
import { dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * nchat-console as a child process against a real database: the same registry as the
 * app (validation, role check, audit), exit status per error code, nothing written on
 * bad input.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
let support: { name: string; password: string }
let supportUrl: string
const ids: Record<string, string> = {}
const OP = ['--operator-name', 'CLI Tester', '--operator-email', 'cli@ops.test']
const pgBin = ['--pg-bin-dir', inject('pgBinDir')]
let dir: string

beforeAll(async () => {
  db = await migratedDatabase('cli')
  c = db.client
  for (const slug of ['acme', 'beta', 'gamma']) ids[slug] = await makeTenant(c, slug)
  await c.query(`GRANT USAGE ON SCHEMA tenant_acme TO nchat_console_support;
                 GRANT SELECT ON ALL TABLES IN SCHEMA tenant_acme TO nchat_console_support;
                 GRANT SELECT ON ALL SEQUENCES IN SCHEMA tenant_acme TO nchat_console_support`)
  support = await loginRole(c, 'nchat_console_support', 'clisup')
  // Backups read every row: the login needs BYPASSRLS (README, Configure).
  await c.query(`ALTER ROLE ${support.name} BYPASSRLS`)
  supportUrl = urlFor(db.url, support.name, support.password)
  dir = mkdtempSync(join(tmpdir(), 'nchat-cli-'))
})

afterAll(async () => {
  const url = db ? new URL(db.url) : null
  await db?.close()
  if (url && support) {
    url.pathname = '/postgres'
    await dropRole(url.toString(), support.name)
  }
})

const status = async (slug: string) => (await c.query<{ status: string }>(`SELECT status FROM public.tenants WHERE slug = $1`, [slug])).rows[0]!.status
const logCount = async () => Number((await c.query(`SELECT count(*) AS n FROM console.operator_log`)).rows[0].n)

describe('nchat-console', () => {
  it('tenants list --json prints the same rows as the directory’s first page', async () => {
    const r = await nchatConsole(['tenants', 'list', '--json', '--database-url', db.url])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const dbm = new ConnectionManager()
    await dbm.setTarget(targetFromUrl(db.url))
    const ctx = createContext({ platform: { emit: () => {} }, migrationsDir: '/nonexistent', db: dbm, demo: null })
    const page = await createRegistry(ctx, handlers, () => true).invoke('tenants:list', {}, { senderUrl: 'test://' })
    await dbm.close()
    expect(page.ok).toBe(true)
    expect(JSON.parse(r.stdout)).toEqual((page as { data: unknown }).data)
    expect(JSON.parse(r.stdout).rows.map((x: { slug: string }) => x.slug)).toEqual(['acme', 'beta', 'gamma'])
  })

  it('tenants list as a table, with a filter; tenants get by slug and by id', async () => {
    const t = await nchatConsole(['tenants', 'list', '--search', 'bet', '--database-url', db.url])
    expect(t.code).toBe(0)
    expect(t.stdout).toMatch(/^id\s+name\s+slug\s+status/m)
    expect(t.stdout).toContain('beta')
    expect(t.stdout).not.toContain('gamma')
    expect(t.stdout).toMatch(/1–1 of 1/)
    const bySlug = await nchatConsole(['tenants', 'get', '--slug', 'gamma', '--json'], { env: { NCHAT_DATABASE_URL: db.url } })
    expect(bySlug.code).toBe(0)
    expect(JSON.parse(bySlug.stdout)).toMatchObject({ id: ids.gamma, slug: 'gamma', schemaExists: true })
    const byId = await nchatConsole(['tenants', 'get', '--id', ids.gamma!, '--json', '--database-url', db.url])
    expect(JSON.parse(byId.stdout)).toEqual(JSON.parse(bySlug.stdout))
  })

  it('suspend and reactivate by slug, audited with the operator given', async () => {
    const s = await nchatConsole(['lifecycle', 'suspend', '--slug', 'beta', '--reason', 'payment_failure', '--note', 'card declined', '--json', '--database-url', supportUrl, ...OP])
    expect(s.stderr).toBe('')
    expect(s.code).toBe(0)
    expect(JSON.parse(s.stdout)).toMatchObject({ tenantId: ids.beta, slug: 'beta', status: 'suspended', changed: true })
    expect(await status('beta')).toBe('suspended')
    const log = await c.query(`SELECT operator_name, operator_email, db_role, params FROM console.operator_log WHERE action = 'tenant.suspend' AND tenant_id = $1`, [ids.beta])
    expect(log.rows).toHaveLength(1)
    expect(log.rows[0]).toMatchObject({ operator_name: 'CLI Tester', operator_email: 'cli@ops.test', db_role: support.name })
    const list = await nchatConsole(['tenants', 'list', '--status', 'suspended', '--json', '--database-url', db.url])
    expect(JSON.parse(list.stdout).rows.map((r: { slug: string }) => r.slug)).toEqual(['beta'])
    const r = await nchatConsole(['lifecycle', 'reactivate', '--slug', 'beta', '--reason', 'payment_failure', '--database-url', supportUrl, ...OP])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/status\s+active/)
    expect(await status('beta')).toBe('active')
  })

  it('refuses to write without an operator identity, before anything is written', async () => {
    const before = await logCount()
    const r = await nchatConsole(['lifecycle', 'suspend', '--slug', 'acme', '--reason', 'other', '--note', 'x', '--database-url', db.url])
    expect(r.code).toBe(EXIT_CODES.NOT_CONFIGURED)
    expect(r.stderr).toMatch(/^error NOT_CONFIGURED: .*operator identity/)
    expect(await status('acme')).toBe('active')
    expect(await logCount()).toBe(before)
  })

  it('failed calls: bad input, missing role, unknown tenant, each with its exit status', async () => {
    const before = await logCount()
    const bad = await nchatConsole(['lifecycle', 'suspend', '--slug', 'acme', '--reason', 'bored', '--database-url', db.url, ...OP])
    expect(bad.code).toBe(EXIT_CODES.INVALID_INPUT)
    expect(bad.stderr).toMatch(/^error INVALID_INPUT: The request was not valid \(--reason: /)
    const badId = await nchatConsole(['tenants', 'get', '--id', 'not-a-uuid', '--database-url', db.url])
    expect(badId.code).toBe(2)
    const unknownFlag = await nchatConsole(['tenants', 'list', '--colour', 'red', '--database-url', db.url])
    expect(unknownFlag.code).toBe(2)
    expect(unknownFlag.stderr).toMatch(/Unknown flag --colour/)
    // Support may suspend but not cancel: the registry's role check, as in the app.
    const role = await nchatConsole(['lifecycle', 'cancel', '--slug', 'acme', '--database-url', supportUrl, ...OP])
    expect(role.code).toBe(EXIT_CODES.FORBIDDEN)
    expect(role.stderr).toMatch(/^error FORBIDDEN: This needs the admin console role/)
    const unknown = await nchatConsole(['lifecycle', 'suspend', '--slug', 'nope', '--reason', 'other', '--note', 'n', '--database-url', db.url, ...OP])
    expect(unknown.code).toBe(EXIT_CODES.NOT_FOUND)
    expect(unknown.stderr).toMatch(/^error NOT_FOUND: No tenant has the slug "nope"/)
    const unknownId = await nchatConsole(['tenants', 'get', '--id', '7d5c1f4e-0000-4000-8000-000000000001', '--database-url', db.url])
    expect(unknownId.code).toBe(EXIT_CODES.NOT_FOUND)
    const down = await nchatConsole(['tenants', 'list', '--database-url', 'postgresql://nobody:secret-pw@127.0.0.1:1/x'])
    expect(down.code).toBe(EXIT_CODES.DB_UNAVAILABLE)
    expect(down.stderr).not.toContain('secret-pw')
    expect(await status('acme')).toBe('active')
    expect(await logCount()).toBe(before)
  })

  it('--help lists flags with their types and allowed values, and the exit statuses', async () => {
    const top = await nchatConsole(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toMatch(/backups\s+tools, list, .*export, export-many, .*run/)
    expect(top.stdout).toMatch(/^\s+5\s+FORBIDDEN$/m)
    const h = await nchatConsole(['lifecycle', 'suspend', '--help'])
    expect(h.stdout).toMatch(/--reason\s+one of: payment_failure, terms_violation, owner_request, security_incident, other \(required\)/)
    expect(h.stdout).toMatch(/--slug\s+/)
    const l = await nchatConsole(['tenants', 'list', '--help'])
    expect(l.stdout).toMatch(/--limit\s+number \[default: 50\]/)
    expect(l.stdout).toMatch(/--statuses\s+list of string/)
  })

  it('backups export --out, then verify --file (quick and deep); a damaged copy fails verification', async () => {
    const file = join(dir, 'acme.nchatbak')
    const e = await nchatConsole(['backups', 'export', '--slug', 'acme', '--out', file, '--json', '--database-url', supportUrl, ...OP, ...pgBin])
    expect(e.stderr).toBe('')
    expect(e.code).toBe(0)
    expect(JSON.parse(e.stdout)).toEqual({ jobId: expect.any(String), batchId: null })
    expect(existsSync(file)).toBe(true)
    const row = await c.query(`SELECT status, verified_at, operator_name FROM console.backup_catalog WHERE file_path = $1`, [file])
    expect(row.rows[0]).toMatchObject({ status: 'succeeded', operator_name: 'CLI Tester' })
    expect(row.rows[0].verified_at).not.toBeNull()

    const v = await nchatConsole(['backups', 'verify', '--file', file, '--deep', '--json', '--database-url', db.url, ...pgBin])
    expect(v.code).toBe(0)
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, level: 'deep' })
    expect((await c.query(`SELECT verification FROM console.backup_catalog WHERE file_path = $1`, [file])).rows[0].verification).toBe('deep')

    const copy = join(dir, 'damaged.nchatbak')
    copyFileSync(file, copy)
    const bytes = readFileSync(copy)
    const mid = Math.floor(bytes.length / 2)
    bytes[mid] = bytes[mid]! ^ 0xff
    writeFileSync(copy, bytes)
    const bad = await nchatConsole(['backups', 'verify', '--file', copy, '--json', '--database-url', db.url, ...pgBin])
    expect(bad.code).toBe(EXIT_CODES.INTERNAL)
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, backupId: null })
  })

  it('backups export without --out is bad input; a profile that does not exist is NOT_FOUND', async () => {
    const r = await nchatConsole(['backups', 'export', '--slug', 'acme', '--database-url', db.url, ...OP])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--out is required/)
    const home = mkdtempSync(join(tmpdir(), 'nchat-cli-home-'))
    const p = await nchatConsole(['tenants', 'list', '--profile', 'staging', '--user-data-dir', home])
    expect(p.code).toBe(EXIT_CODES.NOT_FOUND)
    expect(p.stderr).toMatch(/No connection profile is named "staging"/)
  })
})
