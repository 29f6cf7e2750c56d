import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { inject } from 'vitest'
import { EXIT_CODES, EXIT_TENANTS_FAILED } from '../../src-main/cli/exit-codes'
import { RETENTION_ACTION, type ScheduledRunSummary } from '../../src-main/cli/schedule'
import type { freshDatabase } from '../support/db'
import { nchatConsole } from '../support/console-cli'
import { makeTenant, migratedDatabase } from './backup-support'

/**
 * `nchat-console backups run` over 50 tenants: every tenant backed up, verified and
 * catalogued; then one tenant's schema is broken on purpose: the run reports it, exits
 * non-zero and keeps the others; retention deletes only files that have a newer verified
 * backup of the same tenant, never the broken tenant's last good one, and logs each.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const ids: string[] = []
let dir: string
const N = 50
const BROKEN = 'fleet-17'
const common = () => ['--database-url', db.url, '--pg-bin-dir', inject('pgBinDir'), '--operator-name', 'Nightly', '--operator-email', 'nightly@ops.test', '--json']

beforeAll(async () => {
  db = await migratedDatabase('clirun')
  c = db.client
  for (let i = 0; i < N; i++) ids.push(await makeTenant(c, `fleet-${String(i).padStart(2, '0')}`, { messages: 5 }))
  dir = join(mkdtempSync(join(tmpdir(), 'nchat-run-')), 'nightly')
}, 180_000)

afterAll(async () => {
  await db?.close()
})

const files = () => readdirSync(dir).filter((f) => f.endsWith('.nchatbak')).sort()

it('backs up 50 tenants, then reports a broken schema, keeps the others and applies retention', async () => {
  const first = await nchatConsole(['backups', 'run', '--all', '--dir', dir, '--keep-daily', '1', ...common()], { timeoutMs: 300_000 })
  expect(first.stderr).toBe('')
  expect(first.code).toBe(0)
  const s1 = JSON.parse(first.stdout) as ScheduledRunSummary
  expect(s1).toMatchObject({ total: N, succeeded: N, failed: 0, failures: [] })
  expect(s1.retention.deleted).toEqual([])
  expect(files()).toHaveLength(N)
  const verified = await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog WHERE batch_id = $1 AND status = 'succeeded' AND verified_at IS NOT NULL`, [s1.batchId])
  expect(verified.rows[0].n).toBe(N)
  const firstFileOf = new Map(s1.tenants.map((t) => [t.tenantSlug, t.file]))

  // Broken on purpose: the tenant's schema is gone, its row stays.
  await c.query(`DROP SCHEMA tenant_fleet_17 CASCADE`)
  await new Promise((r) => setTimeout(r, 1100)) // new file names (they carry the second)
  const second = await nchatConsole(['backups', 'run', '--all', '--dir', dir, '--keep-daily', '1', ...common()], { timeoutMs: 300_000 })
  expect(second.code).toBe(EXIT_TENANTS_FAILED)
  const s2 = JSON.parse(second.stdout) as ScheduledRunSummary
  expect(s2).toMatchObject({ total: N, succeeded: N - 1, failed: 1 })
  expect(s2.failures).toEqual([{ tenantId: ids[17], tenantSlug: BROKEN, error: expect.stringMatching(/schema tenant_fleet_17 does not exist/) }])

  // Same day, keep-daily 1: each healthy tenant's first file goes (a newer verified one exists);
  // the broken tenant keeps its only good backup.
  expect(s2.retention.deleted).toHaveLength(N - 1)
  expect(s2.retention.deleted.map((d) => d.tenantSlug)).not.toContain(BROKEN)
  for (const d of s2.retention.deleted) {
    expect(d.file).toBe(firstFileOf.get(d.tenantSlug))
    expect(existsSync(d.file)).toBe(false)
    expect(d.reason).toMatch(/newer verified backup/)
  }
  expect(existsSync(firstFileOf.get(BROKEN)!)).toBe(true)
  expect(files()).toHaveLength(N)
  for (const t of s2.tenants.filter((x) => x.ok)) expect(existsSync(t.file!)).toBe(true)

  // Each deletion is logged, and the catalog no longer counts the file as a verified backup.
  const log = await c.query(`SELECT operator_name, tenant_slug, params FROM console.operator_log WHERE action = $1`, [RETENTION_ACTION])
  expect(log.rows).toHaveLength(N - 1)
  expect(log.rows[0]).toMatchObject({ operator_name: 'Nightly' })
  expect(new Set(log.rows.map((r) => r.params.backupId))).toEqual(new Set(s2.retention.deleted.map((d) => d.backupId)))
  const stale = await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog WHERE id = ANY($1::uuid[]) AND verified_at IS NULL AND verify_error LIKE 'Deleted by the retention policy%'`, [
    s2.retention.deleted.map((d) => d.backupId)
  ])
  expect(stale.rows[0].n).toBe(N - 1)

  // A human summary names the failure; a selection by slug works the same way.
  const one = await nchatConsole(['backups', 'run', '--slug', 'fleet-03', '--slug', BROKEN, '--dir', dir, ...common().filter((a) => a !== '--json')], { timeoutMs: 120_000 })
  expect(one.code).toBe(EXIT_TENANTS_FAILED)
  expect(one.stdout).toMatch(/Backed up 1 of 2 tenants/)
  expect(one.stdout).toMatch(/fleet-17: The tenant's schema tenant_fleet_17 does not exist/)
  expect(one.stdout).toMatch(/Retention: no policy given/)
}, 600_000)

it('refuses a run without a selection or folder, and without an operator', async () => {
  const noSel = await nchatConsole(['backups', 'run', '--dir', dir, '--database-url', db.url, '--operator-name', 'x'])
  expect(noSel.code).toBe(EXIT_CODES.INVALID_INPUT)
  const noOp = await nchatConsole(['backups', 'run', '--all', '--dir', dir, '--database-url', db.url])
  expect(noOp.code).toBe(EXIT_CODES.NOT_CONFIGURED)
  const badKeep = await nchatConsole(['backups', 'run', '--all', '--dir', dir, '--keep-daily', '-1', '--database-url', db.url, '--operator-name', 'x'])
  expect(badKeep.code).toBe(EXIT_CODES.INVALID_INPUT)
})
