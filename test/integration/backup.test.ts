import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { openBackup } from '../../src-main/backup/container'
import type { freshDatabase } from '../support/db'
import { TestPlatform, hangingRestoreTools, makeService, makeTenant, migratedDatabase, publicFingerprint, schemaFingerprint } from './backup-support'

let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const platform = new TestPlatform()
let con: ReturnType<typeof makeService>
let dir: string
const ids: Record<string, string> = {}

beforeAll(async () => {
  db = await migratedDatabase('bk')
  c = db.client
  ids.acme = await makeTenant(c, 'acme')
  ids.acmex = await makeTenant(c, 'acmex')
  ids.globex = await makeTenant(c, 'globex')
  // Look-alikes of tenant_acme: upper case, pattern characters. No tenant rows.
  for (const s of ['Tenant_Acme', 'TENANT_ACME', 'tenant_acme*', 'tenant.acme', 'tenant_acm_']) {
    await c.query(`CREATE SCHEMA "${s}"; CREATE TABLE "${s}".decoy (id int); INSERT INTO "${s}".decoy VALUES (1)`)
  }
  await c.query(`SELECT setval('tenant_acme.nchat_users_id_seq', 500)`)
  con = makeService(db.url, platform)
  await con.ready()
  dir = mkdtempSync(join(tmpdir(), 'nchat-bk-'))
})

afterAll(async () => {
  await con?.close()
  await db?.close()
})

async function exportOne(tenantId: string, file: string) {
  platform.nextSavePath = file
  const started = await con.svc.startExport(tenantId)
  expect(started).not.toBeNull()
  const end = await con.svc.waitFor(started!.jobId)
  return { started: started!, end: end! }
}

function archiveList(file: string): string {
  const b = readFileSync(file)
  return b.toString('latin1')
}

describe('one tenant', () => {
  let file: string
  let before: Record<string, string>
  let publicBefore: Record<string, string>

  it('writes a verified backup of exactly tenant_acme, recorded in the catalog', async () => {
    file = join(dir, 'acme.nchatbak')
    before = await schemaFingerprint(c, 'tenant_acme')
    publicBefore = await publicFingerprint(c, ids.acme!)
    const { end } = await exportOne(ids.acme!, file)
    expect(end.status, end.message ?? '').toBe('succeeded')
    expect(existsSync(file)).toBe(true)
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([])
    const [rec] = await con.svc.list({ tenantId: ids.acme!, limit: 5 })
    expect(rec!.status).toBe('succeeded')
    expect(rec!.verifiedAt).not.toBeNull()
    expect(rec!.sizeBytes).toBe(readFileSync(file).length)
    const b = await openBackup(file)
    expect(b.manifest.tenant.schema).toBe('tenant_acme')
    expect(b.manifest.schemaTables.find((t) => t.table === 'nchat_messages')!.rows).toBe(49)
    expect(b.manifest.publicTables).toEqual(
      expect.arrayContaining([
        { table: 'tenants', rows: 1 },
        { table: 'tenant_settings', rows: 1 },
        { table: 'stripe_webhooks', rows: 1 }
      ])
    )
    expect(b.manifest.parts.map((p) => p.name)).toEqual(['schema.dump', 'public.jsonl'])
    // progress streamed, notification sent
    const progress = platform.events.filter((e) => e.event === 'backups:progress')
    expect(progress.length).toBeGreaterThan(1)
    expect(platform.notifications.length).toBeGreaterThan(0)
  })

  it('selects the schema exactly: no look-alike names in the archive', async () => {
    const r = spawnSync(join(inject('pgBinDir'), 'pg_restore'), ['--list'], { input: extractPart(file, 'schema.dump') })
    const list = r.stdout.toString()
    const schemas = new Set(
      list
        .split('\n')
        .filter((l) => /^\d+;/.test(l))
        .map((l) => l.split(' ')[4])
    )
    expect([...schemas].filter((s) => s !== '-' && s !== undefined)).toEqual(expect.arrayContaining(['tenant_acme']))
    expect(list).not.toMatch(/acmex|Tenant_Acme|TENANT_ACME|tenant_acme\*|tenant\.acme|tenant_acm_ |decoy/)
    void archiveList
  })

  it('deep verification restores into a scratch schema and leaves nothing behind', async () => {
    const [rec] = await con.svc.list({ tenantId: ids.acme!, limit: 1 })
    const v = await con.svc.verify(rec!.id, true)
    expect(v.ok, v.message).toBe(true)
    expect(v.tables.find((t) => t.table === 'nchat_messages')).toEqual({ table: 'nchat_messages', expected: 49, found: 49 })
    const left = await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nchat\\_%'`)
    expect(left.rows).toEqual([])
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(before)
  })

  it('round trip: drop everything, restore, every row and sequence is back', async () => {
    const [rec] = await con.svc.list({ tenantId: ids.acme!, limit: 1 })
    await c.query(`DROP SCHEMA tenant_acme CASCADE`)
    await c.query(`DELETE FROM public.tenants WHERE id = $1`, [ids.acme])
    const r = await con.svc.restore({ backupId: rec!.id, mode: 'same' })
    expect(r.schema).toBe('tenant_acme')
    expect(r.safetyBackupId).toBeNull() // nothing left to save
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(before)
    expect(await publicFingerprint(c, ids.acme!)).toEqual(publicBefore)
    // identity sequence continues where it was
    const n = await c.query(`INSERT INTO tenant_acme.nchat_users (email, display_name) VALUES ('new@x', 'N') RETURNING id`)
    expect(Number(n.rows[0].id)).toBe(501)
    await c.query(`DELETE FROM tenant_acme.nchat_users WHERE email = 'new@x'`)
    await c.query(`SELECT setval('tenant_acme.nchat_users_id_seq', 500)`)
  })

  it('restore into the same tenant takes a safety backup of the current state first', async () => {
    const [rec] = await con.svc.list({ tenantId: ids.acme!, limit: 10 }).then((l) => l.filter((x) => x.kind === 'export'))
    await c.query(`INSERT INTO tenant_acme.nchat_channels (name) VALUES ('after-backup')`)
    await c.query(`UPDATE public.tenant_settings SET timezone = 'UTC' WHERE tenant_id = $1`, [ids.acme])
    const r = await con.svc.restore({ backupId: rec!.id, mode: 'same' })
    expect(r.safetyBackupId).not.toBeNull()
    const safety = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).find((x) => x.id === r.safetyBackupId)!
    expect(safety.kind).toBe('safety')
    expect(safety.verifiedAt).not.toBeNull()
    expect((await openBackup(safety.filePath)).manifest.schemaTables.find((t) => t.table === 'nchat_channels')!.rows).toBe(4)
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(before)
    expect(await publicFingerprint(c, ids.acme!)).toEqual(publicBefore)
  })

  it('restore as a copy: new tenant, objects point at the new schema, source untouched', async () => {
    const [rec] = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).filter((x) => x.kind === 'export')
    const srcBefore = await schemaFingerprint(c, 'tenant_acme')
    const srcPublic = await publicFingerprint(c, ids.acme!)
    const r = await con.svc.restore({ backupId: rec!.id, mode: 'copy', newSlug: 'acme-copy' })
    expect(r.schema).toBe('tenant_acme_copy')
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(srcBefore)
    expect(await publicFingerprint(c, ids.acme!)).toEqual(srcPublic)
    expect(await schemaFingerprint(c, 'tenant_acme_copy')).toEqual(srcBefore)
    const t = await c.query(`SELECT id::text, slug, schema_name, custom_domain, stripe_customer_id, metadata FROM public.tenants WHERE slug = 'acme-copy'`)
    expect(t.rows[0]).toMatchObject({ schema_name: 'tenant_acme_copy', custom_domain: null, stripe_customer_id: null })
    expect(t.rows[0].metadata.stripeCustomerId).toBeUndefined()
    expect(Object.keys(t.rows[0].metadata).filter((k) => /^stripe|^lastPayment/i.test(k))).toEqual([])
    expect(t.rows[0].metadata.copiedFrom.slug).toBe('acme')
    const log = await c.query(`SELECT params FROM console.operator_log WHERE tenant_id = $1 AND action = 'backup.restore_copy'`, [t.rows[0].id])
    expect(log.rows[0].params).toMatchObject({ sourceSlug: 'acme', sourceTenantId: ids.acme })
    const newId = t.rows[0].id
    const kids = await c.query(
      `SELECT (SELECT count(*) FROM public.tenant_settings WHERE tenant_id = $1)::int AS s,
              (SELECT count(*) FROM public.tenant_usage WHERE tenant_id = $1)::int AS u,
              (SELECT count(*) FROM public.tenant_invitations WHERE tenant_id = $1)::int AS i,
              (SELECT count(*) FROM public.tenant_audit_logs WHERE tenant_id = $1)::int AS a,
              (SELECT count(*) FROM public.stripe_webhooks WHERE tenant_id = $1)::int AS w`,
      [newId]
    )
    // A copy starts with a clean history: the source's audit rows stay with the source.
    expect(kids.rows[0]).toEqual({ s: 1, u: 1, i: 1, a: 0, w: 0 })
    expect(r.warnings.join(' ')).toMatch(/stripe_webhooks/)
    // Defaults, owned sequences, triggers, policies, FKs of the copy: none reach into tenant_acme.
    const refs = await c.query(
      `SELECT
         (SELECT count(*) FROM pg_trigger tg JOIN pg_class cl ON cl.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid
           WHERE cl.relnamespace = 'tenant_acme_copy'::regnamespace AND NOT tg.tgisinternal AND p.pronamespace <> 'tenant_acme_copy'::regnamespace)::int AS bad_triggers,
         (SELECT count(*) FROM pg_policy po JOIN pg_class cl ON cl.oid = po.polrelid WHERE cl.relnamespace = 'tenant_acme_copy'::regnamespace)::int AS policies,
         (SELECT count(*) FROM pg_constraint k WHERE k.connamespace = 'tenant_acme_copy'::regnamespace AND k.contype = 'f'
             AND (SELECT relnamespace FROM pg_class WHERE oid = k.confrelid) <> 'tenant_acme_copy'::regnamespace)::int AS bad_fks,
         (SELECT count(*) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_class t ON t.oid = d.refobjid
           WHERE t.relnamespace = 'tenant_acme_copy'::regnamespace AND s.relnamespace <> t.relnamespace)::int AS bad_seqs`
    )
    expect(refs.rows[0]).toEqual({ bad_triggers: 0, policies: 1, bad_fks: 0, bad_seqs: 0 })
    // The copy's identity sequence is its own.
    await c.query(`INSERT INTO tenant_acme_copy.nchat_users (email, display_name) VALUES ('copy@x', 'C')`)
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(srcBefore)
    // Slug clash is refused before anything changes.
    await expect(con.svc.restore({ backupId: rec!.id, mode: 'copy', newSlug: 'acme-copy' })).rejects.toMatchObject({ code: 'CONFLICT' })
  })

  it('cancel a restore: the running statement is cancelled and everything is rolled back', async () => {
    const [rec] = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).filter((x) => x.kind === 'export')
    const srcBefore = await schemaFingerprint(c, 'tenant_acme')
    // A lock wait far longer than the test: only a real cancel ends it in time.
    const patient = makeService(db.url, platform, { lockWaitMs: 600_000 })
    await patient.ready()
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    try {
      await locker.query('BEGIN')
      // The copy restores the schema and inserts the tenants row, then waits here.
      await locker.query('LOCK TABLE public.tenant_settings IN EXCLUSIVE MODE')
      const running = patient.svc.restore({ backupId: rec!.id, mode: 'copy', newSlug: 'acme-cancelled' })
      running.catch(() => {})
      const waiting = async () =>
        (await c.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nchat-console-restore' AND wait_event_type = 'Lock'`)).rowCount === 1
      for (let i = 0; i < 300 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 100))
      expect(await waiting()).toBe(true)
      const [job] = patient.svc.activeJobs().filter((j) => j.kind === 'restore')
      expect(job).toMatchObject({ status: 'running', phase: 'writing', tenantSlug: 'acme-cancelled' })
      expect(job!.tablesDone).toBe(job!.tablesTotal)
      expect(job!.bytes).toBeGreaterThan(0)
      // The throttled progress events end with the latest state.
      const seen = () => platform.events.filter((e) => e.event === 'backups:progress' && (e.payload as { jobId: string }).jobId === job!.jobId).at(-1)?.payload
      await expect.poll(seen).toMatchObject({ phase: 'writing', tablesDone: job!.tablesTotal })

      expect((await patient.svc.cancel(job!.jobId)).cancelled).toBe(true)
      await expect(running).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/rolled back; nothing was changed/) })
      // Still locked out, yet the restore's session is gone: the cancel ended it, not a timeout.
      const left = await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nchat-console-restore'`)
      expect(left.rows[0].n).toBe(0)
      const last = platform.events.filter((e) => e.event === 'backups:progress' && (e.payload as { jobId: string }).jobId === job!.jobId).at(-1)!
      expect(last.payload).toMatchObject({ kind: 'restore', status: 'cancelled', phase: 'done' })
      expect(platform.notifications.at(-1)).toEqual({ title: 'Restore of acme-cancelled cancelled', body: 'Cancelled and rolled back.' })
    } finally {
      await locker.query('ROLLBACK').catch(() => {})
      await locker.end()
      await patient.close()
    }
    const traces = await c.query(
      `SELECT (SELECT count(*) FROM public.tenants WHERE slug = 'acme-cancelled')::int AS tenants,
              (SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_acme_cancelled' OR nspname LIKE 'nchat\\_%')::int AS schemas`
    )
    expect(traces.rows[0]).toEqual({ tenants: 0, schemas: 0 })
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(srcBefore)
  })

  it('cancel a restore into the same tenant during its safety backup: nothing replaced, no safety file', async () => {
    const [rec] = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).filter((x) => x.kind === 'export')
    const fp = await schemaFingerprint(c, 'tenant_acme')
    const safetyDir = mkdtempSync(join(tmpdir(), 'nchat-safety-'))
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE tenant_acme.nchat_users IN ACCESS EXCLUSIVE MODE') // pg_dump waits here
      const running = con.svc.restoreFile(rec!.filePath, { mode: 'same', expectedSha256: rec!.sha256, safetyDir })
      running.catch(() => {})
      const restoreJob = () => con.svc.activeJobs().find((j) => j.kind === 'restore')
      await expect.poll(restoreJob, { timeout: 20_000 }).toMatchObject({ phase: 'safety-backup', tenantSlug: 'acme' })
      expect((await con.svc.cancel(restoreJob()!.jobId)).cancelled).toBe(true)
      await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
    } finally {
      await locker.query('ROLLBACK').catch(() => {})
      await locker.end()
    }
    expect(readdirSync(safetyDir)).toEqual([])
    const [safety] = (await con.svc.list({ tenantId: ids.acme!, limit: 1 })).filter((x) => x.kind === 'safety')
    expect(safety?.status).toBe('cancelled')
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(fp)
  })

  it('cancel a deep verification: CANCELLED, pg_restore stopped, the scratch schema rolled back, the last verification kept', async () => {
    const [rec] = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).filter((x) => x.kind === 'export')
    // pg_restore that never produces output, like one working through a huge archive.
    const tools = hangingRestoreTools()
    const slow = makeService(db.url, platform, {}, tools)
    await slow.ready()
    try {
      const running = slow.svc.verify(rec!.id, true)
      running.catch(() => {})
      // The hanging pg_restore is `sleep`, a child of this process (the wrapper execs it).
      const sleeping = () => spawnSync('pgrep', ['-P', String(process.pid), '-x', 'sleep'], { encoding: 'utf8' }).stdout.trim()
      await expect.poll(sleeping, { timeout: 20_000 }).not.toBe('')
      const verifyJob = () => slow.svc.activeJobs().find((j) => j.kind === 'verify')
      await expect.poll(verifyJob).toMatchObject({ status: 'running', phase: 'restoring', tenantSlug: 'acme', tablesDone: 0 })
      const job = verifyJob()
      expect((await slow.svc.cancel(job!.jobId)).cancelled).toBe(true)
      await expect(running).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/deep verification was cancelled/) })
      expect(sleeping()).toBe('')
      expect(platform.notifications.at(-1)).toEqual({ title: 'Deep verification of acme cancelled', body: 'Cancelled.' })
      const sessions = await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nchat-console-restore'`)
      expect(sessions.rows[0].n).toBe(0)
    } finally {
      await slow.close()
      rmSync(tools, { recursive: true, force: true })
    }
    const left = await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nchat\\_%'`)
    expect(left.rows).toEqual([])
    expect((await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_acme'`)).rowCount).toBe(1)
    const [after] = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).filter((x) => x.id === rec!.id)
    expect(after!.verifyError).toBeNull()
  })

  it('one flipped byte: verification fails, restore refuses before touching anything', async () => {
    const [rec] = (await con.svc.list({ tenantId: ids.acme!, limit: 10 })).filter((x) => x.kind === 'export')
    const copy = join(dir, 'flipped.nchatbak')
    const buf = readFileSync(rec!.filePath)
    const good = Buffer.from(buf)
    const fp = await schemaFingerprint(c, 'tenant_acme')
    const safetyBefore = (await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog WHERE kind = 'safety'`)).rows[0].n
    for (const at of [40, Math.floor(buf.length / 2), buf.length - 100, buf.length - 30]) {
      const bad = Buffer.from(good)
      bad[at] = bad[at]! ^ 0x01
      writeFileSync(copy, bad)
      await expect(con.svc.verifyFile(copy, { deep: false })).rejects.toThrow(/damaged|checksum|footer|manifest/i)
      await expect(con.svc.restoreFile(copy, { mode: 'same' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    }
    // The catalog's own checksum catches a file swapped for another valid backup.
    writeFileSync(rec!.filePath, good)
    expect((await con.svc.verify(rec!.id, false)).ok).toBe(true)
    const n = await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog WHERE kind = 'safety'`)
    expect(n.rows[0].n).toBe(safetyBefore) // no safety backup was even started for the refused restores
    expect(await schemaFingerprint(c, 'tenant_acme')).toEqual(fp)
  })
})

function extractPart(file: string, name: string): Buffer {
  const buf = readFileSync(file)
  const mOff = Number(buf.readBigUInt64BE(buf.length - 56))
  const mLen = Number(buf.readBigUInt64BE(buf.length - 48))
  const m = JSON.parse(buf.subarray(mOff, mOff + mLen).toString('utf8')) as { parts: { name: string; offset: number; length: number }[] }
  const p = m.parts.find((x) => x.name === name)!
  return buf.subarray(p.offset, p.offset + p.length)
}

describe('failures leave no file under the final name', () => {
  it('unwritable destination: says so, no file', async () => {
    // root ignores directory modes: sysfs refuses new files even to root.
    let ro = '/sys/kernel'
    if (process.getuid?.() !== 0) {
      ro = mkdtempSync(join(tmpdir(), 'nchat-ro-'))
      chmodSync(ro, 0o500)
    }
    const file = join(ro, 'x.nchatbak')
    const { end } = await exportOne(ids.globex!, file)
    expect(end.status).toBe('failed')
    expect(end.message).toMatch(/cannot be written \(permission denied\)/i)
    expect(existsSync(file)).toBe(false)
    const missing = join(dir, 'no-such-folder', 'x.nchatbak')
    const r2 = await exportOne(ids.globex!, missing)
    expect(r2.end.status).toBe('failed')
    expect(r2.end.message).toMatch(/does not exist/)
    const rows = await con.svc.list({ tenantId: ids.globex!, limit: 5 })
    expect(rows[0]!.status).toBe('failed')
  })

  it('wrong password: pg_dump is refused, said in words, no file', async () => {
    const u = new URL(db.url)
    u.password = 'wrong-password'
    const bad = makeService(u.toString(), platform)
    await bad.ready()
    platform.nextSavePath = join(dir, 'wrongpw.nchatbak')
    await expect(bad.svc.startExport(ids.globex!)).rejects.toThrow()
    await bad.close()
    // pg_dump itself with a wrong password (the console's own session was fine):
    const { runTool, pgEnv, describeToolFailure } = await import('../../src-main/backup/pgproc')
    const env = await pgEnv({ connectionString: u.toString() }, 'test')
    const r = await runTool(join(inject('pgBinDir'), 'pg_dump'), ['--no-password', '--schema=x', '--format=custom'], env.env).done
    await env.cleanup()
    expect(describeToolFailure('pg_dump', r)).toMatch(/refused the password/)
    expect(existsSync(join(dir, 'wrongpw.nchatbak'))).toBe(false)
  })

  it('pg_dump killed mid-way: failed, why, no file and no temporary file', async () => {
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE tenant_globex.nchat_messages IN ACCESS EXCLUSIVE MODE')
    const file = join(dir, 'killed.nchatbak')
    platform.nextSavePath = file
    const started = await con.svc.startExport(ids.globex!)
    let pid = ''
    for (let i = 0; i < 100 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 100))
      pid = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'pg_dump']).stdout.toString().trim()
    }
    expect(pid).not.toBe('')
    execFileSync('kill', ['-9', pid.split('\n')[0]!])
    const end = await con.svc.waitFor(started!.jobId)
    await locker.query('ROLLBACK')
    await locker.end()
    expect(end!.status).toBe('failed')
    expect(end!.message).toMatch(/pg_dump was stopped \(SIGKILL\)/)
    expect(existsSync(file)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('.partial') || f.startsWith('.nchat'))).toEqual([])
    const [row] = await con.svc.list({ tenantId: ids.globex!, limit: 1 })
    expect(row!.status).toBe('failed')
  })

  it('cancel: kills pg_dump, removes the temporary file, catalog says cancelled', async () => {
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE tenant_globex.nchat_users IN ACCESS EXCLUSIVE MODE')
    const file = join(dir, 'cancelled.nchatbak')
    platform.nextSavePath = file
    const started = await con.svc.startExport(ids.globex!)
    await new Promise((r) => setTimeout(r, 700))
    expect((await con.svc.cancel(started!.jobId)).cancelled).toBe(true)
    await locker.query('ROLLBACK')
    await locker.end()
    expect(existsSync(file)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([])
    const [row] = await con.svc.list({ tenantId: ids.globex!, limit: 1 })
    expect(row!.status).toBe('cancelled')
    const last = platform.events.filter((e) => e.event === 'backups:progress').at(-1)!.payload as { status: string }
    expect(last.status).toBe('cancelled')
  })

  it('lock waits are bounded', async () => {
    const quick = makeService(db.url, platform, { lockWaitMs: 500 })
    await quick.ready()
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE tenant_globex.nchat_users IN ACCESS EXCLUSIVE MODE')
    platform.nextSavePath = join(dir, 'locked.nchatbak')
    const t0 = Date.now()
    const started = await quick.svc.startExport(ids.globex!)
    const end = await quick.svc.waitFor(started!.jobId)
    await locker.query('ROLLBACK')
    await locker.end()
    await quick.close()
    expect(end!.status).toBe('failed')
    expect(end!.message).toMatch(/lock/)
    expect(Date.now() - t0).toBeLessThan(15_000)
  })
})
